"""`plumbline token create USERNAME [--name N]`: print a new API token on the last line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.accounts.actions import do_create_api_token
from plumbline.accounts.models import User


class Command(BaseCommand):
    help = "Manage API tokens."
    # Like Django's createsuperuser and changepassword: no system checks, which would build the whole API
    # (every router's schemas, ~1 s) to print one token.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a token for USERNAME and print it.")
        create.add_argument("username")
        create.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        _, raw = do_create_api_token(user=user, name=options["name"])
        self.stderr.write(f"Token for {user.username} (shown once; store it safely):")
        self.stdout.write(raw)
