"""/campaigns and /touchpoints, including the all-or-nothing batch ingest."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models.functions import Lower
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

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
    requires_one_of,
    resolve_refs,
    sort_param,
    text,
    url_text,
)
from plumbline.core.errors import DomainError
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.marketing.actions import (
    MAX_BATCH,
    BatchRejected,
    do_create_campaign,
    do_delete_campaign,
    do_delete_touchpoint,
    do_record_touchpoint,
    do_record_touchpoint_batch,
    do_update_campaign,
    do_update_touchpoint,
)
from plumbline.marketing.models import Campaign, Channel, Touchpoint, TouchpointKind

router = Router(tags=["marketing"])

CAMPAIGN_SORTS = ("updated_at", "created_at", "name", "cost")
TOUCHPOINT_SORTS = ("occurred_at", "created_at")
ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
KindName = Literal[tuple(TouchpointKind.values)]  # type: ignore[valid-type]
Cost = money(max_digits=14)
Value = money(max_digits=14, minimum=None)
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


class TouchpointIn(In):
    """One touchpoint; the contact is named by `contact_id` or `contact_email`."""

    model_config = ConfigDict(json_schema_extra={"allOf": [
        requires_one_of(("contact_id",), ("contact_email",)),
        requires_one_of(("channel",), ("campaign_id",)),  # a campaign gives its channel
    ]})

    contact_id: Id | None = None
    contact_email: name_text(254) | None = None
    campaign_id: Id | None = None
    channel: ChannelName | None = None
    kind: KindName
    source: text(100) = ""
    medium: text(100) = ""
    utm_campaign: text(100) = ""
    utm_content: text(200) = ""
    utm_term: text(200) = ""
    content: text(300) = ""
    occurred_at: AwareInstant | None = None
    value: Value = Decimal(0)


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
    return Status(201, fresh(do_record_touchpoint(by=request.user, **payload.dict(exclude_unset=True))))


# What `TouchpointIn` accepts, for the batch's fast path: text fields with their length limit and whether None is
# allowed; ids are strict positive ints.
_FAST_TEXT = {"contact_email": (254, True), "source": (100, False), "medium": (100, False),
              "utm_campaign": (100, False), "utm_content": (200, False), "utm_term": (200, False),
              "content": (300, False)}
_FAST_IDS = frozenset({"contact_id", "campaign_id"})
_FAST_KINDS = frozenset(TouchpointKind.values)
_FAST_CHANNELS = frozenset(Channel.values)
_FAST_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)")
_BIGINT = 2**63


def _fast_item(raw: dict[str, Any], times: dict[str, dt.datetime]) -> dict[str, Any] | None:
    """`TouchpointIn.model_validate(raw).dict(exclude_unset=True)` for the common, plainly valid item; None when
    the item needs the schema (anything unusual or invalid), which then reports errors exactly as before.

    Building a pydantic model per item cost more than validating it; this accepts a strict subset of what the
    schema accepts and returns the same values (tests/api/test_touchpoint_batch_fast_path.py checks it).
    """
    out = dict(raw)
    if type(raw.get("kind")) is not str or raw["kind"] not in _FAST_KINDS:
        return None
    for key, value in raw.items():
        if key == "kind":
            continue
        if key in _FAST_TEXT:
            limit, nullable = _FAST_TEXT[key]
            if value is None and nullable:
                continue
            if type(value) is not str or len(value) > limit or "\x00" in value:
                return None
        elif key in _FAST_IDS:
            if value is not None and (type(value) is not int or not 1 <= value < _BIGINT):
                return None
        elif key == "channel":
            if value is not None and (type(value) is not str or value not in _FAST_CHANNELS):
                return None
        elif key == "occurred_at":
            if value is None:
                continue
            if type(value) is not str:
                return None
            when = times.get(value)
            if when is None:
                if not _FAST_TIME.fullmatch(value):
                    return None
                try:  # in UTC, as the schema's AwareInstant gives it
                    when = times[value] = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
                except (ValueError, OverflowError):
                    return None
            out[key] = when
        elif key == "value":
            if type(value) is not int or not -(10**12) < value < 10**12:
                return None
            out[key] = Decimal(value)
        else:
            return None
    return out


@router.post(
    "/touchpoints/batch", response={201: TouchpointBatchOut}, summary="Record up to 1,000 touchpoints, all or nothing",
    tags=["touchpoints"],
)
@idempotent
def record_batch(request: HttpRequest, payload: TouchpointBatchIn) -> Status:
    """Every item is checked first; one bad item rejects the batch (422) with an error per item and field:
    `{"index", "field", "message", "code"}`. Nothing is written unless every item is valid."""
    items, item_errors = [], []
    times: dict[str, dt.datetime] = {}
    for index, raw in enumerate(payload.items):
        fast = _fast_item(raw, times)
        if fast is not None:
            items.append(fast)
            continue
        try:
            items.append(TouchpointIn.model_validate(raw).dict(exclude_unset=True))
        except PydanticValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or None
                item_errors.append((index, DomainError(err["msg"], field=field, code=err["type"])))
    if item_errors:
        raise BatchRejected(item_errors)
    ids = do_record_touchpoint_batch(by=request.user, items=items)
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
