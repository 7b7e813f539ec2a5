"""Ids in paths, query strings and bodies are bounded (1 to 2**63-1): a larger number is a 422 naming the
parameter, never a 500 (SQLite cannot compare a column with it), and a missing parent is a 404, not `[]`."""

from __future__ import annotations

import pytest

HUGE = 99999999999999999999  # > 2**64

READS = [
    (f"/contacts/{HUGE}/assignments", "contact_id"),
    (f"/contacts/{HUGE}", "contact_id"),
    (f"/contacts/{HUGE}/timeline", "contact_id"),
    (f"/deals/{HUGE}/qualification", "deal_id"),
    (f"/handoff/assignments/{HUGE}", "assignment_id"),
    (f"/contacts?owner={HUGE}", "owner"),
    (f"/contacts?company={HUGE}", "company"),
    (f"/deals?contact={HUGE}", "contact"),
    (f"/activities?deal={HUGE}", "deal"),
    (f"/touchpoints?contact={HUGE}", "contact"),
    (f"/objections?deal_id={HUGE}", "deal_id"),
    (f"/merges?contact={HUGE}", "contact"),
    (f"/definitions/versions/{2**63}", "number"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "field"), READS)
def test_a_huge_id_is_refused_as_invalid(api, world, path, field):
    # when admin reads with an id beyond any row's
    response = api("admin").get(path)
    # then the request is refused naming the parameter, rather than failing
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["code"] == "less_than_equal"
    assert error["field"] == field


@pytest.mark.django_db
def test_a_huge_id_in_a_body_is_refused_as_invalid(api, world):
    # when admin logs an activity for a contact id beyond any row's
    response = api("admin").post("/activities", {"kind": "note", "subject": "x", "contact_id": 2**64})
    # then it is refused naming the field
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contact_id"


@pytest.mark.django_db
def test_the_largest_id_is_valid_and_names_nothing(api, world):
    # when admin reads contact 2**63-1 (a valid id that no row has)
    response = api("admin").get(f"/contacts/{2**63 - 1}")
    # then it is simply not found
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_assignments_of_a_missing_contact_are_not_found(api, world):
    # given a contact id that no row has
    missing = world["contact"].pk + 1000
    # when admin reads its handoff history
    response = api("admin").get(f"/contacts/{missing}/assignments")
    # then it is a 404 rather than an empty list
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    # and an existing contact without assignments is an empty list
    assert api("admin").get(f"/contacts/{world['contact'].pk}/assignments").json() == []
