"""/api/v1/segments: create, read, change, delete, members, snapshot, refresh, preview; errors and permissions."""

from __future__ import annotations

import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.segments.actions import do_add_to_list, do_create_segment
from plumbline.segments.models import Membership, Segment

MQL = {"field": "lifecycle_stage", "op": "eq", "value": "mql"}
LEADS_AND_MQLS = {"field": "lifecycle_stage", "op": "in", "value": ["lead", "mql"]}


def test_creating_a_dynamic_segment_answers_201_with_its_members_counted(api, people):
    response = api("marketing").call(
        "post", "/segments", {"name": "MQLs", "kind": "dynamic", "predicate": MQL}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    segment = Segment.objects.get()
    assert {
        k: body[k] for k in ("id", "name", "kind", "kind_label", "description", "predicate", "member_count")
    } == {
        "id": segment.pk,
        "name": "MQLs",
        "kind": "dynamic",
        "kind_label": "Dynamic",
        "description": "",
        "predicate": {"version": 1, **MQL},
        "member_count": 1,
    }
    assert body["evaluated_at"] is not None and body["created_at"] and body["updated_at"]


def test_a_bad_predicate_is_422_naming_each_json_path(api, people):
    body = {
        "name": "Bad",
        "predicate": {
            "all": [
                {"field": "lifecycle_stage", "op": "gt", "value": "mql"},
                {"field": "nope", "op": "eq", "value": 1},
            ]
        },
    }
    response = api("marketing").call("post", "/segments", body)

    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["$.all[0].op", "$.all[1].field"]
    assert Segment.objects.count() == 0


def test_a_static_list_with_a_predicate_is_422(api, people):
    response = api("marketing").call("post", "/segments", {"name": "L", "kind": "static", "predicate": MQL})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "predicate"


def test_the_same_idempotency_key_creates_one_segment(api, people):
    first = api("marketing").call(
        "post", "/segments", {"name": "L", "kind": "static"}, **{"Idempotency-Key": "k1"}
    )
    again = api("marketing").call(
        "post", "/segments", {"name": "L", "kind": "static"}, **{"Idempotency-Key": "k1"}
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Segment.objects.count() == 1


def test_unknown_ids_are_404(api, people):
    client = api("marketing")

    assert client.get("/segments/999999").status_code == 404
    assert client.call("patch", "/segments/999999", {"name": "x"}).status_code == 404
    assert client.call("delete", "/segments/999999").status_code == 404
    assert client.get("/segments/999999/members").status_code == 404
    assert client.get("/contacts/999999/segments").status_code == 404


def test_patch_changes_the_predicate_and_refuses_a_kind_change(api, users, people):
    segment = do_create_segment(by=users["marketing"], name="S", predicate=MQL)
    client = api("marketing")

    changed = client.call(
        "patch", f"/segments/{segment.pk}", {"predicate": LEADS_AND_MQLS, "kind": "dynamic"}
    )
    refused = client.call("patch", f"/segments/{segment.pk}", {"kind": "static"})

    assert changed.status_code == 200, changed.content
    assert (changed.json()["predicate_version"], changed.json()["member_count"]) == (2, 2)
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "kind"


def test_delete_is_204(api, users, people):
    segment = do_create_segment(by=users["marketing"], name="S", predicate=MQL)

    assert api("marketing").call("delete", f"/segments/{segment.pk}").status_code == 204
    assert Segment.objects.count() == 0


def test_members_page_and_search(api, users, people):
    booth = do_create_segment(by=users["marketing"], name="Booth", kind="static")
    do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[people["ann"].pk])
    do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[people["bob"].pk])
    client = api("viewer")

    first = client.get(f"/segments/{booth.pk}/members", limit=1).json()
    second = client.get(f"/segments/{booth.pk}/members", limit=1, cursor=first["next_cursor"]).json()
    found = client.get(f"/segments/{booth.pk}/members", search="ann").json()

    assert [m["email"] for m in first["items"] + second["items"]] == ["bob@two.test", "ann@one.test"]
    assert second["next_cursor"] is None
    assert [m["email"] for m in found["items"]] == ["ann@one.test"]


def test_add_and_remove_members_of_a_static_list(api, users, people):
    booth = do_create_segment(by=users["marketing"], name="Booth", kind="static")
    client = api("marketing")
    ids = [people["ann"].pk, people["bob"].pk]

    added = client.call(
        "post", f"/segments/{booth.pk}/members", {"contact_ids": ids}, **{"Idempotency-Key": "a"}
    )
    replayed = client.call(
        "post", f"/segments/{booth.pk}/members", {"contact_ids": ids}, **{"Idempotency-Key": "a"}
    )
    removed = client.call("post", f"/segments/{booth.pk}/members/remove", {"contact_ids": [people["ann"].pk]})

    assert added.json() == {"changed": 2, "unchanged": 0, "member_count": 2}
    assert replayed.json() == added.json() and replayed["Idempotent-Replayed"] == "true"
    assert removed.json() == {"changed": 1, "unchanged": 0, "member_count": 1}


def test_adding_unknown_contacts_is_422_and_adding_to_a_dynamic_segment_409(api, users, people):
    booth = do_create_segment(by=users["marketing"], name="Booth", kind="static")
    dynamic = do_create_segment(by=users["marketing"], name="MQLs", predicate=MQL)
    client = api("marketing")

    unknown = client.call("post", f"/segments/{booth.pk}/members", {"contact_ids": [999999]})
    wrong = client.call("post", f"/segments/{dynamic.pk}/members", {"contact_ids": [people["ann"].pk]})

    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (422, "does_not_exist")
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (409, "kind")


def test_snapshot_and_refresh(api, users, people):
    segment = do_create_segment(by=users["marketing"], name="S", predicate=LEADS_AND_MQLS)
    client = api("marketing")

    snap = client.call("post", f"/segments/{segment.pk}/snapshot", {"name": "S in June"})
    refreshed = client.call("post", f"/segments/{segment.pk}/refresh")

    assert snap.status_code == 201
    assert (snap.json()["kind_label"], snap.json()["member_count"], snap.json()["source_id"]) == (
        "Snapshot",
        2,
        segment.pk,
    )
    assert refreshed.status_code == 200
    assert {k: refreshed.json()[k] for k in ("queued", "entered", "left", "member_count")} == {
        "queued": False,
        "entered": 0,
        "left": 0,
        "member_count": 2,
    }


def test_preview_counts_without_writing(api, people):
    response = api("viewer").call("post", "/segments/preview", {"predicate": LEADS_AND_MQLS, "sample": 1})

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert [c["email"] for c in response.json()["sample"]] == ["bob@two.test"]
    assert Segment.objects.count() == 0 and Membership.objects.count() == 0


def test_a_contacts_segments_and_history(api, users, people):
    booth = do_create_segment(by=users["marketing"], name="Booth", kind="static")
    do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[people["ann"].pk])

    body = api("rep1").get(f"/contacts/{people['ann'].pk}/segments").json()

    assert [(m["name"], m["kind_label"]) for m in body["memberships"]] == [("Booth", "Static list")]
    assert [(h["name"], h["entered"], h["reason_label"], h["by_id"]) for h in body["history"]] == [
        ("Booth", True, "Added by hand", users["marketing"].pk)
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 201), ("marketing", 201), ("rep1", 403), ("manager", 403), ("viewer", 403), (None, 401)],
)
def test_who_may_create_a_segment(api, people, who, status):
    assert api(who).call("post", "/segments", {"name": "L", "kind": "static"}).status_code == status


@pytest.mark.parametrize(("who", "status"), [("marketing", 200), ("rep1", 200), ("viewer", 200), (None, 401)])
def test_who_may_read_segments(api, people, who, status):
    assert api(who).get("/segments").status_code == status


def test_list_query_count_does_not_grow_with_rows(api, users, people, django_assert_num_queries):
    client = api("viewer")
    client.get("/segments")  # the token's first use records it
    do_create_segment(by=users["marketing"], name="A", kind="static")
    with django_assert_num_queries(2):  # the token, the page
        small = client.get("/segments", limit=200)
    for name in "BCDEF":
        do_create_segment(by=users["marketing"], name=name, predicate=MQL)
    with django_assert_num_queries(2):
        large = client.get("/segments", limit=200)
    assert (len(small.json()["items"]), len(large.json()["items"])) == (1, 6)


def test_members_query_count_does_not_grow_with_rows(api, users, people, django_assert_num_queries):
    crowd = [do_create_contact(email=f"p{i}@crowd.test", company=people["ann"].company) for i in range(12)]
    booth = do_create_segment(by=users["marketing"], name="Booth", kind="static")
    client = api("viewer")
    client.get("/segments")
    do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[c.pk for c in crowd[:2]])
    with django_assert_num_queries(3):  # the token, the segment, the page with its contacts
        client.get(f"/segments/{booth.pk}/members")
    do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[c.pk for c in crowd])
    with django_assert_num_queries(3):
        assert len(client.get(f"/segments/{booth.pk}/members").json()["items"]) == len(crowd)
