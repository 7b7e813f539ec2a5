"""What every page shares: sign-in, the role check, and turning refusals into 403/404 pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from plumbline.core.errors import NotFound, PermissionDenied
from plumbline.core.permissions import Action, can, denial, level

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest, message: str = "Your role may not see this page.") -> HttpResponse:
    return render(request, "partials/forbidden.html", {"message": message}, status=403)


def refuse(request: HttpRequest, action: Action, resource: str) -> HttpResponse:
    """The 403 page for a record-level refusal, saying what the role may do and which role may do more."""
    return forbidden(request, denial(request.user, action, resource))


def may(user: Any, action: Action, resource: str) -> bool:
    """The role-level check before any record is loaded: "own" roles may change and delete, record by record."""
    if action in ("change", "delete"):
        return level(user, resource) in ("all", "own")
    return can(user, action, resource)


def page(resource: str, *, action: Action = "view", methods: tuple[str, ...] = ("GET",)) -> Callable[[View], View]:
    """Sign-in required, the role must be allowed `action` on `resource`, only `methods` are accepted.

    A PermissionDenied from an action (a rep editing someone else's record) becomes the 403 page.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not may(request.user, action, resource):
                return forbidden(request, denial(request.user, action, resource))
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, exc.message)
            except NotFound as exc:
                raise Http404(exc.message) from None

        return login_required(require_http_methods(list(methods))(wrapper))

    return decorate


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL of a POST when it points back into this site, else `fallback`."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def int_param(value: str | None) -> int | None:
    """A query-string id, or None when absent or not a positive integer (bad input filters nothing)."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None
