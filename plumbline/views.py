"""The home page: it brings several apps together (the user's CRM tasks here; the analytics dashboard and the
handoff backlog as fragments its template loads), so it lives beside urls.py, above every app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plumbline.core.permissions import can
from plumbline.crm.queries import task_sections


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Welcome, the user's open tasks (the first few of each part, with full due dates) and the dashboard."""
    sections = task_sections(request.user, limit=5) if can(request.user, "view", "activity") else None
    return render(request, "core/home.html", {
        "task_sections": sections, "open_task_count": sum(s.count for s in sections or ()),
    })
