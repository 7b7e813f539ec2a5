"""Every write to users, teams and tokens. Managing users is for admins: the actions check it (`by=None` is the
system itself: the command line, the demo, a set-password link already verified)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from plumbline.accounts.models import ApiToken, Notification, Role, Team, User
from plumbline.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from plumbline.core.locks import atomic_or_give_up
from plumbline.core.permissions import check
from plumbline.core.validation import normalize_email
from plumbline.events.actions import emit

TOKEN_PREFIX = "pl_"
TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)  # how often a token's last_used_at is brought up to date, at most
USER_FIELDS = ("role", "team", "email", "first_name", "last_name", "is_out_of_office", "capacity")
logger = logging.getLogger(__name__)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_password_rules(password: str, *, user: User | None = None, field: str = "password") -> None:
    """Django's password validators (settings.AUTH_PASSWORD_VALIDATORS), each complaint an error on `field`."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed([DomainError(m, field=field, code="password_too_weak") for m in exc.messages]) from None


def _clean_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise DomainError("A username is required.", field="username", code="required")
    if len(username) > 150:
        raise DomainError("A username has at most 150 characters.", field="username", code="max_length")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise DomainError("Use only letters, digits and @ . + - _ in a username.", field="username") from None
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"A user named {username!r} already exists.", field="username")
    return username


def _clean_role(role: str) -> str:
    if role not in Role.values:
        labels = ", ".join(f"{value} ({label})" for value, label in Role.choices)
        raise DomainError(f"Unknown role {role!r}; choose one of {labels}.", field="role")
    return role


def _clean_text(value: str, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise DomainError(f"At most {max_length} characters.", field=field, code="max_length")
    return value


@transaction.atomic
def do_create_user(
    *,
    by: User | None = None,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    is_superuser: bool = False,
    invite: bool = False,
) -> User:
    """Add a user who signs in with `password`, or (with `invite`) one who gets an email to set their own."""
    check(by, "add", "user")
    user = User(
        username=_clean_username(username), role=_clean_role(role), team=team,
        email=normalize_email(email) if (email or "").strip() or invite else "",
        first_name=_clean_text(first_name, "first_name", 150), last_name=_clean_text(last_name, "last_name", 150),
        is_superuser=is_superuser, is_staff=is_superuser,
    )
    if password:
        check_password_rules(password, user=user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if invite:
        do_send_password_link(by=by, user=user, purpose="invite")
    return user


def do_send_password_link(*, by: User | None = None, user: User, purpose: str = "reset") -> None:
    """Email `user` a one-time link to set their password (Django's password-reset token), once this commits."""
    from plumbline.accounts.tasks import send_password_link

    check(by, "change", "user")
    if purpose not in ("invite", "reset"):
        raise DomainError("The purpose of a password link is invite or reset.", field="purpose")
    if not user.email:
        raise DomainError(f"{user.username} has no email address to send the link to.", field="email",
                          code="required")
    if not user.is_active:
        raise Conflict(f"{user.username} is deactivated; reactivate them first.", field="is_active")
    transaction.on_commit(lambda: send_password_link.enqueue(user_id=user.pk, purpose=purpose))


@transaction.atomic
def do_set_password(*, by: User | None = None, user: User, password: str) -> User:
    """An admin resets a password, or a user sets theirs through a verified link (`by=None`)."""
    check(by, "change", "user")
    check_password_rules(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def _other_admins(user: User) -> list[int]:
    """Active admins other than `user`, locked so two admins cannot remove each other at the same time."""
    admins = User.objects.select_for_update().filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
    return list(admins.exclude(pk=user.pk).values_list("pk", flat=True)[:1])


def _keep_an_admin(user: User, *, field: str) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)  # as stored, not as the caller last saw it
    if user.is_active and (user.role == Role.ADMIN or user.is_superuser) and not _other_admins(user):
        raise Conflict(f"{user.username} is the last active admin; make someone else an admin first.", field=field)


@transaction.atomic
def do_update_user(*, by: User | None = None, user: User, changes: dict[str, Any]) -> User:
    """Change role, team, name, email, availability or capacity. The last active admin keeps the admin role."""
    check(by, "change", "user")
    unknown = sorted(set(changes) - set(USER_FIELDS))
    if unknown:
        raise ValidationFailed([DomainError(f"Unknown or read-only field {f!r}.", field=f) for f in unknown])
    clean = dict(changes)
    if "role" in clean:
        clean["role"] = _clean_role(clean["role"])
        if clean["role"] != Role.ADMIN:
            _keep_an_admin(user, field="role")
    if "email" in clean:
        clean["email"] = normalize_email(clean["email"]) if (clean["email"] or "").strip() else ""
    for name in ("first_name", "last_name"):
        if name in clean:
            clean[name] = _clean_text(clean[name], name, 150)
    if "capacity" in clean and not (isinstance(clean["capacity"], int) and 0 <= clean["capacity"] <= 10_000):
        raise DomainError("Capacity is a whole number from 0 to 10000.", field="capacity")
    changed = [name for name, value in clean.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, clean[name])
    if changed:
        user.save(update_fields=[f"{name}_id" if name == "team" else name for name in changed])
    return user


@transaction.atomic
def do_deactivate_user(*, by: User | None = None, user: User, now: dt.datetime | None = None) -> User:
    """Stop a user signing in or using tokens. Their open leads go back through routing: handoff reads the
    `user.deactivated` event (written only when the user was active)."""
    check(by, "change", "user")
    if by is not None and by.pk == user.pk:
        raise DomainError("You cannot deactivate yourself; ask another admin.", field="is_active", code="self")
    stored = User.objects.select_for_update().get(pk=user.pk)
    if not stored.is_active:
        user.is_active = False
        return user
    _keep_an_admin(user, field="is_active")
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    emit(kind="user.deactivated", subject=("user", user.pk), actor=by, occurred_at=now or timezone.now())
    return user


@transaction.atomic
def do_reactivate_user(*, by: User | None = None, user: User) -> User:
    check(by, "change", "user")
    User.objects.filter(pk=user.pk, is_active=False).update(is_active=True)
    user.is_active = True
    return user


@transaction.atomic
def do_create_api_token(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns the row and the raw token, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw))
    return token, raw


def do_revoke_api_token(*, token_id: int, user: User | None = None, by: User | None = None) -> None:
    """Revoke a token: your own, or (admins) anyone's."""
    if by is not None and (user is None or user.pk != by.pk):
        check(by, "change", "user")
    qs = ApiToken.objects.filter(pk=token_id, revoked_at=None)
    if user is not None:
        qs = qs.filter(user=user)
    if qs.update(revoked_at=timezone.now()) == 0:
        raise NotFound("No such active token.")


def user_for_token(raw: str) -> User | None:
    """The active user a raw bearer token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_EVERY:
        _touch_token(token=token, now=now)
    return token.user


def _touch_token(*, token: ApiToken, now: dt.datetime) -> None:
    """Note when the token was last used, at most once a minute and only if no one holds the write lock: every
    API request checks a token, and a GET must never wait for (or fail on) a write. A touch skipped now is made
    by the next request."""
    stale = Q(last_used_at=None) | Q(last_used_at__lt=now - TOKEN_TOUCH_EVERY)
    try:
        with atomic_or_give_up():
            ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    except OperationalError:
        logger.debug("api token %s: last_used_at left for a later request (database busy)", token.pk)


def do_notify(*, user: User, kind: str, message: str, url: str = "", email: bool = False) -> None:
    """Tell a user something in the app and, when `email`, by mail once the transaction commits."""
    Notification.objects.create(user=user, kind=kind, message=message[:500], url=url[:300])
    if email and user.email:
        from plumbline.accounts.tasks import send_notification_email

        # Queued in the caller's transaction: the mail goes out only if the notification commits.
        send_notification_email.enqueue(user_id=user.pk, subject=message[:150], body=message, url=url)


def do_mark_notifications_read(*, user: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
