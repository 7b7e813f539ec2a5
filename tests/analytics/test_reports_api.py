"""/api/v1/analytics: the same numbers as the reports, 422 naming the field, read by every campaign viewer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from tests.analytics import crm_world

RANGE = "since=2025-01-01&until=2025-06-30"


@pytest.fixture
def world(db, pipeline):
    return crm_world.build(pipeline)


def _get(tokens, who, url):
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {tokens[who]}")


def test_attribution_endpoint_returns_models_side_by_side(world, tokens):
    response = _get(tokens, "viewer", f"/api/v1/analytics/attribution?event=won&models=first,linear&dimension=campaign&{RANGE}")

    assert response.status_code == 200
    body = response.json()
    assert (body["conversions"], body["value"], body["attributed_conversions"]) == (1, 10000.0, 1)
    credits = {r["label"]: {m: c["value"] for m, c in r["credits"].items()} for r in body["rows"]}
    assert credits == {
        "Webinar": {"first": 10000.0, "linear": 2500.0},
        "Search ads": {"first": 0.0, "linear": 5000.0},
        "Newsletter": {"first": 0.0, "linear": 2500.0},
    }


def test_markov_credits_carry_the_removal_effect(world, tokens):
    body = _get(tokens, "marketing", f"/api/v1/analytics/attribution?event=mql&models=markov-2&{RANGE}").json()

    assert sum(r["credits"]["markov-2"]["conversions"] for r in body["rows"]) == pytest.approx(3.0)
    assert all(0 <= r["credits"]["markov-2"]["removal_effect"] <= 1 for r in body["rows"])


@pytest.mark.parametrize(("query", "field"), [
    ("models=first,nope", "models"), ("order=5", "order"), ("order=x", "order"), ("lookback_days=0", "lookback_days"),
    ("lookback_days=99999", "lookback_days"), ("event=signup", "event"), ("level=team", "level"),
    ("dimension=rep", "dimension"), ("since=2025-13-01", "since"), ("engine=oracle", "engine"),
])
def test_bad_attribution_parameters_are_422_naming_the_field(world, tokens, query, field):
    response = _get(tokens, "admin", f"/api/v1/analytics/attribution?{query}")

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_roi_endpoint(world, tokens):
    rows = _get(tokens, "rep1", f"/api/v1/analytics/roi?models=linear&{RANGE}").json()

    webinar = next(r for r in rows if r["campaign"] == "Webinar")
    assert (webinar["cost"], webinar["revenue"], webinar["roi"], webinar["cost_per_mql"]) == ("1000.00", "2500.00", 1.5, "750.00")


def test_funnel_speed_and_attention_endpoints(world, tokens):
    lifecycle = _get(tokens, "manager", "/api/v1/analytics/funnels/lifecycle").json()
    deals = _get(tokens, "manager", "/api/v1/analytics/funnels/deals").json()
    speed = _get(tokens, "manager", f"/api/v1/analytics/speed-to-lead?{RANGE}").json()
    attention = _get(tokens, "manager", f"/api/v1/analytics/attention?models=last&{RANGE}").json()

    assert [(r["from_stage"], r["entered"], r["converted"]) for r in lifecycle] == [
        ("subscriber", 4, 4), ("lead", 4, 3), ("mql", 3, 0)]
    assert deals["pipeline"] == "New business" and deals["rows"][-1]["to_stage"] == "Won"
    assert speed == {"assignments": [], "activities": [
        {"group": "All", "leads": 3, "touched": 0, "median_hours": None, "p75_hours": None}]}
    search = next(r for r in attention if r["campaign"] == "Search ads")
    assert (search["touches"], search["clicks"], search["revenue"]) == (3, 3, 10000.0)


def test_bad_funnel_parameter_is_422(db, tokens):
    response = _get(tokens, "admin", "/api/v1/analytics/funnels/lifecycle?group_by=weekday")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "group_by"


@pytest.mark.parametrize("url", ["/api/v1/analytics/attribution", "/api/v1/analytics/roi",
                                 "/api/v1/analytics/funnels/lifecycle", "/api/v1/analytics/funnels/deals",
                                 "/api/v1/analytics/speed-to-lead", "/api/v1/analytics/attention"])
def test_every_role_may_read_and_anonymous_may_not(db, tokens, url):
    assert Client().get(url).status_code == 401
    for who in ("admin", "marketing", "rep1", "manager", "viewer"):
        assert _get(tokens, who, url).status_code == 200, who


def test_a_user_without_a_role_is_refused(db, users, tokens):
    users["viewer"].role = ""
    users["viewer"].save(update_fields=["role"])

    response = _get(tokens, "viewer", "/api/v1/analytics/attribution")

    assert response.status_code == 403


@pytest.fixture
def committed_world(transactional_db, pipeline):
    return crm_world.build(pipeline)


def test_concurrent_report_requests_all_answer_200(committed_world, tokens):
    # Given the four DuckDB-backed reports, each asked for 6 times by 8 concurrent clients
    urls = [f"/api/v1/analytics/attribution?event=won&models=first,linear&{RANGE}",
            f"/api/v1/analytics/roi?models=linear&{RANGE}", f"/api/v1/analytics/attention?models=last&{RANGE}",
            "/api/v1/analytics/funnels/lifecycle"] * 6

    def get(url):
        try:
            return _get(tokens, "manager", url).status_code
        finally:
            connection.close()

    # When they run
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(get, urls))

    # Then every one of them is answered
    assert statuses == [200] * 24
