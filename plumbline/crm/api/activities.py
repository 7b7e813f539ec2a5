"""/activities: notes, calls, meetings, emails and tasks."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from plumbline.accounts.models import User
from plumbline.core.api_helpers import (
    REF_RENAMES,
    AwareInstant,
    Id,
    IdParam,
    In,
    Instant,
    Limit,
    QueryText,
    api_fields,
    can_view,
    fresh,
    get_or_404,
    requires_one_of,
    resolve_refs,
    sort_param,
    text,
    whole,
)
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.crm.actions import do_delete_activity, do_log_activity, do_update_activity
from plumbline.crm.models import Activity, Company, Contact, Deal

router = Router(tags=["activities"])

SORTS = ("occurred_at", "created_at", "updated_at")
Kind = Literal[tuple(Activity.Kind.values)]  # type: ignore[valid-type]
Outcome = Literal[("", *Activity.Outcome.values)]  # type: ignore[valid-type]
Minutes = whole(ge=0, le=100_000)
REFS = {
    "owner_id": (User, "owner"), "contact_id": (Contact, "contact"), "company_id": (Company, "company"),
    "deal_id": (Deal, "deal"),
}


class ActivityIn(In):
    model_config = ConfigDict(json_schema_extra=requires_one_of(("contact_id",), ("company_id",), ("deal_id",)))

    kind: Kind
    subject: text(200) = ""
    body: text(20000) = ""
    contact_id: Id | None = None
    company_id: Id | None = None
    deal_id: Id | None = None
    owner_id: Id | None = None
    occurred_at: AwareInstant | None = None
    outcome: Outcome = ""
    duration_minutes: Minutes | None = None
    due_at: AwareInstant | None = None
    completed_at: AwareInstant | None = None


class ActivityPatch(In):
    kind: Kind = None
    subject: text(200) = None
    body: text(20000) = None
    contact_id: Id | None = None
    company_id: Id | None = None
    deal_id: Id | None = None
    owner_id: Id | None = None
    occurred_at: AwareInstant = None
    outcome: Outcome = None
    duration_minutes: Minutes | None = None
    due_at: AwareInstant | None = None
    completed_at: AwareInstant | None = None


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    contact_id: int | None
    company_id: int | None
    deal_id: int | None
    owner_id: int | None
    occurred_at: dt.datetime
    outcome: str
    duration_minutes: int | None
    due_at: dt.datetime | None
    completed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


@router.get("/activities", response=ActivityPage, summary="List activities")
def list_activities(
    request: HttpRequest,
    kind: Kind | None = None,
    contact: IdParam | None = None,
    company: IdParam | None = None,
    deal: IdParam | None = None,
    owner: IdParam | None = None,
    open_tasks: bool = False,
    occurred_after: Instant | None = None,
    occurred_before: Instant | None = None,
    updated_since: Instant | None = None,
    sort: sort_param(SORTS) = "-occurred_at",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    """`open_tasks=true` lists tasks not completed yet."""
    can_view(request, "activity")
    qs = Activity.objects.all()
    for name, value in (("kind", kind), ("contact_id", contact), ("company_id", company), ("deal_id", deal),
                        ("owner_id", owner), ("occurred_at__gte", occurred_after),
                        ("occurred_at__lt", occurred_before), ("updated_at__gte", updated_since)):
        if value is not None:
            qs = qs.filter(**{name: value})
    if open_tasks:
        qs = qs.filter(kind=Activity.Kind.TASK, completed_at__isnull=True)
    items, next_cursor = paginate(qs, sort=sort, allowed=SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/activities", response={201: ActivityOut}, summary="Log an activity")
@idempotent
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status:
    with api_fields(REF_RENAMES):
        fields = resolve_refs(payload.dict(exclude_unset=True), REFS)
        return Status(201, fresh(do_log_activity(by=request.user, **fields)))


@router.get("/activities/{activity_id}", response=ActivityOut, summary="Read an activity")
def get_activity(request: HttpRequest, activity_id: IdParam) -> Activity:
    can_view(request, "activity")
    return get_or_404(Activity.objects.all(), activity_id, "activity")


@router.patch("/activities/{activity_id}", response=ActivityOut, summary="Change an activity")
def update_activity(request: HttpRequest, activity_id: IdParam, payload: ActivityPatch) -> Activity:
    activity = get_or_404(Activity.objects.all(), activity_id, "activity")
    with api_fields(REF_RENAMES):
        changes = resolve_refs(payload.dict(exclude_unset=True), REFS)
        return fresh(do_update_activity(by=request.user, activity=activity, changes=changes))


@router.delete("/activities/{activity_id}", response={204: None}, summary="Delete an activity")
def delete_activity(request: HttpRequest, activity_id: IdParam) -> Status:
    activity = get_or_404(Activity.objects.all(), activity_id, "activity")
    do_delete_activity(by=request.user, activity=activity)
    return Status(204, None)
