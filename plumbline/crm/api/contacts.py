"""/contacts: CRUD, list with search and filters, lifecycle moves, the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from plumbline.accounts.models import User
from plumbline.core.api_helpers import (
    REF_RENAMES,
    Custom,
    Id,
    IdParam,
    In,
    Instant,
    Limit,
    QueryText,
    api_fields,
    can_view,
    email_text,
    fresh,
    get_or_404,
    resolve_refs,
    sort_param,
    text,
)
from plumbline.core.errors import DomainError
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.crm import queries
from plumbline.crm.actions import do_change_lifecycle, do_create_contact, do_delete_contact, do_update_contact
from plumbline.crm.models import Company, ConsentStatus, Contact, LifecycleStage

router = Router(tags=["contacts"])

SORTS = ("updated_at", "created_at", "email", "last_name", "first_name", "lifecycle_changed_at", "id")
DEFAULT_SORT = "-updated_at"
SEARCH_SORT = "-id"  # see list_contacts: a search walks the id order unless asked otherwise
Stage = Literal[tuple(LifecycleStage.values)]  # type: ignore[valid-type]
Consent = Literal[tuple(ConsentStatus.values)]  # type: ignore[valid-type]
REFS = {"owner_id": (User, "owner"), "company_id": (Company, "company")}


class ContactIn(In):
    email: email_text(254)
    first_name: text(100) = ""
    last_name: text(100) = ""
    title: text(150) = ""
    phone: text(40) = ""
    company_id: Id | None = None
    owner_id: Id | None = None
    source: text(100) = ""
    consent_status: Consent = ConsentStatus.UNKNOWN.value
    lifecycle_stage: Stage = LifecycleStage.SUBSCRIBER.value
    custom: Custom = {}


class ContactPatch(In):
    email: text(254) = None
    first_name: text(100) = None
    last_name: text(100) = None
    title: text(150) = None
    phone: text(40) = None
    company_id: Id | None = None
    owner_id: Id | None = None
    source: text(100) = None
    consent_status: Consent = None
    custom: Custom = None


class ContactOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    title: str
    phone: str
    company_id: int | None
    owner_id: int | None
    source: str
    consent_status: str
    lifecycle_stage: str
    lifecycle_changed_at: dt.datetime | None
    custom: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class LifecycleIn(In):
    stage: Stage
    reason: text(500) = ""


class LifecycleTransitionOut(Schema):
    id: int
    from_stage: str
    to_stage: str
    occurred_at: dt.datetime
    by_id: int | None
    reason: str
    source: str


class LifecycleOut(Schema):
    contact: ContactOut
    transition: LifecycleTransitionOut


class TimelineEntryOut(Schema):
    kind: str
    occurred_at: dt.datetime
    title: str
    detail: str
    object_id: int


class TimelineOut(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    next_before: dt.datetime | None = Field(
        description="The last entry's instant. As `before` it gives what is strictly before that instant, which "
                    "skips any other entry at the same instant: page with `cursor` instead.")


@router.get("/contacts", response=ContactPage, summary="List and search contacts")
def list_contacts(
    request: HttpRequest,
    q: QueryText = "",
    lifecycle_stage: Stage | None = None,
    owner: IdParam | None = None,
    company: IdParam | None = None,
    campaign: IdParam | None = None,
    consent_status: Consent | None = None,
    updated_since: Instant | None = None,
    sort: sort_param(SORTS) | None = None,
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    """`q` is a prefix search over email, first and last name and company name.

    `sort` is one of `updated_at`, `created_at`, `email`, `last_name`, `first_name`, `lifecycle_changed_at`, `id`,
    with `-` for descending. Without `sort`, a list is ordered by `-updated_at`, but a search (`q`) by `-id`
    (newest contacts first): a short prefix can match tens of thousands of contacts, and ordering all of them
    by `updated_at` is several times slower than walking the id order, which the search can stop after one page.
    Pass `sort=-updated_at` with `q` to get the recently-updated order anyway. Either way the cursor keeps the
    sort it was made for: send the same `q` and `sort` (or none) with `cursor` when paging.
    """
    can_view(request, "contact")
    qs = queries.filter_contacts(
        queries.contacts(), q=q, lifecycle_stage=lifecycle_stage, owner_id=owner, company_id=company,
        updated_since=updated_since, campaign=campaign,
    )
    if consent_status:
        qs = qs.filter(consent_status=consent_status)
    if sort is None:
        sort = SEARCH_SORT if queries.clean_search(q) else DEFAULT_SORT
    items, next_cursor = paginate(qs, sort=sort, allowed=SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/contacts", response={201: ContactOut}, summary="Create a contact")
@idempotent
def create_contact(request: HttpRequest, payload: ContactIn) -> Status:
    with api_fields(REF_RENAMES):
        fields = resolve_refs(payload.dict(exclude_unset=True), REFS)
        return Status(201, fresh(do_create_contact(by=request.user, **fields)))


@router.get("/contacts/{contact_id}", response=ContactOut, summary="Read a contact")
def get_contact(request: HttpRequest, contact_id: IdParam) -> Contact:
    can_view(request, "contact")
    return get_or_404(queries.contacts(), contact_id, "contact")


@router.patch("/contacts/{contact_id}", response=ContactOut, summary="Change a contact")
def update_contact(request: HttpRequest, contact_id: IdParam, payload: ContactPatch) -> Contact:
    """The lifecycle stage is not a field here: move it with POST /contacts/{id}/lifecycle."""
    contact = get_or_404(queries.contacts(), contact_id, "contact")
    with api_fields(REF_RENAMES):
        changes = resolve_refs(payload.dict(exclude_unset=True), REFS)
        return fresh(do_update_contact(by=request.user, contact=contact, changes=changes))


@router.delete("/contacts/{contact_id}", response={204: None}, summary="Delete a contact")
def delete_contact(request: HttpRequest, contact_id: IdParam) -> Status:
    contact = get_or_404(queries.contacts(), contact_id, "contact")
    do_delete_contact(by=request.user, contact=contact)
    return Status(204, None)


@router.post("/contacts/{contact_id}/lifecycle", response=LifecycleOut, summary="Move a contact's lifecycle stage")
def change_lifecycle(request: HttpRequest, contact_id: IdParam, payload: LifecycleIn) -> dict:
    """The same rules as the UI: moves that make no sense are refused; backward moves need a reason."""
    contact = get_or_404(queries.contacts(), contact_id, "contact")
    with api_fields({"lifecycle_stage": "stage"}):
        transition = do_change_lifecycle(
            by=request.user, contact=contact, to_stage=payload.stage, reason=payload.reason
        )
    contact.refresh_from_db()
    return {"contact": contact, "transition": transition}


@router.get("/contacts/{contact_id}/timeline", response=TimelineOut, summary="A contact's timeline, newest first")
def contact_timeline(
    request: HttpRequest, contact_id: IdParam, before: Instant | None = None, cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    """Activities, touchpoints, lifecycle and deal stage changes, newest first (entries at one instant by source,
    then id); pass `next_cursor` as `cursor` for the next page, or an instant as `before`."""
    can_view(request, "contact")
    contact = get_or_404(queries.contacts(), contact_id, "contact")
    if cursor is not None and before is not None:
        raise DomainError("Give a cursor or before, not both.", field="cursor")
    try:
        start = queries.TimelineCursor.parse(cursor) if cursor is not None else before
    except ValueError as exc:
        raise DomainError(str(exc), field="cursor") from None
    entries = queries.contact_timeline(contact, before=start, limit=limit)
    items = [
        {"kind": e.kind, "occurred_at": e.occurred_at, "title": e.title, "detail": e.detail, "object_id": e.obj.pk}
        for e in entries
    ]
    next_before = entries[-1].occurred_at if len(entries) == limit else None
    return {"items": items, "next_cursor": queries.next_cursor(entries, limit), "next_before": next_before}
