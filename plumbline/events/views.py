"""The change feed's page for admins: each consumer's state (refreshed by HTMX), replay and prune, recent events."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from plumbline.core.errors import DomainError
from plumbline.core.pages import forbidden, int_param
from plumbline.events import queries
from plumbline.events.actions import do_prune, do_replay
from plumbline.events.kinds import KINDS, choices, label
from plumbline.events.permissions import DENIED, may_operate

EVENTS_PER_PAGE = 50
REFRESH_SECONDS = 5

View = Callable[..., HttpResponse]


def operators_only(*methods: str) -> Callable[[View], View]:
    """Signed in, an admin, and one of `methods`; anyone else gets the 403 page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not may_operate(request.user):
                return forbidden(request, DENIED)
            return view(request, *args, **kwargs)

        return login_required(require_http_methods(list(methods))(wrapper))

    return decorate


def _consumers_context() -> dict[str, Any]:
    return {"consumers": queries.consumer_status(), "refresh_seconds": REFRESH_SECONDS}


def _page(
    request: HttpRequest, *, status: int = 200, replay_error: tuple[str, str, str] | None = None,
    page_error: str = "",
) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    subject_type = request.GET.get("subject_type", "").strip()[:32].replace("\x00", "")
    subject_id = int_param(request.GET.get("subject_id"))
    if subject_id is not None and subject_id >= 2**63:
        subject_id = None
    before = int_param(request.GET.get("before"))
    if before is not None and before >= 2**63:
        before = None
    events = queries.recent_events(kind=kind or None, subject_type=subject_type or None, subject_id=subject_id)
    rows, next_before = queries.events_before(events, before=before, limit=EVENTS_PER_PAGE)
    params = request.GET.copy()
    params.pop("before", None)
    return render(request, "events/feed.html", {
        **_consumers_context(),
        "events": [_row(e) for e in rows], "next_before": next_before, "first_page": before is None,
        "kinds": [(code, name) for code, name in choices()], "kind": kind, "subject_type": subject_type,
        "subject_id": subject_id or "", "filters": params.urlencode(),
        "retention_days": settings.EVENTS_RETENTION_DAYS, "replay_error": replay_error, "page_error": page_error,
    }, status=status)


def _row(event: Any) -> dict[str, Any]:
    return {"event": event, "kind_label": label(event.kind), "subject_url": queries.subject_page(event.subject_type)}


@operators_only("GET")
def feed(request: HttpRequest) -> HttpResponse:
    """Consumers with their lag and last error, replay and prune, and the newest events (filtered, 50 a page)."""
    if request.GET.get("part") == "consumers":
        return render(request, "events/_consumers.html", _consumers_context())
    return _page(request)


@operators_only("POST")
def replay(request: HttpRequest, name: str) -> HttpResponse:
    raw = request.POST.get("from_event", "").strip()
    try:
        from_event = int(raw)
    except ValueError:
        return _page(request, status=422, replay_error=(name, raw, "Give the id of an event, a whole number."))
    try:
        do_replay(name=name, from_event=from_event, by=request.user)
    except DomainError as exc:
        if exc.status == 403:
            return forbidden(request, exc.message)
        if exc.status == 404:
            return _page(request, status=404, page_error=exc.message)
        return _page(request, status=422, replay_error=(name, raw, exc.message))
    messages.success(request, f"{_label_of(name)} reads the feed again from event #{from_event}.")
    return redirect("events_feed")


def _label_of(name: str) -> str:
    return next((c.label for c in queries.consumer_status() if c.name == name), name)


@operators_only("POST")
def prune(request: HttpRequest) -> HttpResponse:
    pruned = do_prune(by=request.user)
    messages.success(request, f"Deleted {pruned.deleted:,} events older than {pruned.retention_days} days that "
                              f"every consumer had passed.")
    return redirect("events_feed")
