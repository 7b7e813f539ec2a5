"""Helpers shared by the CRM actions."""

from __future__ import annotations

from typing import Any

from plumbline.core.permissions import require


def check(by: Any, action: str, resource: str, obj: Any = None) -> None:
    """Permission check for a user acting; `by=None` is the system itself (imports, demo, automation)."""
    if by is not None:
        require(by, action, resource, obj)  # type: ignore[arg-type]


def default_owner(by: Any, owner: Any) -> Any:
    """Sales reps own what they create unless they name someone else."""
    if owner is None and by is not None and getattr(by, "role", "") == "sales":
        return by
    return owner
