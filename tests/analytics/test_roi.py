"""Campaign ROI on the hand-built company: credited MQLs, pipeline and revenue against cost, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plumbline.analytics.params import attribution_params
from plumbline.analytics.roi import campaign_roi, roi_row
from tests.analytics import crm_world

RANGE = {"since": "2025-01-01", "until": "2025-06-30"}


@pytest.fixture
def world(db, pipeline):
    return crm_world.build(pipeline)


def test_roi_credits_revenue_pipeline_and_mqls_per_campaign_with_the_linear_model(world):
    rows = campaign_roi(attribution_params({"models": "linear", **RANGE}))

    table = {r["campaign"]: (r["cost"], r["mqls"], r["pipeline"], r["revenue"], r["roi"], r["cost_per_mql"])
             for r in rows}
    assert table == {
        "Newsletter": (Decimal("500.00"), 0.3333, Decimal("3333.33"), Decimal("2500.00"), 4.0, Decimal("1500.00")),
        "Search ads": (Decimal("2000.00"), 1.3333, Decimal("3333.33"), Decimal("5000.00"), 1.5, Decimal("1500.00")),
        "Webinar": (Decimal("1000.00"), 1.3333, Decimal("3333.33"), Decimal("2500.00"), 1.5, Decimal("750.00")),
    }
    assert [r["campaign"] for r in rows] == ["Newsletter", "Search ads", "Webinar"]


def test_roi_with_first_touch_gives_all_revenue_to_the_opening_campaign(world):
    rows = {r["campaign"]: r for r in campaign_roi(attribution_params({"models": "first", **RANGE}))}

    assert rows["Webinar"]["revenue"] == Decimal("10000.00")
    assert rows["Webinar"]["roi"] == 9.0
    assert rows["Search ads"]["revenue"] == Decimal("0.00")
    assert rows["Search ads"]["roi"] == -1.0
    assert rows["Newsletter"]["cost_per_mql"] is None  # no MQL opened by the newsletter


def test_roi_math_is_none_without_cost_or_mqls():
    assert roi_row(cost=Decimal("0"), mqls=0, pipeline=Decimal("5"), revenue=Decimal("10")) == {
        "roi": None, "cost_per_mql": None, "pipeline_to_cost": None}
    assert roi_row(cost=Decimal("400"), mqls=3, pipeline=Decimal("1000"), revenue=Decimal("1000")) == {
        "roi": 1.5, "cost_per_mql": Decimal("133.33"), "pipeline_to_cost": 2.5}
