"""The home dashboard, loaded into the home page: contacts per lifecycle stage, open pipeline (the home page
itself lists the user's tasks)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from plumbline.core.permissions import can
from plumbline.crm import queries


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each panel shows only what the role may view."""
    user = request.user
    ctx = {
        "stages": queries.lifecycle_counts() if can(user, "view", "contact") else None,
        "pipeline_value": queries.open_pipeline_value() if can(user, "view", "deal") else None,
        "now": timezone.now(),
    }
    return render(request, "crm/_dashboard.html", ctx)
