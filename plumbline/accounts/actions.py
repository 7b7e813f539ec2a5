"""Every write to users, teams and tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from plumbline.accounts.models import ApiToken, Role, Team, User
from plumbline.core.errors import DomainError, NotFound
from plumbline.core.locks import atomic_or_give_up

TOKEN_PREFIX = "pl_"
TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)  # how often a token's last_used_at is brought up to date, at most
logger = logging.getLogger(__name__)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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
    from plumbline.accounts.models import Notification

    Notification.objects.create(user=user, kind=kind, message=message[:500], url=url[:300])
    if email and user.email:
        from plumbline.accounts.tasks import send_notification_email

        # Queued in the caller's transaction: the mail goes out only if the notification commits.
        send_notification_email.enqueue(user_id=user.pk, subject=message[:150], body=message, url=url)


def do_mark_notifications_read(*, user: User, ids: list[int] | None = None) -> int:
    from plumbline.accounts.models import Notification

    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
