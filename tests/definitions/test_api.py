import copy

import pytest
from django.test import Client


def call(tokens, who, method, path, **kw):
    return getattr(Client(), method)(f"/api/v1{path}", headers={"Authorization": f"Bearer {tokens[who]}"},
                                     content_type="application/json", **kw)


@pytest.mark.django_db
def test_admin_publishes_a_version_and_everyone_reads_the_diff(tokens):
    current = call(tokens, "viewer", "get", "/definitions/current").json()
    assert current["number"] == 1
    body = copy.deepcopy(current["body"])
    body["engagement"]["half_life_days"] = 14
    r = call(tokens, "admin", "post", "/definitions", data={"body": body, "note": "Faster decay"})
    assert (r.status_code, r.json()["number"], r.json()["created_by"]) == (201, 2, "admin")
    diff = call(tokens, "rep1", "get", "/definitions/diff?old=1&new=2").json()
    assert diff == [{"path": "engagement.half_life_days", "change": "changed", "old": 30.0, "new": 14.0}]
    assert [v["number"] for v in call(tokens, "rep1", "get", "/definitions/versions").json()] == [2, 1]


@pytest.mark.django_db
def test_non_admin_cannot_publish_and_bad_bodies_name_the_field(tokens):
    body = call(tokens, "admin", "get", "/definitions/current").json()["body"]
    assert call(tokens, "marketing", "post", "/definitions", data={"body": body, "note": "x"}).status_code == 403
    bad = copy.deepcopy(body)
    bad["sla"]["timezone"] = "Mars/Olympus"
    r = call(tokens, "admin", "post", "/definitions", data={"body": bad, "note": "x"})
    assert r.status_code == 422  # the body's schema is the document's, checked as every request body is
    assert r.json()["errors"][0]["field"] == "sla.timezone"
    assert call(tokens, "admin", "get", "/definitions/versions/9").status_code == 404
    assert call(tokens, "admin", "get", "/definitions/diff?old=1&new=9").status_code == 404


@pytest.mark.django_db
def test_working_hours_with_an_offset_are_refused_not_a_server_error(tokens):
    # given the current definitions with working hours that carry a UTC offset (found by the schemathesis run)
    body = copy.deepcopy(call(tokens, "admin", "get", "/definitions/current").json()["body"])
    body["sla"]["working_hours"]["start"] = "09:00:00+01:00"
    # when an admin publishes them
    r = call(tokens, "admin", "post", "/definitions", data={"body": body, "note": "Offsets"})
    # then the field is named, nothing is stored
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["sla.working_hours.start"]
    assert call(tokens, "admin", "get", "/definitions/current").json()["number"] == 1
