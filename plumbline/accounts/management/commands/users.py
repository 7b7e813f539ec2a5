"""`plumbline users list|create|deactivate|reactivate|set-role|reset-password`: manage users from a shell, through
the same actions as the Users page and /api/v1/users (the shell acts as the system)."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.accounts import queries
from plumbline.accounts.actions import (
    do_create_user,
    do_deactivate_user,
    do_reactivate_user,
    do_send_password_link,
    do_set_password,
    do_update_user,
)
from plumbline.accounts.models import Role, Team, User
from plumbline.core.errors import DomainError, ValidationFailed

ROLES = ", ".join(Role.values)


class Command(BaseCommand):
    help = "Manage users: list, create (or invite), deactivate, reactivate, set a role or team, reset a password."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        ls = sub.add_parser("list", help="List users with role, team, status and last sign-in.")
        ls.add_argument("--role", choices=Role.values)
        ls.add_argument("--inactive", action="store_true", help="Only deactivated users.")
        create = sub.add_parser("create", help="Add a user with a password (asked for) or an emailed invitation.")
        create.add_argument("username")
        create.add_argument("--role", required=True, help=f"One of {ROLES}.")
        create.add_argument("--email", default="")
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        create.add_argument("--team", help="Team name.")
        create.add_argument("--invite", action="store_true", help="Email a link to set a password instead.")
        create.add_argument("--password", help="The password (asked for when omitted and not --invite).")
        deactivate = sub.add_parser("deactivate", help="Stop a user signing in; their open leads are rerouted.")
        deactivate.add_argument("username")
        reactivate = sub.add_parser("reactivate", help="Let a deactivated user sign in again.")
        reactivate.add_argument("username")
        role = sub.add_parser("set-role", help="Change a user's role (and team).")
        role.add_argument("username")
        role.add_argument("role", help=f"One of {ROLES}.")
        role.add_argument("--team", help="Team name; 'none' for no team.")
        reset = sub.add_parser("reset-password", help="Set a new password (asked for), or --send-link.")
        reset.add_argument("username")
        reset.add_argument("--password")
        reset.add_argument("--send-link", action="store_true", help="Email a one-time set-password link instead.")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"].replace("-", "_")
        try:
            getattr(self, f"_{verb}")(opts)
        except DomainError as exc:
            items = exc.errors if isinstance(exc, ValidationFailed) else [exc]
            raise CommandError(" ".join(f"{e.field}: {e.message}" if e.field else e.message for e in items)) from None

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    def _team(self, name: str | None) -> Team | None:
        if name is None or name.lower() == "none":
            return None
        team = Team.objects.filter(name__iexact=name).first()
        if team is None:
            known = ", ".join(Team.objects.order_by("name").values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No team named {name!r} (teams: {known}).")
        return team

    def _password(self, given: str | None) -> str:
        if given:
            return given
        first = getpass.getpass("New password: ")
        if first != getpass.getpass("Again: "):
            raise CommandError("The two passwords differ.")
        return first

    def _list(self, opts: dict[str, Any]) -> None:
        rows = queries.users(role=opts["role"], active=False if opts["inactive"] else None).order_by("username")
        self.stdout.write(f"{'USERNAME':<20} {'NAME':<24} {'ROLE':<14} {'TEAM':<14} {'STATUS':<12} LAST SIGN-IN")
        for u in rows:
            last = f"{u.last_login:%Y-%m-%d %H:%M}" if u.last_login else "never"
            self.stdout.write(f"{u.username:<20} {u.display_name[:24]:<24} {u.get_role_display():<14} "
                              f"{(u.team.name if u.team else '-')[:14]:<14} "
                              f"{'active' if u.is_active else 'deactivated':<12} {last}")

    def _create(self, opts: dict[str, Any]) -> None:
        password = None if opts["invite"] else self._password(opts["password"])
        user = do_create_user(
            username=opts["username"], role=opts["role"], email=opts["email"], first_name=opts["first_name"],
            last_name=opts["last_name"], team=self._team(opts["team"]), password=password, invite=opts["invite"],
        )
        how = f"an invitation goes to {user.email}" if opts["invite"] else "they sign in with the password given"
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}); {how}.")

    def _deactivate(self, opts: dict[str, Any]) -> None:
        user = self._user(opts["username"])
        do_deactivate_user(user=user)
        self.stdout.write(f"Deactivated {user.username}; their open leads go back through routing.")

    def _reactivate(self, opts: dict[str, Any]) -> None:
        user = do_reactivate_user(user=self._user(opts["username"]))
        self.stdout.write(f"Reactivated {user.username}.")

    def _set_role(self, opts: dict[str, Any]) -> None:
        user = self._user(opts["username"])
        changes: dict[str, Any] = {"role": opts["role"]}
        if opts["team"] is not None:
            changes["team"] = self._team(opts["team"])
        do_update_user(user=user, changes=changes)
        self.stdout.write(f"{user.username} is now {user.get_role_display()}"
                          + (f" in {user.team.name}" if user.team else "") + ".")

    def _reset_password(self, opts: dict[str, Any]) -> None:
        user = self._user(opts["username"])
        if opts["send_link"]:
            do_send_password_link(user=user, purpose="reset")
            self.stdout.write(f"A link to set a new password goes to {user.email}.")
            return
        do_set_password(user=user, password=self._password(opts["password"]))
        self.stdout.write(f"Set a new password for {user.username}.")
