"""Deleting a contact, company or deal from the UI: a confirmation page (GET) and the delete itself (POST)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from plumbline.core.pages import refuse
from plumbline.core.permissions import can


def confirm_delete(
    request: HttpRequest,
    *,
    obj: Model,
    resource: str,
    action: Callable[..., None],
    cancel_url: str,
    done_url: str,
    consequences: Callable[[], list[str]],
) -> HttpResponse:
    """GET asks for confirmation and says what goes with the record (`consequences`, counted only for the page);
    POST deletes it through `action`.

    The record-level check is the one the edit pages make: "own" roles may delete only what they own.
    """
    if not can(request.user, "delete", resource, obj):
        return refuse(request, "delete", resource)
    label = str(obj)
    if request.method == "POST":
        action(by=request.user, **{resource: obj})
        messages.success(request, f"{resource.capitalize()} {label} deleted.")
        return redirect(done_url)
    context: dict[str, Any] = {
        "noun": resource, "label": label, "cancel_url": cancel_url, "consequences": consequences(),
    }
    return render(request, "crm/confirm_delete.html", context)


def counted(n: int, one: str, many: str) -> str:
    """"1 deal", "3 deals": the counts on a confirmation page."""
    return f"{n} {one if n == 1 else many}"
