"""Every write to users, teams and tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from plumbline.accounts.models import ApiToken, Role, Team, User
from plumbline.core.errors import DomainError, NotFound

TOKEN_PREFIX = "pl_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_password_strength(password: str, user: User | None = None) -> None:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS); their reasons as one DomainError on `password`."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password", code="weak_password") from None


@transaction.atomic
def do_create_user(
    *,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    is_superuser: bool = False,
) -> User:
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.", field="role")
    if User.objects.filter(username=username).exists():
        raise DomainError(f"A user named {username!r} already exists.", field="username", code="conflict")
    user = User(
        username=username, email=email, first_name=first_name, last_name=last_name, role=role, team=team,
        is_superuser=is_superuser, is_staff=is_superuser,
    )
    if password:
        check_password_strength(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def do_create_api_token(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns the row and the raw token, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw))
    return token, raw


def do_revoke_api_token(*, token_id: int, user: User | None = None) -> None:
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
    # Touch at most once a minute so reads don't turn into writes.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def do_notify(*, user: User, kind: str, message: str, url: str = "", email: bool = False) -> None:
    """Tell a user something in the app and, when `email`, by mail once the transaction commits."""
    from plumbline.accounts.models import Notification

    Notification.objects.create(user=user, kind=kind, message=message[:500], url=url[:300])
    if email and user.email:
        from plumbline.accounts.tasks import send_notification_email

        transaction.on_commit(
            lambda: send_notification_email.enqueue(user_id=user.pk, subject=message[:150], body=message, url=url)
        )


def do_mark_notifications_read(*, user: User, ids: list[int] | None = None) -> int:
    from plumbline.accounts.models import Notification

    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
