""""Own" means owner = the acting user: a rep creates and reassigns records only to themselves; managers and
admins may name another owner. Through the API, against the world of conftest.py (plain records are rep2's)."""

from __future__ import annotations

import pytest

from plumbline.crm.models import Activity, Company, Contact, Deal
from plumbline.handoff.actions import do_check_sla, do_route_lead
from plumbline.handoff.models import Assignment

pytestmark = pytest.mark.django_db

REFUSED = {"field": "owner_id", "code": "forbidden"}


def _error(response) -> dict:
    error = response.json()["errors"][0]
    return {"field": error["field"], "code": error["code"]}


def test_a_rep_cannot_log_a_call_as_another_rep_nor_stop_their_sla_clock(api, users, world):
    # given rep2's lead with a running SLA clock
    contact = world["contact"]
    contact.lifecycle_stage = "mql"
    contact.save()
    assignment = do_route_lead(contact=contact)
    assert assignment.rep == users["rep2"]
    # when rep1 logs a call on it in rep2's name
    response = api("rep1").post("/activities", {"kind": "call", "contact_id": contact.pk, "owner_id": users["rep2"].pk})
    # then it is refused on the owner field, nothing is written and rep2's clock still runs
    assert response.status_code == 403, response.content
    assert _error(response) == REFUSED
    assert not Activity.objects.filter(kind="call").exists()
    assert do_check_sla(assignment=assignment).first_touch_at is None
    assert Assignment.objects.get(pk=assignment.pk).first_touch_at is None


@pytest.mark.parametrize(("path", "body", "model"), [
    ("/contacts", {"email": "new@example.com"}, Contact),
    ("/companies", {"name": "Initech", "domain": "initech.com"}, Company),
    ("/deals", {"name": "Initech pilot"}, Deal),
    ("/activities", {"kind": "note", "subject": "Hi"}, Activity),
])
def test_a_rep_cannot_create_a_record_owned_by_another_rep(api, users, world, path, body, model):
    before = model.objects.count()
    if model is Activity:
        body = {**body, "contact_id": world["own_contact"].pk}
    response = api("rep1").post(path, {**body, "owner_id": users["rep2"].pk})
    assert response.status_code == 403, response.content
    assert _error(response) == REFUSED
    assert model.objects.count() == before


@pytest.mark.parametrize(("path", "model"), [
    ("/contacts/{own_contact}", Contact), ("/companies/{own_company}", Company), ("/deals/{own_deal}", Deal),
    ("/activities/{own_activity}", Activity),
])
def test_a_rep_cannot_hand_their_record_to_another_rep(api, users, world, path, model):
    url = path.format(**{name: obj.pk for name, obj in world.items()})
    response = api("rep1").patch(url, {"owner_id": users["rep2"].pk})
    assert response.status_code == 403, response.content
    assert _error(response) == REFUSED
    assert model.objects.get(pk=int(url.rsplit("/", 1)[1])).owner == users["rep1"]


@pytest.mark.parametrize(("path", "model"), [
    ("/contacts/{own_contact}", Contact), ("/companies/{own_company}", Company), ("/deals/{own_deal}", Deal),
])
def test_a_rep_keeps_owning_what_they_edit(api, users, world, path, model):
    url = path.format(**{name: obj.pk for name, obj in world.items()})
    response = api("rep1").patch(url, {"owner_id": users["rep1"].pk})
    assert response.status_code == 200, response.content
    assert response.json()["owner_id"] == users["rep1"].pk


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_admins_assign_to_a_rep(api, users, world, who):
    client = api(who)
    created = client.post("/contacts", {"email": "new@example.com", "owner_id": users["rep2"].pk})
    logged = client.post("/activities", {"kind": "call", "contact_id": world["contact"].pk,
                                         "owner_id": users["rep2"].pk})
    moved = client.patch(f"/deals/{world['own_deal'].pk}", {"owner_id": users["rep2"].pk})
    assert [r.status_code for r in (created, logged, moved)] == [201, 201, 200]
    assert {r.json()["owner_id"] for r in (created, logged, moved)} == {users["rep2"].pk}


def test_a_rep_creating_without_an_owner_owns_it(api, users):
    response = api("rep1").post("/contacts", {"email": "mine@example.com"})
    assert (response.status_code, response.json()["owner_id"]) == (201, users["rep1"].pk)
