"""Reads of users, tokens and notifications."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from plumbline.accounts.models import ApiToken, Notification, User


def users(*, q: str = "", role: str | None = None, team_id: int | None = None,
          active: bool | None = None) -> QuerySet[User]:
    """Users with their team and count of active tokens, filtered."""
    qs = User.objects.select_related("team").annotate(
        active_tokens=Count("api_tokens", filter=Q(api_tokens__revoked_at=None))
    )
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(email__icontains=q) | Q(first_name__icontains=q)
                       | Q(last_name__icontains=q))
    if role:
        qs = qs.filter(role=role)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """A user's tokens, active first, newest first."""
    return ApiToken.objects.filter(user=user).order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-pk")


def notifications_of(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at=None) if unread_only else qs


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def unread_badge(user: User, cap: int = 9) -> str:
    """The header's unread count: "" for none, "1".."9", then "9+"; reads at most cap + 1 ids, never counts."""
    n = len(Notification.objects.filter(user=user, read_at=None).values_list("pk", flat=True)[: cap + 1])
    return "" if n == 0 else f"{cap}+" if n > cap else str(n)
