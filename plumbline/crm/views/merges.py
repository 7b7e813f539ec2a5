"""Duplicates: the suggested pairs, merging one contact into another (find it, compare field by field, merge)
and undoing a merge."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from plumbline.core.errors import DomainError, NotFound, PermissionDenied
from plumbline.core.pages import int_param, may, page, refuse
from plumbline.core.permissions import can
from plumbline.core.validation import normalize_email
from plumbline.crm import queries
from plumbline.crm.actions import do_merge_contacts, do_undo_merge
from plumbline.crm.actions.duplicates import do_dismiss_duplicate
from plumbline.crm.actions.merges import MERGE_FIELDS, merge_preview
from plumbline.crm.hooks import duplicate_scanner
from plumbline.crm.models import Contact, DuplicatePair, DuplicateScan

LABELS = {name: Contact._meta.get_field(name).verbose_name.capitalize() for name in MERGE_FIELDS}
TABLES = {
    "marketing.touchpoint": "touchpoints", "crm.activity": "activities", "crm.lifecycletransition": "lifecycle changes",
    "crm.dealcontact": "deal roles", "handoff.assignment": "lead assignments", "playbook.objection": "objections",
    "scoring.scorehistory": "score history rows",
}


@page("contact", action="change", methods=("GET", "POST"))
def contact_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """GET without a duplicate: a finder and suggestions; with `other`: both contacts side by side with a choice
    per differing field; POST merges."""
    survivor = get_object_or_404(queries.contacts(), pk=pk)
    if not can(request.user, "change", "contact", survivor):
        return refuse(request, "change", "contact")
    find = (request.GET.get("find") or "").strip()
    other, error, status = _other(request, survivor, find)
    if request.method == "POST" and other is not None:
        fields = {name: request.POST[f"keep_{name}"] for name in MERGE_FIELDS if request.POST.get(f"keep_{name}")}
        try:
            do_merge_contacts(by=request.user, survivor=survivor, other=other, fields=fields)
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"Merged {other.email} into this contact. Undo it under Merges below.")
            return redirect("contact_detail", pk=survivor.pk)
    context: dict[str, Any] = {"contact": survivor, "other": other, "find": find, "error": error}
    if other is not None:
        context.update(_comparison(survivor, other))
    else:
        context["suggestions"] = queries.possible_duplicates(survivor)
    return render(request, "crm/contact_merge.html", context, status=status)


def _other(request: HttpRequest, survivor: Contact, find: str) -> tuple[Contact | None, str | None, int]:
    """The duplicate named by `other` (an id) or found by `find` (an email or an id)."""
    other_id = int_param(request.POST.get("other") or request.GET.get("other"))
    if other_id is None and find:
        other_id = int(find) if find.isdigit() else Contact.objects.filter(
            email=normalize_email(find)).values_list("pk", flat=True).first()
        if other_id is None:
            return None, f"No contact with email {find}.", 404
    if other_id is None:
        return None, None, 200
    other = queries.contacts().filter(pk=other_id).first()
    if other is None:
        return None, f"No contact with id {other_id}.", 404
    if other.pk == survivor.pk:
        return None, "That is this contact: pick its duplicate.", 400
    return other, None, 200


def _comparison(survivor: Contact, other: Contact) -> dict[str, Any]:
    shown = merge_preview(survivor, other)
    rows = [{**row, "label": LABELS[row["field"]], "survivor_text": _text(survivor, row["field"]),
             "other_text": _text(other, row["field"])} for row in shown["fields"]]
    moving = [f"{n} {TABLES.get(table, table)}" for table, n in shown["counts"].items() if n]
    stage = dict(Contact._meta.get_field("lifecycle_stage").choices)[shown["lifecycle_stage"]]
    return {"rows": rows, "moving": moving, "stage": stage}


def _text(contact: Contact, field: str) -> str:
    if field == "consent_status":
        return contact.get_consent_status_display()
    value = getattr(contact, field)
    return "" if value is None else str(getattr(value, "display_name", value))


@page("contact", action="change", methods=("GET", "POST"))
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation and says what comes back; POST undoes the merge."""
    merge = get_object_or_404(queries.merges(), pk=pk)
    if request.method == "GET":
        survivor = Contact.objects.filter(pk=merge.survivor_id).first()
        if merge.undone_at is None and survivor is not None and not can(request.user, "change", "contact", survivor):
            return refuse(request, "change", "contact")
        return render(request, "crm/merge_undo.html", {
            "merge": merge, "survivor": survivor, "moved": sum(len(ids) for ids in merge.moved.values()),
            "changed": sorted(merge.changes),
        })
    try:
        restored = do_undo_merge(by=request.user, merge=merge)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        back = merge.survivor_id if Contact.objects.filter(pk=merge.survivor_id).exists() else None
        return redirect(reverse("contact_detail", args=[back]) if back else reverse("contact_list"))
    messages.success(request, f"Merge undone: {restored.email} is back with its own history.")
    return redirect("contact_detail", pk=restored.pk)


@page("contact", methods=("GET",))
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Suggested duplicates, most likely first, each with why and a link to compare and merge."""
    pairs = list(queries.duplicate_pairs()[:PAIRS_SHOWN])
    for pair in pairs:
        pair.may_merge = can(request.user, "change", "contact", pair.left) and can(
            request.user, "delete", "contact", pair.right)
    context = {"pairs": pairs, "scan": DuplicateScan.objects.first(), "can_scan": may(request.user, "change", "contact"),
               "scan_queued": duplicate_scanner().waiting() is not None}
    return render(request, "crm/duplicates.html", context)


PAIRS_SHOWN = 200


@page("contact", action="change", methods=("POST",))
def duplicate_scan(request: HttpRequest) -> HttpResponse:
    """Queue a scan for the worker (one at a time): at a million contacts it takes longer than a request."""
    duplicate_scanner().queue()
    messages.success(request, "A scan for duplicates is queued; the worker replaces the list when it is done.")
    return redirect("duplicate_list")


@page("contact", action="change", methods=("POST",))
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(DuplicatePair.objects.select_related("left", "right"), pk=pk)
    try:
        do_dismiss_duplicate(by=request.user, pair=pair)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{pair.left.email} and {pair.right.email} are marked as two people.")
    return redirect("duplicate_list")
