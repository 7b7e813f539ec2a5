"""Pages that belong to no app: the home dashboard and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plumbline.core.permissions import can


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Welcome, the user's open tasks (the first few of each part, with full due dates) and the dashboard."""
    from plumbline.crm.queries import task_sections

    sections = task_sections(request.user, limit=5) if can(request.user, "view", "activity") else None
    return render(request, "core/home.html", {
        "task_sections": sections, "open_task_count": sum(s.count for s in sections or ()),
    })
