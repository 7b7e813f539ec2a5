import pytest

from plumbline.marketing.models import Campaign, Touchpoint


@pytest.mark.django_db
def test_campaign_crud_with_utm_key_and_print_vanity_slug(api, users):
    client = api("marketing")
    created = client.post("/campaigns", {"name": "Trade magazine Q3", "channel": "print", "cost": 2500,
                                         "starts_on": "2026-07-01", "ends_on": "2026-09-30"})
    assert created.status_code == 201
    body = created.json()
    assert (body["utm_campaign"], body["vanity_slug"], body["cost"], body["owner_id"]) == (
        "trade-magazine-q3", "trade-magazine-q3", "2500.00", users["marketing"].pk)
    patched = client.patch(f"/campaigns/{body['id']}", {"cost": "3000.10", "description": "Full page"}).json()
    assert (patched["cost"], patched["description"]) == ("3000.10", "Full page")
    bad_dates = client.patch(f"/campaigns/{body['id']}", {"ends_on": "2026-01-01"})
    assert bad_dates.status_code == 400
    assert bad_dates.json()["errors"] == [
        {"field": "ends_on", "message": "End date must be on or after the start date.", "code": "invalid"}]
    assert Campaign.objects.get(pk=body["id"]).ends_on.isoformat() == "2026-09-30"
    assert client.delete(f"/campaigns/{body['id']}").status_code == 204
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_campaign_filters(api, world):
    client = api("viewer")
    api("admin").post("/campaigns", {"name": "Search ads", "channel": "paid_search", "starts_on": "2026-01-01",
                                     "ends_on": "2026-01-31"})

    def names(**params):
        response = client.get("/campaigns", **params)
        assert response.status_code == 200, response.content
        return [c["name"] for c in response.json()["items"]]

    assert names(channel="webinar") == ["Spring webinar"]
    assert names(sort="name") == ["Search ads", "Spring webinar"]
    assert names(active_on="2026-03-01") == ["Spring webinar"]
    assert names(q="sea") == ["Search ads"]
    assert client.get("/campaigns", channel="carrier_pigeon").status_code == 422


@pytest.mark.django_db
def test_touchpoint_crud(api, world):
    client = api("marketing")
    created = client.post("/touchpoints", {"contact_email": "JANE@acme.com", "campaign_id": world["campaign"].pk,
                                           "kind": "webinar_registered", "occurred_at": "2026-02-20T08:00:00Z",
                                           "value": "12.5"})
    assert created.status_code == 201
    body = created.json()
    assert (body["contact_id"], body["channel"], body["utm_campaign"], body["value"]) == (
        world["contact"].pk, "webinar", "spring-webinar", "12.50")
    patched = client.patch(f"/touchpoints/{body['id']}", {"content": "Registration form"}).json()
    assert (patched["content"], patched["kind"]) == ("Registration form", "webinar_registered")
    assert client.get(f"/touchpoints/{body['id']}").json()["content"] == "Registration form"
    assert client.delete(f"/touchpoints/{body['id']}").status_code == 204
    assert client.get(f"/touchpoints/{body['id']}").status_code == 404


@pytest.mark.django_db
def test_touchpoint_filters_by_contact_campaign_kind_and_time(api, world):
    client = api("admin")
    client.post("/touchpoints/batch", {"items": [
        {"contact_id": world["own_contact"].pk, "kind": "page_view", "channel": "seo",
         "occurred_at": "2026-01-10T00:00:00Z"},
        {"contact_id": world["own_contact"].pk, "kind": "ad_click", "channel": "paid_social",
         "occurred_at": "2026-04-10T00:00:00Z"},
    ]})

    def kinds(**params):
        response = client.get("/touchpoints", **params)
        assert response.status_code == 200, response.content
        return [t["kind"] for t in response.json()["items"]]

    assert kinds(contact=world["own_contact"].pk, sort="occurred_at") == ["page_view", "ad_click"]
    assert kinds(campaign=world["campaign"].pk) == ["webinar_attended"]
    assert kinds(kind="ad_click") == ["ad_click"]
    assert kinds(channel="seo") == ["page_view"]
    assert kinds(occurred_after="2026-02-01T00:00:00Z", occurred_before="2026-04-01T00:00:00Z") == [
        "webinar_attended"]


@pytest.mark.django_db
def test_batch_of_1000_is_recorded_by_id_and_email(api, world):
    items = [
        {"contact_id": world["contact"].pk, "kind": "page_view", "channel": "seo"} if i % 2 else
        {"contact_email": "ole@repone.com", "kind": "email_open", "channel": "email"}
        for i in range(1000)
    ]
    response = api("marketing").post("/touchpoints/batch", {"items": items})
    assert response.status_code == 201
    assert response.json()["created"] == 1000
    assert len(set(response.json()["ids"])) == 1000
    assert Touchpoint.objects.filter(contact=world["own_contact"]).count() == 500
    assert Touchpoint.objects.filter(contact=world["contact"]).count() == 501


@pytest.mark.django_db
def test_batch_of_1001_is_a_422_and_writes_nothing(api, world):
    items = [{"contact_id": world["contact"].pk, "kind": "page_view", "channel": "seo"}] * 1001
    response = api("marketing").post("/touchpoints/batch", {"items": items})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items"
    assert response.json()["errors"][0]["code"] == "too_long"
    assert Touchpoint.objects.count() == 1


@pytest.mark.django_db
def test_batch_with_bad_items_reports_each_error_with_its_index_and_writes_nothing(api, world):
    response = api("marketing").post("/touchpoints/batch", {"items": [
        {"contact_email": "jane@acme.com", "kind": "page_view", "channel": "seo"},
        {"contact_email": "nobody@example.com", "kind": "page_view", "channel": "seo"},
        {"contact_id": "7", "kind": "page_view", "channel": "seo", "colour": "red"},
        {"contact_id": world["contact"].pk, "kind": "page_view", "channel": "seo", "content": "x" * 301},
    ]})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "2 of the items are invalid; nothing was recorded."
    assert sorted((e["index"], e["field"], e["code"]) for e in body["errors"]) == [
        (2, "colour", "extra_forbidden"), (2, "contact_id", "int_type"), (3, "content", "string_too_long")]
    assert Touchpoint.objects.count() == 1
    # once the shapes are right, unknown contacts are reported the same way
    response = api("marketing").post("/touchpoints/batch", {"items": [
        {"contact_email": "jane@acme.com", "kind": "page_view", "channel": "seo"},
        {"contact_email": "nobody@example.com", "kind": "page_view", "channel": "seo"},
    ]})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"index": 1, "field": "contact_email",
                                          "message": "No contact with email nobody@example.com.", "code": "does_not_exist"}]
    assert Touchpoint.objects.count() == 1


@pytest.mark.django_db
def test_batch_items_must_be_objects(api, world):
    response = api("marketing").post("/touchpoints/batch", {"items": [1, "two"]})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["items.0", "items.1"]
