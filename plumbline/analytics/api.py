"""/analytics: attribution over the CRM's journeys, campaign ROI, funnels, speed to lead, attention vs
conversion. Everyone who may view campaigns may read them. Parameters are validated by the same parsers
as the pages: a bad value is a 422 naming the field."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from plumbline.analytics.attribution import MAX_ORDER
from plumbline.analytics.engines import ENGINES
from plumbline.analytics.params import (
    DIMENSIONS,
    EVENTS,
    GROUPS,
    LEVELS,
    MAX_LOOKBACK_DAYS,
    MODEL_NAMES,
    attribution_params,
)
from plumbline.core.api_helpers import MAX_ID, can_view

router = Router(tags=["analytics"])

# The report modules (crm_source, funnels, roi) compute with Ibis, pandas and pyarrow: each endpoint imports
# the one it runs, so loading the URLconf (every command's system checks, a worker's start) does not.


# The parsers take text (as the pages send it); the schema states what they accept.
def _documented(**schema: Any) -> Any:
    return Field(None, json_schema_extra=schema)


_MODEL_NAME = "|".join(re.escape(m) for m in MODEL_NAMES)
_DAY = _documented(format="date", description="A day (UTC), YYYY-MM-DD; `until` is included and not before `since`.")
_ENGINE = _documented(enum=list(ENGINES))


class AttributionQuery(Schema):
    event: str | None = _documented(enum=list(EVENTS))
    models: str | None = _documented(pattern=rf"^({_MODEL_NAME})(,({_MODEL_NAME}))*$",
                                     description="Comma-separated model names.")
    order: str | None = _documented(type="integer", minimum=1, maximum=MAX_ORDER)
    lookback_days: str | None = _documented(type="integer", minimum=1, maximum=MAX_LOOKBACK_DAYS)
    half_life_days: str | None = _documented(type="number", exclusiveMinimum=0, maximum=3650)
    since: str | None = _DAY
    until: str | None = _DAY
    level: str | None = _documented(enum=list(LEVELS))
    dimension: str | None = _documented(enum=list(DIMENSIONS))
    engine: str | None = _ENGINE


class FunnelQuery(Schema):
    since: str | None = _DAY
    until: str | None = _DAY
    group_by: str | None = _documented(enum=list(GROUPS))
    pipeline: str | None = _documented(type="integer", minimum=1, maximum=MAX_ID, description="A pipeline's id.")
    engine: str | None = _ENGINE


class ModelCredit(Schema):
    conversions: float
    value: float
    removal_effect: float | None = None


class CreditRow(Schema):
    key: str
    label: str
    campaign_id: int | None
    credits: dict[str, ModelCredit]


class AttributionOut(Schema):
    event: str
    models: list[str]
    order: int
    level: str
    dimension: str
    lookback_days: int
    since: dt.datetime | None
    until: dt.datetime | None
    conversions: int
    value: float
    attributed_conversions: int
    attributed_value: float
    unattributed_conversions: int
    journeys: int
    rows: list[CreditRow]


class RoiRow(Schema):
    campaign_id: int
    campaign: str
    channel: str
    currency: str
    cost: Decimal
    mqls: float
    won_deals: float
    pipeline: Decimal
    revenue: Decimal
    roi: float | None
    cost_per_mql: Decimal | None
    pipeline_to_cost: float | None


class FunnelRow(Schema):
    group: str
    step: int
    from_stage: str
    to_stage: str
    entered: int
    converted: int
    rate: float
    timed: int
    median_days: float | None
    p75_days: float | None


class DealFunnelOut(Schema):
    pipeline_id: int | None
    pipeline: str | None
    rows: list[FunnelRow]


class SpeedRow(Schema):
    group: str
    leads: int
    touched: int
    median_hours: float | None
    p75_hours: float | None


class SpeedOut(Schema):
    assignments: list[SpeedRow]
    activities: list[SpeedRow]


class AttentionRow(Schema):
    campaign: str
    campaign_id: int | None
    touches: int
    contacts: int
    opens: int
    clicks: int
    page_views: int
    pipeline: float
    revenue: float
    won_deals: float


@router.get("/analytics/attribution", response=AttributionOut,
            summary="Credit conversions and value per channel, campaign or content, models side by side")
def attribution(request: HttpRequest, query: Query[AttributionQuery]) -> dict[str, Any]:
    can_view(request, "campaign")
    from plumbline.analytics import crm_source

    params = attribution_params(query.dict())
    return {"event": params.event, "models": list(params.models), "order": params.order, "level": params.level,
            "dimension": params.dimension, "lookback_days": params.lookback_days, "since": params.since,
            "until": params.until, **crm_source.report(params)}


@router.get("/analytics/roi", response=list[RoiRow], summary="Campaign ROI: credited revenue and pipeline vs cost")
def campaign_roi(request: HttpRequest, query: Query[AttributionQuery]) -> list[dict[str, Any]]:
    can_view(request, "campaign")
    from plumbline.analytics import roi

    return roi.campaign_roi(attribution_params(query.dict()))


@router.get("/analytics/funnels/lifecycle", response=list[FunnelRow], summary="Lifecycle stage-to-stage funnel")
def lifecycle_funnel(request: HttpRequest, query: Query[FunnelQuery]) -> list[dict[str, Any]]:
    can_view(request, "campaign")
    from plumbline.analytics import funnels

    return funnels.lifecycle_funnel(funnels.funnel_params(query.dict()))


@router.get("/analytics/funnels/deals", response=DealFunnelOut, summary="Deal stage-to-stage funnel of a pipeline")
def deal_funnel(request: HttpRequest, query: Query[FunnelQuery]) -> dict[str, Any]:
    can_view(request, "campaign")
    from plumbline.analytics import funnels

    pipeline, rows = funnels.deal_funnel(funnels.funnel_params(query.dict()))
    return {"pipeline_id": pipeline.pk if pipeline else None, "pipeline": pipeline.name if pipeline else None,
            "rows": rows}


@router.get("/analytics/speed-to-lead", response=SpeedOut, summary="Hours from MQL to the first sales touch")
def speed_to_lead(request: HttpRequest, query: Query[FunnelQuery]) -> dict[str, Any]:
    can_view(request, "campaign")
    from plumbline.analytics import funnels

    return funnels.speed_to_lead(funnels.funnel_params(query.dict()))


@router.get("/analytics/attention", response=list[AttentionRow],
            summary="Per campaign: opens, clicks, page views against credited pipeline and revenue")
def attention(request: HttpRequest, query: Query[AttributionQuery]) -> list[dict[str, Any]]:
    can_view(request, "campaign")
    from plumbline.analytics import funnels

    return funnels.attention_vs_conversion(attribution_params(query.dict()))
