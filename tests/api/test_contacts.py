import pytest

from plumbline.crm.models import Contact, LifecycleTransition


@pytest.mark.django_db
def test_create_contact_normalises_email_links_company_and_defaults_owner_to_rep(api, world, users):
    # given Acme exists with domain acme.com
    # when rep1 creates a contact at acme.com
    response = api("rep1").post("/contacts", {"email": "  Max@ACME.com ", "first_name": "Max", "title": "CTO"})
    # then it is stored normalised, linked to Acme and owned by rep1
    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["company_id"], body["owner_id"], body["lifecycle_stage"], body["title"]) == (
        "max@acme.com", world["company"].pk, users["rep1"].pk, "subscriber", "CTO")
    assert Contact.objects.get(pk=body["id"]).email == "max@acme.com"


@pytest.mark.django_db
def test_read_update_delete_contact(api, world):
    contact = world["contact"]
    admin = api("admin")
    # read
    got = admin.get(f"/contacts/{contact.pk}").json()
    assert (got["id"], got["email"], got["first_name"], got["last_name"]) == (
        contact.pk, "jane@acme.com", "Jane", "Doe")
    # update only the fields sent
    patched = admin.patch(f"/contacts/{contact.pk}", {"title": "VP Sales", "phone": "+1 555 0100"})
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["phone"], patched.json()["first_name"]) == (
        "VP Sales", "+1 555 0100", "Jane")
    # delete
    assert admin.delete(f"/contacts/{contact.pk}").status_code == 204
    assert admin.get(f"/contacts/{contact.pk}").status_code == 404
    assert not Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_duplicate_email_is_a_409_naming_the_field(api, world):
    response = api("admin").post("/contacts", {"email": "JANE@acme.com"})
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "email", "message": "A contact with email jane@acme.com already exists.", "code": "conflict"}]
    # and changing another contact to that email is a 409 too
    response = api("admin").patch(f"/contacts/{world['own_contact'].pk}", {"email": "jane@acme.com"})
    assert response.status_code == 409
    assert Contact.objects.filter(email="jane@acme.com").count() == 1


@pytest.mark.django_db
def test_invalid_email_is_refused_and_nothing_is_written(api, users):
    response = api("admin").post("/contacts", {"email": "not-an-email"})
    assert response.status_code == 400
    assert response.json() == {"message": "'not-an-email' is not a valid email address.", "errors": [
        {"field": "email", "message": "'not-an-email' is not a valid email address.", "code": "invalid"}]}
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_unknown_company_id_is_a_422_naming_the_field(api, users):
    response = api("admin").post("/contacts", {"email": "a@b.com", "company_id": 999999})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "company_id", "message": "No company with id 999999.", "code": "does_not_exist"}]


@pytest.mark.django_db
def test_lifecycle_move_records_a_transition(api, world, users):
    contact = world["own_contact"]
    response = api("rep1").post(f"/contacts/{contact.pk}/lifecycle", {"stage": "mql", "reason": "Scored 80"})
    assert response.status_code == 200
    body = response.json()
    assert body["contact"]["lifecycle_stage"] == "mql"
    t = body["transition"]
    assert (t["from_stage"], t["to_stage"], t["by_id"], t["reason"]) == ("subscriber", "mql", users["rep1"].pk,
                                                                         "Scored 80")
    assert LifecycleTransition.objects.filter(contact=contact).count() == 2


@pytest.mark.django_db
def test_illegal_lifecycle_move_is_a_400_with_the_field(api, world):
    contact = world["contact"]
    response = api("admin").post(f"/contacts/{contact.pk}/lifecycle", {"stage": "subscriber"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "stage", "message": "The contact is already a Subscriber.", "code": "illegal_move"}]
    # a backward move needs a reason
    api("admin").post(f"/contacts/{contact.pk}/lifecycle", {"stage": "mql"})
    response = api("admin").post(f"/contacts/{contact.pk}/lifecycle", {"stage": "lead"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == "mql"


@pytest.mark.django_db
def test_lifecycle_stage_cannot_be_patched(api, world):
    response = api("admin").patch(f"/contacts/{world['contact'].pk}", {"lifecycle_stage": "customer"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lifecycle_stage"
    assert Contact.objects.get(pk=world["contact"].pk).lifecycle_stage == "subscriber"


@pytest.mark.django_db
def test_timeline_lists_the_contacts_history_newest_first(api, world):
    contact = world["contact"]
    api("admin").post(f"/contacts/{contact.pk}/lifecycle", {"stage": "lead"})
    response = api("viewer").get(f"/contacts/{contact.pk}/timeline")
    assert response.status_code == 200
    items = response.json()["items"]
    kinds = [i["kind"] for i in items]
    assert sorted(kinds) == ["activity", "deal_stage", "lifecycle", "lifecycle", "touchpoint"]
    assert items[0]["kind"] == "lifecycle" and items[0]["title"].startswith("Lifecycle Subscriber → Lead")
    assert [i["occurred_at"] for i in items] == sorted((i["occurred_at"] for i in items), reverse=True)
    assert response.json()["next_before"] is None and response.json()["next_cursor"] is None


@pytest.mark.django_db
def test_timeline_pages_follow_next_cursor_through_entries_at_one_instant(api, world):
    contact = world["contact"]
    for i in range(4):  # the same instant as the world's touchpoint
        api("admin").post("/activities", {"kind": "note", "subject": f"n{i}", "contact_id": contact.pk,
                                          "occurred_at": "2026-03-01T10:00:00Z"})
    seen, params = [], {"limit": 2}
    while True:
        response = api("viewer").get(f"/contacts/{contact.pk}/timeline", **params)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [(i["kind"], i["object_id"]) for i in body["items"]]
        if body["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": body["next_cursor"]}
    everything = api("viewer").get(f"/contacts/{contact.pk}/timeline", limit=50).json()["items"]
    assert seen == [(i["kind"], i["object_id"]) for i in everything]
    assert len(seen) == len(set(seen)) == 8  # 5 activities, 1 touchpoint, 1 lifecycle move, 1 deal stage


@pytest.mark.django_db
def test_a_malformed_timeline_cursor_is_a_field_error(api, world):
    response = api("viewer").get(f"/contacts/{world['contact'].pk}/timeline", cursor="yesterday")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.django_db
def test_search_and_filters(api, world, users):
    admin = api("admin")

    def emails(**params):
        response = admin.get("/contacts", **params)
        assert response.status_code == 200, response.content
        return sorted(c["email"] for c in response.json()["items"])

    assert emails(q="jan") == ["jane@acme.com"]
    assert emails(q="acme") == ["jane@acme.com"]
    assert emails(q="ole@") == ["ole@repone.com"]
    assert emails(owner=users["rep1"].pk) == ["ole@repone.com"]
    assert emails(company=world["company"].pk) == ["jane@acme.com"]
    assert emails(campaign=world["campaign"].pk) == ["jane@acme.com"]
    assert emails(lifecycle_stage="subscriber") == ["jane@acme.com", "ole@repone.com"]
    assert emails(lifecycle_stage="customer") == []
    assert emails(updated_since="2999-01-01T00:00:00Z") == []
    assert emails(updated_since="2000-01-01T00:00:00Z") == ["jane@acme.com", "ole@repone.com"]


@pytest.mark.django_db
def test_sorting_by_email_both_ways(api, world):
    admin = api("admin")
    asc = [c["email"] for c in admin.get("/contacts", sort="email").json()["items"]]
    desc = [c["email"] for c in admin.get("/contacts", sort="-email").json()["items"]]
    assert asc == ["jane@acme.com", "ole@repone.com"]
    assert desc == ["ole@repone.com", "jane@acme.com"]
