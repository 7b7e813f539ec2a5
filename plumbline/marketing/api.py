"""/campaigns and /touchpoints, including the all-or-nothing batch ingest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models.functions import Lower
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, StringConstraints

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
    money,
    name_text,
    resolve_refs,
    sort_param,
    text,
    url_text,
)
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.marketing.actions import (
    MAX_BATCH,
    do_create_campaign,
    do_delete_campaign,
    do_delete_touchpoint,
    do_record_touchpoint,
    do_record_touchpoint_batch,
    do_update_campaign,
    do_update_touchpoint,
)
from plumbline.marketing.models import Campaign, Touchpoint
from plumbline.marketing.schemas import ChannelName, KindName, TouchpointIn, Value

router = Router(tags=["marketing"])

CAMPAIGN_SORTS = ("updated_at", "created_at", "name", "cost")
TOUCHPOINT_SORTS = ("occurred_at", "created_at")
Cost = money(max_digits=14)
Currency = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z]{3}$")]
Slug = Annotated[str, StringConstraints(strict=True, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")]
VanitySlug = Annotated[str, StringConstraints(strict=True, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")]
CAMPAIGN_REFS = {"owner_id": (User, "owner")}


# --- campaigns ---------------------------------------------------------------------------------------------


class CampaignIn(In):
    name: name_text(200)
    channel: ChannelName
    cost: Cost = Decimal(0)
    currency: Currency = "USD"
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    utm_campaign: Slug = None
    vanity_slug: VanitySlug | None = None
    landing_url: url_text(500) = ""
    description: text(5000) = ""
    owner_id: Id | None = None


class CampaignPatch(In):
    name: name_text(200) = None
    channel: ChannelName = None
    cost: Cost = None
    currency: Currency = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    utm_campaign: Slug = None
    vanity_slug: VanitySlug | None = None
    landing_url: url_text(500) = None
    description: text(5000) = None
    owner_id: Id | None = None


class CampaignOut(Schema):
    id: int
    name: str
    channel: str
    cost: Decimal
    currency: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    utm_campaign: str
    vanity_slug: str | None
    landing_url: str
    description: str
    owner_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


@router.get("/campaigns", response=CampaignPage, summary="List campaigns", tags=["campaigns"])
def list_campaigns(
    request: HttpRequest,
    q: QueryText = "",
    channel: ChannelName | None = None,
    owner: IdParam | None = None,
    active_on: dt.date | None = None,
    updated_since: Instant | None = None,
    sort: sort_param(CAMPAIGN_SORTS) = "-updated_at",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    """`active_on` keeps campaigns running that day (open-ended dates count as running)."""
    can_view(request, "campaign")
    qs = Campaign.objects.all()
    if q.strip():
        qs = qs.alias(name_lower=Lower("name")).filter(name_lower__startswith=q.strip().lower())
    if channel:
        qs = qs.filter(channel=channel)
    if owner is not None:
        qs = qs.filter(owner_id=owner)
    if active_on is not None:
        qs = qs.exclude(starts_on__gt=active_on).exclude(ends_on__lt=active_on)
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    items, next_cursor = paginate(qs, sort=sort, allowed=CAMPAIGN_SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/campaigns", response={201: CampaignOut}, summary="Create a campaign", tags=["campaigns"])
@idempotent
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status:
    """`utm_campaign` defaults to the slugified name; print campaigns get a vanity slug for their QR code."""
    with api_fields(REF_RENAMES):
        fields = resolve_refs(payload.dict(exclude_unset=True), CAMPAIGN_REFS)
        return Status(201, fresh(do_create_campaign(by=request.user, **fields)))


@router.get("/campaigns/{campaign_id}", response=CampaignOut, summary="Read a campaign", tags=["campaigns"])
def get_campaign(request: HttpRequest, campaign_id: IdParam) -> Campaign:
    can_view(request, "campaign")
    return get_or_404(Campaign.objects.all(), campaign_id, "campaign")


@router.patch("/campaigns/{campaign_id}", response=CampaignOut, summary="Change a campaign", tags=["campaigns"])
def update_campaign(request: HttpRequest, campaign_id: IdParam, payload: CampaignPatch) -> Campaign:
    campaign = get_or_404(Campaign.objects.all(), campaign_id, "campaign")
    with api_fields(REF_RENAMES):
        changes = resolve_refs(payload.dict(exclude_unset=True), CAMPAIGN_REFS)
        return fresh(do_update_campaign(by=request.user, campaign=campaign, changes=changes))


@router.delete("/campaigns/{campaign_id}", response={204: None}, summary="Delete a campaign", tags=["campaigns"])
def delete_campaign(request: HttpRequest, campaign_id: IdParam) -> Status:
    campaign = get_or_404(Campaign.objects.all(), campaign_id, "campaign")
    do_delete_campaign(by=request.user, campaign=campaign)
    return Status(204, None)


# --- touchpoints -------------------------------------------------------------------------------------------


class TouchpointPatch(In):
    campaign_id: Id | None = None
    channel: ChannelName = None
    kind: KindName = None
    source: text(100) = None
    medium: text(100) = None
    utm_campaign: text(100) = None
    utm_content: text(200) = None
    utm_term: text(200) = None
    content: text(300) = None
    occurred_at: AwareInstant = None
    value: Value = None


class TouchpointOut(Schema):
    id: int
    contact_id: int
    campaign_id: int | None
    channel: str
    kind: str
    source: str
    medium: str
    utm_campaign: str
    utm_content: str
    utm_term: str
    content: str
    occurred_at: dt.datetime
    value: Decimal
    created_at: dt.datetime


class TouchpointPage(Schema):
    items: list[TouchpointOut]
    next_cursor: str | None


def _items_are_touchpoints(schema: dict[str, Any]) -> None:
    schema["properties"]["items"]["items"] = TouchpointIn.model_json_schema()


class TouchpointBatchIn(In):
    # Each item is checked as a TouchpointIn (errors per index), and the schema says so.
    model_config = ConfigDict(json_schema_extra=_items_are_touchpoints)

    items: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class TouchpointBatchOut(Schema):
    created: int
    ids: list[int]


@router.get("/touchpoints", response=TouchpointPage, summary="List touchpoints", tags=["touchpoints"])
def list_touchpoints(
    request: HttpRequest,
    contact: IdParam | None = None,
    campaign: IdParam | None = None,
    kind: KindName | None = None,
    channel: ChannelName | None = None,
    occurred_after: Instant | None = None,
    occurred_before: Instant | None = None,
    created_since: Instant | None = None,
    sort: sort_param(TOUCHPOINT_SORTS) = "-occurred_at",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    """`occurred_after` is inclusive, `occurred_before` exclusive."""
    can_view(request, "touchpoint")
    qs = Touchpoint.objects.all()
    for name, value in (("contact_id", contact), ("campaign_id", campaign), ("kind", kind), ("channel", channel),
                        ("occurred_at__gte", occurred_after), ("occurred_at__lt", occurred_before),
                        ("created_at__gte", created_since)):
        if value is not None:
            qs = qs.filter(**{name: value})
    items, next_cursor = paginate(qs, sort=sort, allowed=TOUCHPOINT_SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/touchpoints", response={201: TouchpointOut}, summary="Record a touchpoint", tags=["touchpoints"])
@idempotent
def create_touchpoint(request: HttpRequest, payload: TouchpointIn) -> Status:
    return Status(201, fresh(do_record_touchpoint(by=request.user, **payload.model_dump(exclude_unset=True))))


@router.post(
    "/touchpoints/batch", response={201: TouchpointBatchOut}, summary="Record up to 1,000 touchpoints, all or nothing",
    tags=["touchpoints"],
)
@idempotent
def record_batch(request: HttpRequest, payload: TouchpointBatchIn) -> Status:
    """Every item is checked first; one bad item rejects the batch (422) with an error per item and field:
    `{"index", "field", "message", "code"}`. Nothing is written unless every item is valid."""
    ids = do_record_touchpoint_batch(by=request.user, items=payload.items)
    return Status(201, {"created": len(ids), "ids": ids})


@router.get("/touchpoints/{touchpoint_id}", response=TouchpointOut, summary="Read a touchpoint", tags=["touchpoints"])
def get_touchpoint(request: HttpRequest, touchpoint_id: IdParam) -> Touchpoint:
    can_view(request, "touchpoint")
    return get_or_404(Touchpoint.objects.all(), touchpoint_id, "touchpoint")


@router.patch(
    "/touchpoints/{touchpoint_id}", response=TouchpointOut, summary="Correct a touchpoint", tags=["touchpoints"]
)
def update_touchpoint(request: HttpRequest, touchpoint_id: IdParam, payload: TouchpointPatch) -> Touchpoint:
    touchpoint = get_or_404(Touchpoint.objects.all(), touchpoint_id, "touchpoint")
    return fresh(do_update_touchpoint(by=request.user, touchpoint=touchpoint, changes=payload.dict(exclude_unset=True)))


@router.delete(
    "/touchpoints/{touchpoint_id}", response={204: None}, summary="Delete a touchpoint", tags=["touchpoints"]
)
def delete_touchpoint(request: HttpRequest, touchpoint_id: IdParam) -> Status:
    touchpoint = get_or_404(Touchpoint.objects.all(), touchpoint_id, "touchpoint")
    do_delete_touchpoint(by=request.user, touchpoint=touchpoint)
    return Status(204, None)
