import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact, ContactMerge
from plumbline.marketing.models import Touchpoint


@pytest.mark.django_db
def test_preview_merge_and_undo_through_the_api(api, world, users):
    jane, touchpoint = world["contact"], world["touchpoint"]
    dup = do_create_contact(email="jane.doe@gmail.com", first_name="Janet", title="CFO", owner=users["rep2"])
    admin = api("admin")
    # the preview shows both sides and the default choice per field
    preview = admin.get(f"/contacts/{dup.pk}/merge-preview?other={jane.pk}").json()
    rows = {row["field"]: row for row in preview["fields"]}
    assert (rows["first_name"]["survivor"], rows["first_name"]["other"], rows["first_name"]["default"]) == (
        "Janet", "Jane", "survivor")
    assert (rows["last_name"]["default"], rows["owner"]["same"], preview["counts"]["marketing.touchpoint"]) == (
        "other", True, 1)
    # merge Jane into the duplicate, keeping Jane's email and first name
    merged = admin.post(f"/contacts/{dup.pk}/merge",
                        {"other_id": jane.pk, "fields": {"email": "other", "first_name": "other"}})
    assert merged.status_code == 201, merged.content
    body = merged.json()
    assert (body["survivor_id"], body["merged_id"], body["merged_email"], body["moved"]["marketing.touchpoint"]) == (
        dup.pk, jane.pk, "jane@acme.com", 1)
    kept = admin.get(f"/contacts/{dup.pk}").json()
    assert (kept["email"], kept["first_name"], kept["last_name"], kept["title"]) == (
        "jane@acme.com", "Jane", "Doe", "CFO")
    assert Touchpoint.objects.get(pk=touchpoint.pk).contact_id == dup.pk
    assert admin.get(f"/contacts/{jane.pk}").status_code == 404
    listed = admin.get(f"/merges?contact={jane.pk}").json()["items"]
    assert [m["id"] for m in listed] == [body["id"]] == [m["id"] for m in admin.get("/merges").json()["items"]]
    # undo
    undone = admin.post(f"/merges/{body['id']}/undo", {})
    assert undone.status_code == 200, undone.content
    assert (undone.json()["contact"]["id"], undone.json()["contact"]["email"]) == (jane.pk, "jane@acme.com")
    assert undone.json()["merge"]["undone_by_id"] == users["admin"].pk
    assert Contact.objects.get(pk=dup.pk).email == "jane.doe@gmail.com"
    assert Touchpoint.objects.get(pk=touchpoint.pk).contact_id == jane.pk
    again = admin.post(f"/merges/{body['id']}/undo", {})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "merge"


@pytest.mark.django_db
def test_bad_merge_requests_name_the_field(api, world):
    jane = world["contact"]
    admin = api("admin")
    cases = [
        ({"other_id": jane.pk}, 400, "other"),
        ({"other_id": 999999}, 422, "other_id"),
        ({"other_id": world["own_contact"].pk, "fields": {"lifecycle_stage": "other"}}, 400, "fields"),
        ({"other_id": world["own_contact"].pk, "fields": {"email": "mine"}}, 422, "fields.email"),
        ({}, 422, "other_id"),
    ]
    for payload, status, field in cases:
        response = admin.post(f"/contacts/{jane.pk}/merge", payload)
        assert response.status_code == status, (payload, response.content)
        assert response.json()["errors"][0]["field"] == field, (payload, response.content)
    assert admin.post("/merges/999999/undo", {}).status_code == 404
    assert admin.get(f"/contacts/{jane.pk}/merge-preview?other=999999").status_code == 404
    assert Contact.objects.count() == 2 and not ContactMerge.objects.exists()
