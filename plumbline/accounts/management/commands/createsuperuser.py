"""`plumbline createsuperuser`: Django's command, with the password validators in non-interactive mode too.

Django checks a typed password (and asks before creating a user with a weak one) but takes
DJANGO_SUPERUSER_PASSWORD with --noinput unchecked; scripted installs get the same rules as everyone.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.core.management.base import CommandError

from plumbline.accounts.actions import check_password_rules
from plumbline.accounts.models import User
from plumbline.core.errors import DomainError


class Command(createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password:
            username = options.get("username") or os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
            email = options.get("email") or os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
            try:
                check_password_rules(password, user=User(username=username, email=email))
            except DomainError as exc:
                reasons = " ".join(e.message for e in getattr(exc, "errors", [exc]))
                raise CommandError(f"DJANGO_SUPERUSER_PASSWORD: {reasons}") from None
        super().handle(*args, **options)
