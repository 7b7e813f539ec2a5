"""The batch endpoint skips the per-item schema for plainly valid items; it must never change the outcome."""

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from plumbline.marketing.api import TouchpointIn, _fast_item

CASES = [
    {"contact_email": "a@example.com", "kind": "page_view", "channel": "seo", "occurred_at": "2026-11-01T10:00:00Z"},
    {"contact_id": 5, "kind": "email_open", "campaign_id": 3, "value": 12, "utm_campaign": "x" * 100},
    {"contact_id": 5, "kind": "email_open", "occurred_at": "2026-11-01T10:00:00.123456+05:30"},
    {"contact_id": 5, "kind": "email_open", "occurred_at": "2026-11-01T10:00-01:00", "channel": None},
    {"contact_email": None, "contact_id": 1, "kind": "call", "occurred_at": None, "content": ""},
    # everything below must go to the schema (the fast path answers None), valid or not
    {"contact_id": 5, "kind": "email_open", "occurred_at": "2026-11-01T10:00:00"},  # naive
    {"contact_id": 5, "kind": "email_open", "occurred_at": "2026-02-30T10:00:00Z"},
    {"contact_id": 5, "kind": "email_open", "occurred_at": "2026-11-01 10:00:00Z"},
    {"contact_id": 5, "kind": "email_open", "occurred_at": 1700000000},
    {"contact_id": 5, "kind": "email_open", "occurred_at": "2026-11-01T24:00:00Z"},
    {"contact_id": 5, "kind": "email_open", "value": 1.5},
    {"contact_id": 5, "kind": "email_open", "value": "3.20"},
    {"contact_id": 5, "kind": "email_open", "value": 10**12},
    {"contact_id": 5, "kind": "email_open", "value": True},
    {"contact_id": True, "kind": "email_open"},
    {"contact_id": 0, "kind": "email_open"},
    {"contact_id": "7", "kind": "email_open"},
    {"contact_id": 2**64, "kind": "email_open"},
    {"contact_id": 5, "kind": "teleport"},
    {"contact_id": 5, "kind": ["page_view"]},
    {"contact_id": 5},
    {"contact_id": 5, "kind": "page_view", "channel": "carrier_pigeon"},
    {"contact_id": 5, "kind": "page_view", "channel": {"a": 1}},
    {"contact_id": 5, "kind": "page_view", "content": "x" * 301},
    {"contact_id": 5, "kind": "page_view", "content": "nul\x00"},
    {"contact_id": 5, "kind": "page_view", "source": None},
    {"contact_id": 5, "kind": "page_view", "source": 12},
    {"contact_id": 5, "kind": "page_view", "colour": "red"},
]


def _schema(raw):
    try:
        return TouchpointIn.model_validate(raw).dict(exclude_unset=True)
    except ValidationError:
        return "invalid"


@pytest.mark.parametrize("raw", CASES)
def test_the_fast_path_gives_what_the_schema_gives_or_steps_aside(raw):
    fast = _fast_item(raw, {})
    if fast is not None:
        assert fast == _schema(raw)
        assert {k: type(v) for k, v in fast.items()} == {k: type(v) for k, v in _schema(raw).items()}


def test_the_common_item_takes_the_fast_path():
    fast = _fast_item(CASES[0], {})
    assert fast["occurred_at"] == dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    assert _fast_item(CASES[1], {})["value"] == Decimal(12)
    assert all(_fast_item(raw, {}) is None for raw in CASES[5:])


@pytest.mark.django_db
def test_batch_errors_are_the_same_for_items_the_fast_path_steps_aside_from(api, world):
    response = api("marketing").post("/touchpoints/batch", {"items": [
        {"contact_id": world["contact"].pk, "kind": "page_view", "channel": "seo"},
        {"contact_id": world["contact"].pk, "kind": "page_view", "occurred_at": "2026-11-01T10:00:00"},
        {"contact_id": world["contact"].pk, "kind": "page_view", "channel": "seo", "value": "3.20"},
    ]})
    assert response.status_code == 422
    assert [(e["index"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (1, "occurred_at", "timezone_aware")]


def test_an_offset_postgresql_refuses_is_stored_in_utc():
    # ISO 8601 allows offsets up to 23:59; PostgreSQL only up to 15:59, so both paths hand on UTC
    raw = {"contact_id": 5, "kind": "email_open", "occurred_at": "2026-11-01T10:00:00-20:10"}
    for item in (_fast_item(raw, {}), _schema(raw)):
        assert item["occurred_at"] == dt.datetime(2026, 11, 2, 6, 10, tzinfo=dt.UTC)
        assert item["occurred_at"].utcoffset() == dt.timedelta(0)


def test_an_instant_without_a_utc_value_is_refused():
    raw = {"contact_id": 5, "kind": "email_open", "occurred_at": "0001-01-01T00:00:00+05:00"}
    assert _fast_item(raw, {}) is None
    assert _schema(raw) == "invalid"
