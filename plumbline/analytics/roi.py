"""Campaign ROI: what each campaign cost against the MQLs, pipeline and revenue credited to it.

Credits come from one attribution model (the first of `params.models`) over the CRM's journeys
(`crm_source`): MQLs credited (event mql), pipeline credited (open or won deals created, valued at their
amount) and revenue credited (won deals, at their amount), all in the date range. Cost is the
campaign's whole recorded cost. ROI = (revenue - cost) / cost; cost per MQL = cost / credited MQLs;
both are None when their denominator is zero.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from plumbline.analytics import crm_source, queries
from plumbline.analytics.params import AttributionParams

CENT = Decimal("0.01")


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def roi_row(*, cost: Decimal, mqls: float, pipeline: Decimal, revenue: Decimal) -> dict[str, Any]:
    """The ratios of one campaign."""
    return {
        "roi": round(float((revenue - cost) / cost), 4) if cost > 0 else None,
        "cost_per_mql": money(cost / Decimal(str(mqls))) if mqls > 0 else None,
        "pipeline_to_cost": round(float(pipeline / cost), 4) if cost > 0 else None,
    }


def campaign_roi(params: AttributionParams) -> list[dict[str, Any]]:
    """One row per campaign (by name): cost, credited MQLs, won deals, pipeline and revenue, ROI."""
    model = params.models[0]
    one = replace(params, models=(model,), dimension="campaign")
    credited: dict[str, dict[str, dict[str, Any]]] = {}
    for event in ("mql", "pipeline", "won"):
        result = crm_source.journeys(replace(one, event=event), engine=params.engine)
        credited[event] = {r["key"]: r for r in crm_source.credit(result, one, "campaign")}
    rows = []
    for campaign in queries.campaigns():
        key = str(campaign["id"])
        cost = Decimal(campaign["cost"])
        mqls = credited["mql"].get(key, {}).get(f"{model}_conversions", 0.0)
        pipeline = money(credited["pipeline"].get(key, {}).get(f"{model}_value", 0.0))
        revenue = money(credited["won"].get(key, {}).get(f"{model}_value", 0.0))
        rows.append({
            "campaign_id": campaign["id"], "campaign": campaign["name"], "channel": campaign["channel"],
            "currency": campaign["currency"], "cost": money(cost), "mqls": round(mqls, 4),
            "won_deals": round(credited["won"].get(key, {}).get(f"{model}_conversions", 0.0), 4),
            "pipeline": pipeline, "revenue": revenue,
            **roi_row(cost=cost, mqls=mqls, pipeline=pipeline, revenue=revenue),
        })
    return rows
