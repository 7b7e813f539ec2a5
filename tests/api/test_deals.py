import pytest

from plumbline.crm.models import Deal, DealContact, DealTransition


@pytest.mark.django_db
def test_create_deal_with_contacts_starts_in_first_stage(api, world, users):
    response = api("rep1").post("/deals", {
        "name": "Acme renewal", "amount": "9000.50", "currency": "eur", "expected_close_date": "2026-06-30",
        "company_id": world["company"].pk, "contacts": [{"contact_id": world["contact"].pk, "role": "economic_buyer"}],
    })
    assert response.status_code == 201
    body = response.json()
    assert (body["stage_id"], body["pipeline_id"], body["amount"], body["currency"], body["owner_id"]) == (
        world["pipeline"].stages.get(name="Discovery").pk, world["pipeline"].pk, "9000.50", "EUR", users["rep1"].pk)
    assert body["contacts"] == [{"contact_id": world["contact"].pk, "role": "economic_buyer"}]
    assert body["status"] == "open"


@pytest.mark.django_db
def test_move_records_the_transition_and_lost_needs_a_reason(api, world, users):
    deal = world["own_deal"]
    client = api("rep1")
    proposal = world["stage"]
    moved = client.post(f"/deals/{deal.pk}/move", {"stage_id": proposal.pk, "reason": "Demo went well"})
    assert moved.status_code == 200
    t = moved.json()["transition"]
    assert (t["from_stage_id"], t["to_stage_id"], t["by_id"], t["reason"], t["amount"]) == (
        world["pipeline"].stages.get(name="Discovery").pk, proposal.pk, users["rep1"].pk, "Demo went well", "3000.00")
    assert moved.json()["deal"]["stage_id"] == proposal.pk
    # a lost deal must say why
    lost = world["pipeline"].stages.get(name="Lost")
    refused = client.post(f"/deals/{deal.pk}/move", {"stage_id": lost.pk})
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"field": "reason", "message": "Say why the deal was lost.",
                                         "code": "required"}]
    closed = client.post(f"/deals/{deal.pk}/move", {"stage_id": lost.pk, "reason": "No budget"}).json()["deal"]
    assert (closed["status"], closed["close_reason"]) == ("lost", "No budget")
    assert DealTransition.objects.filter(deal=deal).count() == 3


@pytest.mark.django_db
def test_move_to_another_pipelines_stage_or_a_missing_stage_is_refused(api, world):
    other = world["empty_pipeline"].stages.first()
    response = api("admin").post(f"/deals/{world['deal'].pk}/move", {"stage_id": other.pk})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "stage_id")
    response = api("admin").post(f"/deals/{world['deal'].pk}/move", {"stage_id": 999999})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "stage_id")


@pytest.mark.django_db
def test_deal_contacts_are_set_and_removed_with_roles(api, world):
    admin = api("admin")
    deal, contact = world["deal"], world["own_contact"]
    put = admin.put(f"/deals/{deal.pk}/contacts/{contact.pk}", {"role": "influencer"})
    assert (put.status_code, put.json()) == (200, {"contact_id": contact.pk, "role": "influencer"})
    roles = {c["contact_id"]: c["role"] for c in admin.get(f"/deals/{deal.pk}").json()["contacts"]}
    assert roles == {world["contact"].pk: "champion", contact.pk: "influencer"}
    assert admin.delete(f"/deals/{deal.pk}/contacts/{contact.pk}").status_code == 204
    assert admin.delete(f"/deals/{deal.pk}/contacts/{contact.pk}").status_code == 404
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)) == [world["contact"].pk]


@pytest.mark.django_db
def test_deal_stage_cannot_be_patched_and_fields_can(api, world):
    admin = api("admin")
    response = admin.patch(f"/deals/{world['deal'].pk}", {"stage_id": world["stage"].pk})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "stage_id")
    response = admin.patch(f"/deals/{world['deal'].pk}", {"name": "Acme big", "amount": 20000})
    assert (response.json()["name"], response.json()["amount"]) == ("Acme big", "20000.00")
    assert admin.delete(f"/deals/{world['deal'].pk}").status_code == 204
    assert not Deal.objects.filter(pk=world["deal"].pk).exists()


@pytest.mark.django_db
def test_deal_filters(api, world, users):
    admin = api("admin")

    def names(**params):
        response = admin.get("/deals", **params)
        assert response.status_code == 200, response.content
        return sorted(d["name"] for d in response.json()["items"])

    assert names(owner=users["rep1"].pk) == ["Rep One pilot"]
    assert names(company=world["company"].pk) == ["Acme expansion"]
    assert names(contact=world["own_contact"].pk) == ["Rep One pilot"]
    assert names(pipeline=world["pipeline"].pk) == ["Acme expansion", "Rep One pilot"]
    assert names(stage=world["stage"].pk) == []
    assert names(status="open") == ["Acme expansion", "Rep One pilot"]
    assert names(status="won") == []
    assert [d["name"] for d in admin.get("/deals", sort="-amount").json()["items"]] == [
        "Acme expansion", "Rep One pilot"]
