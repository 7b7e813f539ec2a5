"""/segments: dynamic segments, static lists and snapshots; their members; a predicate's preview; a contact's
segments. A bad predicate is a 422 whose errors name each JSON path (`$.all[0].op`) as their field."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import AfterValidator, Field

from plumbline.core.api_helpers import (
    Id,
    IdParam,
    In,
    Limit,
    QueryText,
    can_view,
    get_or_404,
    name_text,
    sort_param,
    text,
)
from plumbline.core.errors import Conflict
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.core.validation import nul_path
from plumbline.crm.models import Contact
from plumbline.crm.queries import search_contacts
from plumbline.segments import queries
from plumbline.segments.actions import (
    MAX_IDS,
    do_add_to_list,
    do_create_segment,
    do_delete_segment,
    do_remove_from_list,
    do_request_refresh,
    do_snapshot,
    do_update_segment,
)
from plumbline.segments.models import Kind, Membership, Segment

router = Router(tags=["segments"])

SORTS = ("name", "created_at", "updated_at", "member_count")


def _no_nul_json(value: dict[str, Any]) -> dict[str, Any]:
    path = nul_path(value)
    if path is not None:
        raise ValueError(f"must not contain NUL characters ({path or 'a key'})")
    return value


PredicateJson = Annotated[
    dict[str, Any],
    AfterValidator(_no_nul_json),
    Field(description="The predicate's JSON form (docs: plumbline.segments.predicate.schema)."),
]
ContactIds = Annotated[list[Id], Field(min_length=1, max_length=MAX_IDS)]


class SegmentIn(In):
    name: name_text(200)
    kind: Literal["dynamic", "static"] = "dynamic"
    predicate: PredicateJson | None = None
    description: text(2000) = ""


class SegmentPatch(In):
    name: name_text(200) = None
    description: text(2000) = None
    predicate: PredicateJson = None
    kind: Literal[tuple(Kind.values)] = Field(None, description="Read-only: sending another kind is refused.")  # type: ignore[valid-type]


class SegmentOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    description: str
    predicate: dict[str, Any] | None
    predicate_version: int
    source_id: int | None
    snapshot_at: dt.datetime | None
    member_count: int
    evaluated_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SegmentPage(Schema):
    items: list[SegmentOut]
    next_cursor: str | None


class ContactBrief(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    title: str
    company_id: int | None
    lifecycle_stage: str


class MemberOut(ContactBrief):
    since: dt.datetime


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class ContactIdsIn(In):
    contact_ids: ContactIds


class ListChangeOut(Schema):
    changed: int
    unchanged: int
    member_count: int


class SnapshotIn(In):
    name: name_text(200)


class RefreshOut(Schema):
    queued: bool
    entered: int | None
    left: int | None
    member_count: int
    evaluated_at: dt.datetime | None


class PreviewIn(In):
    predicate: PredicateJson
    sample: int = Field(20, ge=0, le=100)


class PreviewOut(Schema):
    count: int
    sample: list[ContactBrief]


class MembershipOut(Schema):
    segment_id: int
    name: str
    kind: str
    kind_label: str
    since: dt.datetime


class ChangeOut(Schema):
    segment_id: int
    name: str
    entered: bool
    reason: str
    reason_label: str
    occurred_at: dt.datetime
    by_id: int | None


class ContactSegmentsOut(Schema):
    memberships: list[MembershipOut]
    history: list[ChangeOut]


def _out(s: Segment) -> dict[str, Any]:
    return {
        **{
            k: getattr(s, k)
            for k in (
                "id",
                "name",
                "kind",
                "description",
                "predicate",
                "predicate_version",
                "source_id",
                "snapshot_at",
                "member_count",
                "evaluated_at",
                "created_at",
                "updated_at",
            )
        },
        "kind_label": s.get_kind_display(),
    }


def _segment(segment_id: int) -> Segment:
    return get_or_404(Segment.objects.all(), segment_id, "segment")


@router.get("/segments", response=SegmentPage, summary="List segments")
def list_segments(
    request: HttpRequest,
    q: QueryText = "",
    kind: Literal[tuple(Kind.values)] | None = None,  # type: ignore[valid-type]
    sort: sort_param(SORTS) = "name",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    can_view(request, "segment")
    qs = Segment.objects.all()
    if q.strip():
        qs = qs.filter(name__icontains=q.strip())
    if kind:
        qs = qs.filter(kind=kind)
    items, next_cursor = paginate(qs, sort=sort, allowed=SORTS, cursor=cursor, limit=limit)
    return {"items": [_out(s) for s in items], "next_cursor": next_cursor}


@router.post("/segments", response={201: SegmentOut}, summary="Create a dynamic segment or a static list")
@idempotent
def create_segment(request: HttpRequest, payload: SegmentIn) -> Status:
    """A dynamic segment needs a `predicate`, and is evaluated at once (queued when there are many contacts:
    `evaluated_at` stays null until then); a static list has none. Snapshots: POST /segments/{id}/snapshot."""
    segment = do_create_segment(by=request.user, **payload.dict())
    segment.refresh_from_db()
    return Status(201, _out(segment))


@router.post(
    "/segments/preview", response=PreviewOut, summary="How many contacts a predicate selects (saves nothing)"
)
def preview_segment(request: HttpRequest, payload: PreviewIn) -> dict:
    can_view(request, "segment")
    can_view(request, "contact")
    result = queries.preview(payload.predicate, sample=payload.sample)
    return {"count": result.count, "sample": result.sample}


@router.get("/segments/{segment_id}", response=SegmentOut, summary="Read a segment")
def get_segment(request: HttpRequest, segment_id: IdParam) -> dict:
    can_view(request, "segment")
    return _out(_segment(segment_id))


@router.patch(
    "/segments/{segment_id}", response=SegmentOut, summary="Rename a segment or change its predicate"
)
def update_segment(request: HttpRequest, segment_id: IdParam, payload: SegmentPatch) -> dict:
    """A changed predicate bumps `predicate_version` and re-evaluates the segment. The kind cannot change."""
    segment = _segment(segment_id)
    data = payload.dict(exclude_unset=True)
    kind = data.pop("kind", None)
    if kind is not None and kind != segment.kind:
        raise Conflict(
            f"A segment's kind cannot change (this one is a {segment.get_kind_display().lower()}): "
            "create a new segment, or take a snapshot.",
            field="kind",
        )
    segment = do_update_segment(by=request.user, segment=segment, **data)
    segment.refresh_from_db()
    return _out(segment)


@router.delete("/segments/{segment_id}", response={204: None}, summary="Delete a segment")
def delete_segment(request: HttpRequest, segment_id: IdParam) -> Status:
    """Refused (409) while another segment's predicate refers to this one."""
    do_delete_segment(by=request.user, segment=_segment(segment_id))
    return Status(204, None)


@router.get(
    "/segments/{segment_id}/members", response=MemberPage, summary="A segment's members, latest first"
)
def list_members(
    request: HttpRequest,
    segment_id: IdParam,
    search: QueryText = "",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    can_view(request, "segment")
    can_view(request, "contact")
    segment = _segment(segment_id)
    qs = Membership.objects.filter(segment=segment).select_related("contact")
    if search.strip():
        qs = qs.filter(contact__in=search_contacts(Contact.objects.all(), search).values("pk"))
    items, next_cursor = paginate(qs, sort="-since", allowed=("since",), cursor=cursor, limit=limit)
    return {"items": [{**_brief(m.contact), "since": m.since} for m in items], "next_cursor": next_cursor}


def _brief(c: Contact) -> dict[str, Any]:
    return {
        k: getattr(c, k)
        for k in ("id", "email", "first_name", "last_name", "title", "company_id", "lifecycle_stage")
    }


def _list_change(segment: Segment, change: Any) -> dict[str, Any]:
    segment.refresh_from_db(fields=["member_count"])
    return {"changed": change.changed, "unchanged": change.unchanged, "member_count": segment.member_count}


@router.post(
    "/segments/{segment_id}/members", response=ListChangeOut, summary="Add contacts to a static list"
)
@idempotent
def add_members(request: HttpRequest, segment_id: IdParam, payload: ContactIdsIn) -> dict:
    """Contacts already in the list are counted as `unchanged`; an id naming no contact is refused (422)."""
    segment = _segment(segment_id)
    return _list_change(
        segment, do_add_to_list(by=request.user, segment=segment, contact_ids=payload.contact_ids)
    )


@router.post(
    "/segments/{segment_id}/members/remove",
    response=ListChangeOut,
    summary="Remove contacts from a static list",
)
def remove_members(request: HttpRequest, segment_id: IdParam, payload: ContactIdsIn) -> dict:
    segment = _segment(segment_id)
    change = do_remove_from_list(by=request.user, segment=segment, contact_ids=payload.contact_ids)
    return _list_change(segment, change)


@router.post(
    "/segments/{segment_id}/snapshot",
    response={201: SegmentOut},
    summary="Freeze a segment's members now as a new snapshot segment",
)
@idempotent
def snapshot_segment(request: HttpRequest, segment_id: IdParam, payload: SnapshotIn) -> Status:
    can_view(request, "segment")
    return Status(201, _out(do_snapshot(by=request.user, segment=_segment(segment_id), name=payload.name)))


@router.post("/segments/{segment_id}/refresh", response=RefreshOut, summary="Evaluate a dynamic segment now")
@idempotent
def refresh(request: HttpRequest, segment_id: IdParam) -> dict:
    """Run at once when the population is small; otherwise queued for the worker (`queued`: true, and the counts
    are null)."""
    segment = _segment(segment_id)
    result = do_request_refresh(by=request.user, segment=segment)
    segment.refresh_from_db()
    entered, left = result if result is not None else (None, None)
    return {
        "queued": result is None,
        "entered": entered,
        "left": left,
        "member_count": segment.member_count,
        "evaluated_at": segment.evaluated_at,
    }


@router.get(
    "/contacts/{contact_id}/segments",
    response=ContactSegmentsOut,
    summary="The segments a contact is in, and its entries and exits",
)
def contact_segments(request: HttpRequest, contact_id: IdParam, limit: Limit = 50) -> dict:
    can_view(request, "segment")
    can_view(request, "contact")
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    return {
        "memberships": [
            {
                "segment_id": m.segment_id,
                "name": m.segment.name,
                "kind": m.segment.kind,
                "kind_label": m.segment.get_kind_display(),
                "since": m.since,
            }
            for m in queries.segments_of_contact(contact)
        ],
        "history": [
            {
                "segment_id": c.segment_id,
                "name": c.segment.name,
                "entered": c.entered,
                "reason": c.reason,
                "reason_label": c.get_reason_display(),
                "occurred_at": c.occurred_at,
                "by_id": c.by_id,
            }
            for c in queries.history_of_contact(contact, limit=limit)
        ],
    }
