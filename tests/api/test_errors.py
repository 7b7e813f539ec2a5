"""One error body everywhere: {"message": str, "errors": [{"field", "message", "code"}]}; never a 500."""

import json

import pytest

from plumbline.crm.models import Company, Contact
from tests.api.test_permission_matrix import CASES


@pytest.mark.django_db
def test_anonymous_gets_401_with_the_error_body(api, users):
    response = api(None).get("/contacts")
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication required: send a valid bearer token.", "errors": [
        {"field": None, "message": "Missing or invalid credentials.", "code": "unauthorized"}]}


@pytest.mark.django_db
def test_a_wrong_token_is_a_401(users):
    from tests.api.conftest import Api

    assert Api("pl_not-a-real-token").get("/contacts").status_code == 401


@pytest.mark.django_db
def test_missing_record_is_a_404_with_the_error_body(api, users):
    response = api("viewer").get("/contacts/999999")
    assert response.status_code == 404
    assert response.json() == {"message": "No contact with id 999999.", "errors": [
        {"field": None, "message": "No contact with id 999999.", "code": "not_found"}]}
    assert api("admin").patch("/deals/999999", {"name": "x"}).status_code == 404
    assert api("admin").delete("/campaigns/999999").status_code == 404


@pytest.mark.django_db
def test_rep_editing_another_reps_contact_gets_403_and_nothing_changes(api, world):
    response = api("rep1").patch(f"/contacts/{world['contact'].pk}", {"title": "Hacked"})
    assert response.status_code == 403
    assert response.json() == {"message": "Your role may not change this contact.", "errors": [
        {"field": None, "message": "Your role may not change this contact.", "code": "forbidden"}]}
    assert Contact.objects.get(pk=world["contact"].pk).title == ""


@pytest.mark.django_db
def test_unknown_field_is_a_422_naming_it(api, users):
    response = api("admin").post("/contacts", {"email": "a@example.com", "favourite_colour": "blue"})
    assert response.status_code == 422
    assert response.json()["message"] == "The request is invalid."
    assert response.json()["errors"] == [
        {"field": "favourite_colour", "message": "Extra inputs are not permitted", "code": "extra_forbidden"}]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_wrong_types_are_422s_naming_the_field(api, users):
    admin = api("admin")
    cases = [
        ("/contacts", {"email": 12345}, "email", "string_type"),
        ("/contacts", {"email": "a@example.com", "owner_id": "1"}, "owner_id", "int_type"),
        ("/companies", {"name": "Acme", "employee_count": "many"}, "employee_count", "int_type"),
        ("/companies", {"name": "Acme", "annual_revenue": "lots"}, "annual_revenue", "decimal_parsing"),
        ("/deals", {"name": "D", "expected_close_date": "next week"}, "expected_close_date", "date_from_datetime_parsing"),
        ("/pipelines", {"name": "P", "is_default": "yes", "stages": [{"name": "A"}]}, "is_default", "bool_type"),
        ("/campaigns", {"name": "C", "channel": "carrier_pigeon"}, "channel", "literal_error"),
    ]
    for path, body, field, code in cases:
        response = admin.post(path, body)
        assert response.status_code == 422, (path, body)
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)], response.json()
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_oversized_strings_are_422s_at_the_models_limits(api, users):
    admin = api("admin")
    response = admin.post("/companies", {"name": "x" * 201})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "name", "message": "String should have at most 200 characters", "code": "string_too_long"}]
    assert admin.post("/companies", {"name": "x" * 200}).status_code == 201
    response = admin.post("/contacts", {"email": "a@example.com", "phone": "1" * 41})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "phone")
    assert Company.objects.count() == 1


@pytest.mark.django_db
def test_required_fields_and_nulls_are_refused(api, users):
    response = api("admin").post("/contacts", {})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "email")
    response = api("admin").post("/companies", {"name": None})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "name")


JUNK = [[], "text", 42, None, {"name": {"nested": True}}, {"email": ["a"]}, {"items": "x"}, {"stage_id": -1}]


# Verbs that read no body (undo a merge, queue a scan, dismiss a pair, complete a task): there is nothing for junk to break.
NO_BODY = {("post", "/merges/{merge}/undo"), ("post", "/duplicates/scan"), ("post", "/duplicates/{pair}/dismiss"),
           ("post", "/tasks/{task}/complete"), ("post", "/tasks/{own_task}/complete"),
           ("post", "/contacts/{contact}/erase")}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), sorted({(m, p) for m, p, _, _ in CASES
                                                     if m in ("post", "patch", "put") and (m, p) not in NO_BODY}))
def test_junk_bodies_never_cause_a_500(api, merge_world, method, path):
    url = path.format(**{name: obj.pk for name, obj in merge_world.items()})
    client = api("admin")
    for raw in [*(json.dumps(body) for body in JUNK), "{not json", ""]:
        response = client.client.generic(method.upper(), "/api/v1" + url, raw, content_type="application/json",
                                         headers=client.headers)
        assert 400 <= response.status_code < 500, (raw, response.status_code, response.content)
        assert set(response.json()) == {"message", "errors"}


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["\U0010ffff", "a\x00b", "x" * 201])
def test_unusable_search_text_is_a_422_not_a_500(api, world, q):
    for path in ("/contacts", "/companies", "/deals", "/campaigns"):
        response = api("admin").get(path, q=q)
        assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "q"), path


@pytest.mark.django_db
def test_nul_characters_in_bodies_and_cursors_are_refused(api, world):
    from plumbline.core.pagination import encode_cursor

    admin = api("admin")
    response = admin.post("/contacts", {"email": "a@example.com", "first_name": "A\x00"})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "first_name")
    response = admin.patch(f"/companies/{world['company'].pk}", {"custom": {"tier": "\x00"}})
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "custom")
    response = admin.get("/contacts", sort="email", cursor=encode_cursor("email", "a\x00", 1))
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "cursor")
    assert Contact.objects.filter(email="a@example.com").count() == 0
