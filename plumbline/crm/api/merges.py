"""/duplicates, /contacts/{id}/merge and /merges: suggested duplicates, merging one contact into another, past
merges and their undo."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from plumbline.core.api_helpers import Id, IdParam, In, Limit, can_view, get_or_404, ref
from plumbline.core.errors import PermissionDenied
from plumbline.core.idempotency import idempotent
from plumbline.core.pages import may
from plumbline.core.pagination import DEFAULT_LIMIT
from plumbline.crm import queries
from plumbline.crm.actions import do_merge_contacts, do_undo_merge
from plumbline.crm.actions.duplicates import do_dismiss_duplicate
from plumbline.crm.actions.merges import merge_preview
from plumbline.crm.api.contacts import ContactOut
from plumbline.crm.hooks import duplicate_scanner
from plumbline.crm.models import Contact, ContactMerge, DuplicatePair

router = Router(tags=["merges"])

Side = Literal["survivor", "other"]


class MergeIn(In):
    other_id: Id
    fields: dict[str, Side] = {}  # the action names an unknown field (one message for API and UI)


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    merged_email: str
    moved: dict[str, int]
    changes: dict[str, list[Any]]
    by_id: int | None
    merged_at: dt.datetime
    undone_at: dt.datetime | None
    undone_by_id: int | None

    @staticmethod
    def resolve_moved(obj: ContactMerge) -> dict[str, int]:
        return {table: len(ids) for table, ids in obj.moved.items()}


class MergePage(Schema):
    items: list[MergeOut]


class PreviewField(Schema):
    field: str
    survivor: Any
    other: Any
    same: bool
    default: Side


class PreviewOut(Schema):
    survivor: ContactOut
    other: ContactOut
    fields: list[PreviewField]
    lifecycle_stage: str
    counts: dict[str, int]


class UndoOut(Schema):
    merge: MergeOut
    contact: ContactOut


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


@router.get("/contacts/{contact_id}/merge-preview", response=PreviewOut, summary="What merging a contact would keep")
def preview_merge(request: HttpRequest, contact_id: IdParam, other: IdParam) -> dict:
    """Each field of both contacts, and the side a merge keeps unless told otherwise; the rows that would move."""
    can_view(request, "contact")
    survivor = get_or_404(queries.contacts(), contact_id, "contact")
    duplicate = get_or_404(queries.contacts(), other, "contact")
    shown = merge_preview(survivor, duplicate)
    fields = [{**row, "survivor": _pk(row["survivor"]), "other": _pk(row["other"])} for row in shown["fields"]]
    return {**shown, "fields": fields, "survivor": survivor, "other": duplicate}


@router.post("/contacts/{contact_id}/merge", response={201: MergeOut}, summary="Merge another contact into this one")
@idempotent
def merge_contact(request: HttpRequest, contact_id: IdParam, payload: MergeIn) -> Status:
    """Every touchpoint, activity, lifecycle change, deal role, assignment and objection of `other_id` moves to
    this contact and `other_id` is deleted. `fields` picks whose value each field keeps (`survivor` or `other`);
    a field not named keeps this contact's value unless it is blank. An opt-out on either side is kept, and the
    lifecycle stage is the further of the two. Undo with POST /merges/{id}/undo."""
    survivor = get_or_404(queries.contacts(), contact_id, "contact")
    other = ref(Contact, payload.other_id, "other_id")
    return Status(201, do_merge_contacts(by=request.user, survivor=survivor, other=other, fields=payload.fields))


@router.get("/merges", response=MergePage, summary="Past merges, newest first")
def list_merges(request: HttpRequest, contact: IdParam | None = None, limit: Limit = DEFAULT_LIMIT) -> dict:
    """`contact` gives the merges into that contact and the one that removed it, if any."""
    can_view(request, "contact")
    return {"items": list(queries.merges(contact_id=contact)[:limit])}


@router.get("/merges/{merge_id}", response=MergeOut, summary="Read a merge")
def get_merge(request: HttpRequest, merge_id: IdParam) -> ContactMerge:
    can_view(request, "contact")
    return get_or_404(queries.merges(), merge_id, "merge")


@router.post("/merges/{merge_id}/undo", response=UndoOut, summary="Undo a merge")
def undo_merge(request: HttpRequest, merge_id: IdParam) -> dict:
    """Recreates the merged contact with its id, moves its rows back and gives the survivor back each field the
    merge changed and nobody changed since. A survivor merged in turn into another contact needs that merge
    undone first (409)."""
    can_view(request, "contact")
    merge = get_or_404(queries.merges(), merge_id, "merge")
    restored = do_undo_merge(by=request.user, merge=merge)
    merge.refresh_from_db()
    return {"merge": merge, "contact": restored}


class DuplicateOut(Schema):
    id: int
    left_id: int
    right_id: int
    probability: float
    weight: float
    why: list[tuple[str, str, float]]
    status: str
    found_at: dt.datetime


class DuplicatePage(Schema):
    items: list[DuplicateOut]


class ScanQueued(Schema):
    queued: bool
    task_id: str | None


@router.get("/duplicates", response=DuplicatePage, summary="Suggested duplicate contacts, most likely first")
def list_duplicates(
    request: HttpRequest, contact: IdParam | None = None, status: Literal["open", "dismissed"] = "open",
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    """Pairs from the last scan with their probability and, per compared field, its agreement level and the
    evidence it added (`why`: label, level, weight in bits). Merge one with POST /contacts/{left_id}/merge."""
    can_view(request, "contact")
    return {"items": list(queries.duplicate_pairs(status=status, contact_id=contact)[:limit])}


@router.post("/duplicates/scan", response={202: ScanQueued}, summary="Queue a scan for duplicate contacts")
def scan_duplicates(request: HttpRequest) -> Status:
    """The worker compares every contact and replaces the open pairs; a scan already waiting is not doubled."""
    if not may(request.user, "change", "contact"):  # the roles that change contacts, their own or all
        raise PermissionDenied("Your role may not change contact records.")
    task_id, queued = duplicate_scanner().queue()
    return Status(202, {"queued": queued, "task_id": task_id})


@router.post("/duplicates/{pair_id}/dismiss", response=DuplicateOut, summary="Mark a suggested pair as two people")
def dismiss_duplicate(request: HttpRequest, pair_id: IdParam) -> DuplicatePair:
    can_view(request, "contact")
    pair = get_or_404(DuplicatePair.objects.select_related("left", "right"), pair_id, "duplicate pair")
    return do_dismiss_duplicate(by=request.user, pair=pair)
