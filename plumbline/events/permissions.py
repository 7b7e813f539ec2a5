"""Who operates the change feed: admins see consumers and events, replay a consumer and prune old events.

The feed carries every kind of record's changes (payloads name contacts, deals, scores), so it is for admins only,
whatever a role may read elsewhere."""

from __future__ import annotations

from typing import Any

from plumbline.core.errors import PermissionDenied

DENIED = "Only admins may see and operate the change feed."


def may_operate(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or getattr(user, "role", "") == "admin")


def require_operator(user: Any) -> None:
    if not may_operate(user):
        raise PermissionDenied(DENIED)
