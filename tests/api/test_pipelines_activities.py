import pytest

from plumbline.crm.models import Activity, Pipeline


@pytest.mark.django_db
def test_pipeline_crud_with_ordered_stages(api, users, pipeline):
    manager = api("manager")
    created = manager.post("/pipelines", {"name": "Renewals", "stages": [
        {"name": "Due", "probability": 50}, {"name": "Renewed", "probability": 100, "kind": "won"},
        {"name": "Churned", "kind": "lost"}]})
    assert created.status_code == 201
    body = created.json()
    assert [(s["name"], s["position"], s["probability"], s["kind"]) for s in body["stages"]] == [
        ("Due", 0, 50, "open"), ("Renewed", 1, 100, "won"), ("Churned", 2, 0, "lost")]
    assert body["is_default"] is False
    renamed = manager.patch(f"/pipelines/{body['id']}", {"name": "Renewals 2026", "is_default": True}).json()
    assert (renamed["name"], renamed["is_default"]) == ("Renewals 2026", True)
    assert Pipeline.objects.get(pk=pipeline.pk).is_default is False
    assert manager.delete(f"/pipelines/{body['id']}").status_code == 204


@pytest.mark.django_db
def test_pipeline_with_deals_cannot_be_deleted_and_bad_stages_are_refused(api, world):
    admin = api("admin")
    response = admin.delete(f"/pipelines/{world['pipeline'].pk}")
    assert response.status_code == 409
    response = admin.post("/pipelines", {"name": "X", "stages": [{"name": "A", "probability": 101}]})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "stages.0.probability")
    response = admin.post("/pipelines", {"name": "X", "stages": [{"name": "A"}, {"name": "A"}]})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "stages")
    response = admin.post("/pipelines", {"name": "New business", "stages": [{"name": "A"}]})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "name")
    response = admin.patch(f"/pipelines/{world['pipeline'].pk}", {"is_default": False})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "is_default")
    assert Pipeline.objects.count() == 2


@pytest.mark.django_db
def test_activity_crud_and_shape_rules(api, world, users):
    rep = api("rep1")
    contact = world["own_contact"]
    call = rep.post("/activities", {"kind": "call", "contact_id": contact.pk, "outcome": "left_voicemail",
                                    "duration_minutes": 3, "occurred_at": "2026-02-01T09:00:00Z"})
    assert call.status_code == 201
    body = call.json()
    assert (body["owner_id"], body["company_id"], body["outcome"], body["occurred_at"]) == (
        users["rep1"].pk, world["own_company"].pk, "left_voicemail", "2026-02-01T09:00:00Z")
    # only calls have outcomes; an activity needs something to belong to
    bad = rep.post("/activities", {"kind": "note", "contact_id": contact.pk, "outcome": "connected"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "outcome")
    orphan = rep.post("/activities", {"kind": "note", "body": "floating"})
    assert (orphan.status_code, orphan.json()["errors"][0]["field"]) == (400, "contact_id")
    naive = rep.post("/activities", {"kind": "note", "contact_id": contact.pk, "occurred_at": "2026-02-01T09:00"})
    assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "occurred_at")
    patched = rep.patch(f"/activities/{body['id']}", {"subject": "Follow-up"}).json()
    assert patched["subject"] == "Follow-up"
    assert rep.delete(f"/activities/{body['id']}").status_code == 204
    assert Activity.objects.filter(kind="call").count() == 0


@pytest.mark.django_db
def test_activity_filters(api, world, users):
    admin = api("admin")
    admin.post("/activities", {"kind": "task", "deal_id": world["deal"].pk, "due_at": "2026-05-01T00:00:00Z"})

    def subjects_kinds(**params):
        response = admin.get("/activities", **params)
        assert response.status_code == 200, response.content
        return sorted((a["kind"], a["subject"]) for a in response.json()["items"])

    assert subjects_kinds(contact=world["contact"].pk) == [("note", "Intro")]
    assert subjects_kinds(owner=users["rep1"].pk) == [("note", "Mine")]
    assert subjects_kinds(kind="task") == [("task", "")]
    assert subjects_kinds(deal=world["deal"].pk) == [("task", "")]
    assert subjects_kinds(open_tasks=True) == [("task", "")]
    assert subjects_kinds(company=world["company"].pk) == [("note", "Intro")]
