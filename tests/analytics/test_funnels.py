"""Funnels on the hand-built company: stage rates, median and p75 times, cohorts, speed to lead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from plumbline.analytics.funnels import deal_funnel, funnel_params, lifecycle_funnel, speed_to_lead
from plumbline.analytics.params import InvalidParameters
from plumbline.crm.actions import do_create_deal, do_log_activity, do_move_deal
from plumbline.marketing.actions import do_delete_campaign, do_update_touchpoint
from plumbline.marketing.models import Touchpoint
from tests.analytics import crm_world
from tests.analytics.crm_world import day


@pytest.fixture
def world(db, pipeline):
    return crm_world.build(pipeline)


def _rows(rows):
    return [(r["group"], r["from_stage"], r["to_stage"], r["entered"], r["converted"], r["rate"], r["timed"],
             r["median_days"], r["p75_days"]) for r in rows]


def test_lifecycle_funnel_rates_and_times_are_exact(world):
    rows = lifecycle_funnel(funnel_params({}))

    assert _rows(rows) == [
        ("All", "subscriber", "lead", 4, 4, 1.0, 4, 170.0, 170.0),
        ("All", "lead", "mql", 4, 3, 0.75, 3, 31.0, 75.5),
        ("All", "mql", "sal", 3, 0, 0.0, 0, None, None),
    ]


def test_lifecycle_funnel_by_cohort_month_and_first_touch_channel(world):
    by_cohort = lifecycle_funnel(funnel_params({"group_by": "cohort"}))
    by_channel = lifecycle_funnel(funnel_params({"group_by": "channel"}))

    assert {r["group"] for r in by_cohort} == {"2024-08"}
    lead_to_mql = {r["group"]: (r["entered"], r["converted"], r["median_days"])
                   for r in by_channel if r["from_stage"] == "lead"}
    assert lead_to_mql == {"email": (2, 1, 120.0), "paid_search": (1, 1, 31.0), "webinar": (1, 1, 30.0)}


def _lead_to_mql(group_by: str) -> dict[str, tuple]:
    rows = lifecycle_funnel(funnel_params({"group_by": group_by}))
    return {r["group"]: (r["entered"], r["converted"], r["median_days"]) for r in rows if r["from_stage"] == "lead"}


def test_lifecycle_funnel_by_first_touch_campaign_follows_corrections_and_campaign_deletion(world):
    assert _lead_to_mql("campaign") == {
        "Newsletter": (2, 1, 120.0), "Search ads": (1, 1, 31.0), "Webinar": (1, 1, 30.0)}

    # cat's Newsletter touch (T-100d, its first) is corrected to T-1d: its Webinar touch (T-3d) is first now
    old_issue = Touchpoint.objects.get(contact=world.contacts["cat"], content="Old issue")
    do_update_touchpoint(touchpoint=old_issue, changes={"occurred_at": day(-1)})
    assert _lead_to_mql("campaign") == {
        "Newsletter": (1, 0, None), "Search ads": (1, 1, 31.0), "Webinar": (2, 2, 75.0)}

    do_delete_campaign(campaign=world.campaigns["Webinar"])
    assert _lead_to_mql("campaign") == {
        "(no campaign)": (2, 2, 75.0), "Newsletter": (1, 0, None), "Search ads": (1, 1, 31.0)}
    assert _lead_to_mql("channel") == {"email": (1, 0, None), "paid_search": (1, 1, 31.0), "webinar": (2, 2, 75.0)}


def test_funnel_date_range_selects_subjects_by_cohort(world):
    assert lifecycle_funnel(funnel_params({"since": "2024-09-01"})) == []


def test_deal_funnel_counts_skipped_stages_as_reached_and_times_consecutive_ones(world, pipeline):
    bob = world.contacts["bob"]
    second = do_create_deal(name="Acme add-on", pipeline=pipeline, amount=Decimal("500"),
                            contacts=[(bob, "champion")], occurred_at=day(10))
    do_move_deal(deal=second, stage=pipeline.stages.get(name="Demo"), occurred_at=day(14))

    found, rows = deal_funnel(funnel_params({}))

    assert found == pipeline
    assert _rows(rows) == [
        ("All", "Discovery", "Demo", 2, 2, 1.0, 1, 4.0, 4.0),
        ("All", "Demo", "Proposal", 2, 1, 0.5, 0, None, None),
        ("All", "Proposal", "Negotiation", 1, 1, 1.0, 0, None, None),
        ("All", "Negotiation", "Won", 1, 1, 1.0, 0, None, None),
    ]


def test_speed_to_lead_from_logged_sales_touches(world):
    do_log_activity(kind="call", contact=world.contacts["ann"], occurred_at=day(0) + dt.timedelta(hours=2))
    do_log_activity(kind="email", contact=world.contacts["bob"], occurred_at=day(1) + dt.timedelta(hours=5))
    do_log_activity(kind="note", contact=world.contacts["cat"], occurred_at=day(0) + dt.timedelta(hours=1))

    speed = speed_to_lead(funnel_params({"since": "2025-01-01"}))

    assert speed["activities"] == [{"group": "All", "leads": 3, "touched": 2, "median_hours": 3.5, "p75_hours": 4.25}]
    assert speed["assignments"] == []


def test_bad_funnel_parameters_name_the_field(db):
    with pytest.raises(InvalidParameters) as caught:
        funnel_params({"group_by": "weekday", "pipeline": "999999", "since": "yesterday"})

    assert sorted(e.field for e in caught.value.errors) == ["group_by", "pipeline", "since"]


@pytest.mark.spark
def test_funnel_is_identical_on_duckdb_and_spark(world, spark):
    for group_by in ("all", "cohort", "source", "channel", "campaign"):
        duck = lifecycle_funnel(funnel_params({"group_by": group_by}))
        on_spark = lifecycle_funnel(funnel_params({"group_by": group_by, "engine": "spark"}))
        assert on_spark == duck


def test_deal_funnel_puts_a_deal_without_contacts_in_none_even_ungrouped(world, pipeline):
    do_create_deal(name="Walk-in", pipeline=pipeline, amount=Decimal("100"), occurred_at=day(10))

    _, rows = deal_funnel(funnel_params({}))

    assert [(r["group"], r["from_stage"], r["entered"]) for r in rows if r["group"] == "(none)"] == [
        ("(none)", "Discovery", 1)]
    assert next(r["entered"] for r in rows if r["group"] == "All" and r["from_stage"] == "Discovery") == 1
