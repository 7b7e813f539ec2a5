"""Dates and times in query strings and bodies are handed on in UTC: an offset PostgreSQL refuses (ISO 8601
allows up to 23:59, PostgreSQL 15:59) is a valid instant, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from plumbline.crm.models import Activity


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/companies?updated_since=0102-01-04T22:29:40.87-20:10",
    "/activities?occurred_after=2026-01-04T22:29:40-20:10",
    "/touchpoints?created_since=2026-01-04T22:29:40%2B23:30",
    "/reports/lead-quality?since=2026-01-04T22:29:40-20:10",
])
def test_a_far_offset_in_a_query_is_an_instant(api, world, path):
    response = api("admin").get(path)
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_far_offset_in_a_body_is_stored_as_its_instant(api, world):
    # when an activity is logged at 10:00 at offset -20:10
    response = api("admin").post("/activities", {"kind": "note", "subject": "x", "contact_id": world["contact"].pk,
                                                 "occurred_at": "2026-11-01T10:00:00-20:10"})
    # then it is stored as that instant
    assert response.status_code == 201
    stored = Activity.objects.get(pk=response.json()["id"]).occurred_at
    assert stored == dt.datetime(2026, 11, 2, 6, 10, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_an_instant_without_a_utc_value_is_refused(api, world):
    response = api("admin").get("/companies?updated_since=0001-01-01T00:00:00%2B05:00")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "updated_since"
