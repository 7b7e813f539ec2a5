"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from plumbline.core.permissions import can, resources


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "perms_view": {r: can(user, "view", r) for r in resources()},
        "perms_add": {r: can(user, "add", r) for r in resources()},
    }
