import pytest

from plumbline.playbook.actions import do_create_messaging_item, do_log_objection
from plumbline.playbook.models import DealQualification, Framework, Objection

ROLES = ("admin", "marketing", "rep1", "manager", "viewer")


def allowed(*codes):
    return dict(zip(ROLES, codes, strict=True))


@pytest.mark.django_db
def test_get_and_put_qualification_returns_answers_and_completeness(api, world):
    r = api("rep2").send("put", f"/deals/{world.deal.pk}/qualification", {"answers": [
        {"criterion": "budget", "value": "40000", "status": "confirmed"},
        {"criterion": "timeline", "value": "2026-10-01", "status": "partial"},
    ]})
    assert r.status_code == 200
    body = r.json()
    assert (body["deal_id"], body["framework_name"], body["completeness"]) == (world.deal.pk, "BANT", 0.375)
    assert [(a["key"], a["value"], a["status"]) for a in body["answers"]] == [
        ("budget", "40000", "confirmed"), ("authority", "", "unknown"), ("need", "", "unknown"),
        ("timeline", "2026-10-01", "partial")]
    assert api("viewer").get(f"/deals/{world.deal.pk}/qualification").json()["completeness"] == 0.375


@pytest.mark.django_db
def test_bad_qualification_input_is_a_4xx_naming_the_field(api, world):
    r = api("rep2").send("put", f"/deals/{world.deal.pk}/qualification", {"answers": [
        {"criterion": "budget", "value": "much", "status": "confirmed"}]})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (400, "answers.0.value")
    r = api("rep2").send("put", f"/deals/{world.deal.pk}/qualification", {"answers": [
        {"criterion": "budget", "status": "certain"}]})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "answers.0.status")
    r = api("rep2").send("put", f"/deals/{world.deal.pk}/qualification", {"answers": [], "extra": 1})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "extra")
    assert api("rep2").send("put", "/deals/999999/qualification", {"answers": []}).status_code == 404
    assert DealQualification.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("who,status", allowed(200, 403, 403, 200, 403).items())
def test_qualification_put_follows_deal_permissions(api, world, who, status):
    r = api(who).send("put", f"/deals/{world.deal.pk}/qualification",
                      {"answers": [{"criterion": "need", "status": "partial"}]})
    assert r.status_code == status
    own = api(who).send("put", f"/deals/{world.own_deal.pk}/qualification", {"answers": []})
    assert own.status_code == {"rep1": 200}.get(who, status)


@pytest.mark.django_db
@pytest.mark.parametrize("who,status", allowed(201, 403, 403, 201, 403).items())
def test_frameworks_are_managed_by_admins_and_sales_managers(api, world, who, status):
    r = api(who).send("post", "/frameworks", {"template": "meddpicc", "name": f"MEDDPICC {who}"})
    assert r.status_code == status
    assert api(who).get("/frameworks").status_code == 200
    if status == 201:
        body = r.json()
        assert (body["template"], len(body["criteria"]), body["pipeline_ids"]) == ("meddpicc", 8, [])
        put = api(who).send("put", f"/pipelines/{world.deal.pipeline_id}/framework", {"framework_id": body["id"]})
        assert put.json() == {"pipeline_id": world.deal.pipeline_id, "framework_id": body["id"]}
        assert api(who).send("delete", f"/frameworks/{body['id']}").status_code == 409
    else:
        r = api(who).send("put", f"/pipelines/{world.deal.pipeline_id}/framework", {"framework_id": None})
        assert r.status_code == 403


@pytest.mark.django_db
def test_framework_crud_and_bad_criteria(api, world):
    admin = api("admin")
    r = admin.send("post", "/frameworks", {"name": "Ours", "criteria": [
        {"key": "pain", "label": "Pain", "weight": 2}, {"key": "pain", "label": "Pain again"}]})
    assert (r.status_code, [e["field"] for e in r.json()["errors"]]) == (400, ["criteria.1.key"])
    r = admin.send("post", "/frameworks", {"name": "Ours", "criteria": [{"key": "pain", "label": "Pain", "weight": -1}]})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "criteria.0.weight")
    r = admin.send("post", "/frameworks", {"template": "sandler"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "template")
    r = admin.send("post", "/frameworks", {"name": "Ours", "criteria": [{"key": "pain", "label": "Pain", "weight": 2}]})
    assert r.status_code == 201
    fid = r.json()["id"]
    r = admin.send("patch", f"/frameworks/{fid}", {"name": "Ours v2"})
    assert (r.json()["name"], r.json()["criteria"][0]["weight"]) == ("Ours v2", 2.0)
    assert admin.send("patch", f"/frameworks/{fid}", {"name": "BANT"}).status_code == 409
    assert admin.send("delete", f"/frameworks/{fid}").status_code == 204
    assert not Framework.objects.filter(pk=fid).exists()
    assert [t["key"] for t in admin.get("/framework-templates").json()] == [
        "bant", "meddic", "meddpicc", "neat", "champ", "spin"]


@pytest.mark.django_db
def test_objections_create_list_filter_and_update_outcome(api, world, users):
    r = api("rep2").send("post", "/objections", {"category": "competitor", "verbatim": "We use Hubspot.",
                                                 "deal_id": world.deal.pk, "contact_id": world.contact.pk})
    assert r.status_code == 201
    body = r.json()
    assert (body["stage"], body["lifecycle_stage"], body["campaign"], body["channel"], body["segment"],
            body["outcome"], body["logged_by_id"]) == (
        "Discovery", "sql", "Search ads", "paid_search", "Software", "open", users["rep2"].pk)
    do_log_objection(category="price", verbatim="Too much", contact=world.contact)
    assert [o["category"] for o in api("viewer").get("/objections").json()["items"]] == ["price", "competitor"]
    assert [o["id"] for o in api("viewer").get("/objections", category="competitor").json()["items"]] == [body["id"]]
    assert api("viewer").get("/objections", deal_id=world.deal.pk).json()["items"][0]["id"] == body["id"]
    assert api("viewer").get("/objections", category="mood").status_code == 422
    assert api("rep1").send("patch", f"/objections/{body['id']}", {"outcome": "resolved"}).status_code == 403
    r = api("rep2").send("patch", f"/objections/{body['id']}", {"outcome": "resolved", "outcome_note": "Migrated"})
    assert (r.status_code, r.json()["outcome"], r.json()["outcome_note"]) == (200, "resolved", "Migrated")
    r = api("rep2").send("patch", f"/objections/{body['id']}", {"outcome": "won"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "outcome")


@pytest.mark.django_db
def test_bad_objections_are_4xx_with_field_and_write_nothing(api, world):
    rep = api("rep2")
    cases = [
        ({"category": "price", "verbatim": "x"}, 400, "contact_id"),
        ({"category": "price", "verbatim": "x", "deal_id": 999999}, 422, "deal_id"),
        ({"category": "price", "verbatim": "", "deal_id": world.deal.pk}, 400, "verbatim"),
        ({"category": "mood", "verbatim": "x", "deal_id": world.deal.pk}, 422, "category"),
        ({"category": "price", "verbatim": 5, "deal_id": world.deal.pk}, 422, "verbatim"),
        ({"category": "price", "verbatim": "x", "deal_id": world.deal.pk, "occurred_at": "2999-01-01T00:00:00Z"},
         400, "occurred_at"),
    ]
    for body, status, field in cases:
        r = rep.send("post", "/objections", body)
        assert (r.status_code, r.json()["errors"][0]["field"]) == (status, field), body
    assert api("viewer").send("post", "/objections", {"category": "price", "verbatim": "x",
                                                      "deal_id": world.deal.pk}).status_code == 403
    assert api(None).get("/objections").status_code == 401
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_objection_report_through_the_api(api, world, users):
    for category in ("price", "trust"):
        do_log_objection(by=users["rep2"], category=category, verbatim="…", deal=world.deal)
    r = api("marketing").get("/reports/objections", group_by="segment")
    assert r.status_code == 200
    [row] = r.json()
    assert (row["group"], row["total"], row["open"], row["by_category"]["price"], row["by_category"]["trust"]) == (
        "Software", 2, 2, 1, 1)
    assert api("marketing").get("/reports/objections", group_by="planet").status_code == 422
    assert api("marketing").get("/reports/objections", since="2999-01-01T00:00:00Z").json() == []


@pytest.mark.django_db
def test_messaging_crud_filters_and_suggestions(api, users):
    m = api("marketing")
    persona = m.send("post", "/messaging", {"kind": "persona", "title": "CFO"}).json()
    r = m.send("post", "/messaging", {"kind": "objection_response", "title": "ROI in 6 months", "body": "Show the sheet.",
                                      "objection_category": "price", "funnel_stage": "decision",
                                      "persona_id": persona["id"]})
    assert r.status_code == 201
    item = r.json()
    assert (item["persona_id"], item["owner_id"]) == (persona["id"], users["marketing"].pk)
    assert [i["title"] for i in api("rep1").get("/messaging", objection_category="price").json()] == ["ROI in 6 months"]
    assert [i["title"] for i in api("rep1").get("/messaging", kind="persona").json()] == ["CFO"]
    assert [i["id"] for i in api("rep1").get("/messaging/suggestions", category="price").json()] == [item["id"]]
    assert api("rep1").send("post", "/messaging", {"kind": "persona", "title": "Mine"}).status_code == 403
    r = m.send("post", "/messaging", {"kind": "objection_response", "title": "No category"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (400, "objection_category")
    r = m.send("post", "/messaging", {"kind": "value_proposition", "title": "x", "persona_id": 999999})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "persona_id")
    r = m.send("post", "/messaging", {"kind": "value_proposition", "title": "x", "persona_id": item["id"]})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (400, "persona_id")
    r = m.send("patch", f"/messaging/{item['id']}", {"funnel_stage": "retention"})
    assert r.json()["funnel_stage"] == "retention"
    assert api("viewer").send("delete", f"/messaging/{item['id']}").status_code == 403
    assert m.send("delete", f"/messaging/{item['id']}").status_code == 204
    assert api("rep1").get(f"/messaging/{item['id']}").status_code == 404


@pytest.mark.django_db
def test_list_endpoints_use_a_fixed_number_of_queries(api, world, users, django_assert_max_num_queries):
    for n in range(5):
        do_log_objection(by=users["rep2"], category="price", verbatim=f"#{n}", deal=world.deal, contact=world.contact)
        do_create_messaging_item(kind="objection_response", title=f"R{n}", objection_category="price")
    client = api("viewer")
    client.get("/messaging")  # the token's first use notes last_used_at; the lists' queries are counted after
    with django_assert_max_num_queries(6):
        assert len(client.get("/objections").json()["items"]) == 5
    with django_assert_max_num_queries(6):
        assert len(client.get("/messaging").json()) == 5


@pytest.mark.django_db
def test_nul_characters_are_refused_before_the_database(api, world, client_for):
    r = api("rep2").send("post", "/objections", {"category": "price", "verbatim": "a\x00b", "deal_id": world.deal.pk})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "verbatim")
    r = api("rep2").send("put", f"/deals/{world.deal.pk}/qualification", {"answers": [
        {"criterion": "need", "value": "a\x00", "status": "partial"}]})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "answers.0.value")
    assert api("rep2").get("/messaging", q="a\x00").status_code == 422
    assert client_for("rep2").get("/playbook/messaging/?q=a%00b").status_code == 200
    assert Objection.objects.count() == 0
