"""Attribution over the CRM's own journeys: exact credits on a hand-built company (see crm_world)."""

from __future__ import annotations

import pytest

from plumbline.analytics.crm_source import credit, journeys
from plumbline.analytics.params import MODEL_NAMES, InvalidParameters, attribution_params
from tests.analytics import crm_world
from tests.analytics.crm_world import day

RANGE = {"since": "2025-01-01", "until": "2025-06-30"}


@pytest.fixture
def world(db, pipeline):
    return crm_world.build(pipeline)


def _credits(params, dimension, key="conversions"):
    result = journeys(params)
    rows = credit(result, params, dimension)
    return {r["label"]: {m: round(r[f"{m}_{key}"], 9) for m in params.models} for r in rows}


def test_mql_credits_per_campaign_for_first_last_and_linear(world):
    params = attribution_params({"event": "mql", "models": "first,last,linear", **RANGE})

    credits = _credits(params, "campaign")

    assert credits == {
        "Search ads": {"first": 1.0, "last": 1.0, "linear": round(4 / 3, 9)},
        "Webinar": {"first": 2.0, "last": 1.0, "linear": round(4 / 3, 9)},
        "Newsletter": {"first": 0.0, "last": 1.0, "linear": round(1 / 3, 9)},
    }


def test_mql_credits_per_channel_match_the_campaigns_channels(world):
    params = attribution_params({"event": "mql", "models": "first,last,linear", **RANGE})

    credits = _credits(params, "channel")

    assert credits["webinar"] == {"first": 2.0, "last": 1.0, "linear": round(4 / 3, 9)}
    assert credits["paid_search"] == {"first": 1.0, "last": 1.0, "linear": round(4 / 3, 9)}
    assert credits["email"] == {"first": 0.0, "last": 1.0, "linear": round(1 / 3, 9)}


def test_won_revenue_is_credited_per_campaign_and_content(world):
    params = attribution_params({"event": "won", "models": "first,last,linear", **RANGE})

    by_campaign = _credits(params, "campaign", "value")
    by_content = _credits(params, "content", "value")

    assert by_campaign == {
        "Search ads": {"first": 0.0, "last": 10000.0, "linear": 5000.0},
        "Webinar": {"first": 10000.0, "last": 0.0, "linear": 2500.0},
        "Newsletter": {"first": 0.0, "last": 0.0, "linear": 2500.0},
    }
    assert by_content["Ad 1"]["linear"] == 2500.0
    assert by_content["Ad 2"] == {"first": 0.0, "last": 10000.0, "linear": 2500.0}
    assert by_content["Deck"]["first"] == 10000.0


def test_lookback_window_excludes_older_touchpoints(world):
    short = attribution_params({"event": "mql", "models": "first", "lookback_days": "90", **RANGE})
    long = attribution_params({"event": "mql", "models": "first", "lookback_days": "120", **RANGE})

    assert _credits(short, "campaign")["Newsletter"]["first"] == 0.0
    assert _credits(long, "campaign")["Newsletter"]["first"] == 1.0
    assert _credits(long, "campaign")["Webinar"]["first"] == 1.0


def test_date_range_counts_only_events_inside_it(world):
    params = attribution_params({"event": "mql", "models": "first", "since": "2025-03-02", "until": "2025-03-31"})

    result = journeys(params)

    assert result.conversions == 1
    assert _credits(params, "campaign") == {"Search ads": {"first": 1.0}}


def test_company_level_rolls_up_every_contact_before_the_account_converts(world):
    mql = attribution_params({"event": "mql", "models": "first,last,linear", "level": "company", **RANGE})
    won = attribution_params({"event": "won", "models": "first,last,linear", "level": "company", **RANGE})

    mql_credits = _credits(mql, "campaign")
    won_credits = _credits(won, "campaign", "value")

    # Acme converts once (ann at T) with ann's and bob's touches; cat is an account of her own.
    assert journeys(mql).conversions == 2
    assert mql_credits == {
        "Webinar": {"first": 2.0, "last": 1.0, "linear": 1.25},
        "Search ads": {"first": 0.0, "last": 0.0, "linear": 0.5},
        "Newsletter": {"first": 0.0, "last": 1.0, "linear": 0.25},
    }
    assert won_credits == {
        "Search ads": {"first": 0.0, "last": 10000.0, "linear": 6000.0},
        "Webinar": {"first": 10000.0, "last": 0.0, "linear": 2000.0},
        "Newsletter": {"first": 0.0, "last": 0.0, "linear": 2000.0},
    }


def test_a_touchpoint_is_not_credited_to_two_conversions_of_the_same_kind(world):
    ann = world.contacts["ann"]
    crm_world.do_change_lifecycle(contact=ann, to_stage="lead", reason="Recycled", occurred_at=day(3))
    crm_world.do_change_lifecycle(contact=ann, to_stage="mql", occurred_at=day(15))
    params = attribution_params({"event": "mql", "models": "first", **RANGE})

    credits = _credits(params, "content")

    # ann's second MQL only sees "Ad 2" (T+10d): the earlier touches went to her first MQL.
    assert journeys(params).conversions == 4
    assert credits["Ad 2"]["first"] == 1.0
    assert credits["Deck"]["first"] == 2.0


def test_contacts_touched_without_converting_are_null_journeys(world):
    params = attribution_params({"event": "mql", "models": "markov", **RANGE})

    table = journeys(params).table.to_pylist()

    nulls = [row for row in table if row["nulls"] == 1.0]
    assert [(row["campaign"], row["conversions"]) for row in nulls] == [([str(world.campaigns["Newsletter"].pk)], 0.0)]


@pytest.mark.parametrize("level", ["contact", "company"])
@pytest.mark.parametrize("event", ["mql", "opportunity", "pipeline", "won"])
def test_every_model_conserves_conversions_and_value(world, event, level):
    params = attribution_params({"event": event, "level": level, "models": ",".join(MODEL_NAMES), **RANGE})
    result = journeys(params)

    for dimension in ("channel", "campaign", "content"):
        rows = credit(result, params, dimension)
        for model in MODEL_NAMES:
            assert sum(r[f"{model}_conversions"] for r in rows) == pytest.approx(result.conversions, abs=1e-9)
            assert sum(r[f"{model}_value"] for r in rows) == pytest.approx(float(result.value), abs=1e-6)


def test_bad_parameters_are_refused_naming_each_field():
    with pytest.raises(InvalidParameters) as caught:
        attribution_params({"models": "first,bogus", "order": "5", "lookback_days": "0", "event": "x",
                            "level": "team", "since": "2025-02-01", "until": "2025-01-01"})

    assert sorted(e.field for e in caught.value.errors) == ["event", "level", "lookback_days", "models", "order", "until"]
    assert caught.value.status == 422


@pytest.mark.spark
def test_crm_journeys_are_identical_on_duckdb_and_spark(world, spark):
    params = attribution_params({"event": "won", "level": "company", **RANGE})

    duck = journeys(params, engine="duckdb").table.to_pylist()
    on_spark = journeys(params, engine="spark").table.to_pylist()

    assert on_spark == duck
