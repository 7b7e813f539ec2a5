"""The builder's pages: create and edit through the actions, the live preview fragment, "why in / not in"."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from plumbline.segments.actions import do_create_segment
from plumbline.segments.models import Membership, MembershipChange, Segment
from tests.conftest import PASSWORD

STAGES = {"any": [{"all": [{"field": "lifecycle_stage", "op": "in", "value": ["mql", "customer"]}]}]}


def client_for(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def counts() -> tuple[int, int, int]:
    return Segment.objects.count(), Membership.objects.count(), MembershipChange.objects.count()


def preview(c: Client, rule) -> tuple[int, str]:
    r = c.post("/segments/preview/", {"predicate": rule if isinstance(rule, str) else json.dumps(rule)})
    return r.status_code, r.content.decode()


def sample_emails(html: str) -> list[str]:
    return re.findall(r"<td>([^<]+@[^<]+)</td>", html)


def test_preview_shows_the_count_and_the_newest_members_with_links(world, users):
    status, html = preview(client_for("marketing"), STAGES)
    assert status == 200
    assert "2 contacts match" in html
    assert sample_emails(html) == ["cat@three.test", "ann@one.test"]
    assert f'href="/contacts/{world["cat"].pk}/"' in html


def test_preview_of_one_contact_says_matches(world, users):
    rule = {"any": [{"all": [{"field": "email", "op": "eq", "value": "bob@two.test"}]}]}
    status, html = preview(client_for("marketing"), rule)
    assert (status, sample_emails(html)) == (200, ["bob@two.test"])
    assert "1 contact matches" in html


def test_preview_sample_stops_at_twenty(crowd, users):
    status, html = preview(
        client_for("marketing"), {"any": [{"all": [{"field": "email", "op": "contains", "value": ".test"}]}]}
    )
    assert status == 200
    assert "23 contacts match" in html
    assert len(sample_emails(html)) == 20
    assert "The newest 20 of 23." in html


def test_preview_of_a_bad_rule_lists_its_errors_by_condition(world, users):
    rule = {
        "any": [
            {
                "all": [
                    {"field": "lifecycle_stage", "op": "gt", "value": "mql"},
                    {"field": "nope", "op": "eq", "value": 1},
                ]
            }
        ]
    }
    status, html = preview(client_for("marketing"), rule)
    assert status == 422
    assert "<code>$.any[0].all[0].op</code>" in html
    assert "<code>$.any[0].all[1].field</code>: unknown field &#x27;nope&#x27;" in html


@pytest.mark.parametrize(
    "body,message",
    [("{nope", "The rule is not valid JSON."), ("", "Add at least one condition to see who matches.")],
)
def test_preview_of_no_rule_says_why(world, users, body, message):
    status, html = preview(client_for("marketing"), body)
    assert (status, message in html) == (422, True)


def test_preview_writes_nothing(world, users):
    before = counts()
    preview(client_for("marketing"), STAGES)
    assert counts() == before


def test_preview_is_post_only(users):
    assert client_for("marketing").get("/segments/preview/").status_code == 405


def test_create_page_opens_for_a_static_list_without_writing(users):
    r = client_for("marketing").get("/segments/new/?kind=static")
    assert r.status_code == 200
    assert r.context["form"].initial["kind"] == "static"
    assert r.context["dynamic"] is False
    assert counts() == (0, 0, 0)


def test_creating_a_dynamic_segment_saves_its_rule_and_goes_to_its_page(world, users):
    r = client_for("marketing").post(
        "/segments/new/",
        {
            "name": "Hot",
            "description": "MQLs and customers",
            "kind": "dynamic",
            "predicate": json.dumps(STAGES),
        },
    )
    segment = Segment.objects.get(name="Hot")
    assert r.status_code == 302 and r["Location"] == f"/segments/{segment.pk}/"
    assert (segment.name, segment.kind, segment.description) == ("Hot", "dynamic", "MQLs and customers")
    assert {k: v for k, v in segment.predicate.items() if k != "version"} == STAGES
    members = Membership.objects.filter(segment=segment).values_list("contact__email", flat=True)
    assert sorted(members) == ["ann@one.test", "cat@three.test"]


def test_creating_a_static_list_ignores_the_builder(users):
    r = client_for("marketing").post(
        "/segments/new/", {"name": "Trade show", "kind": "static", "predicate": json.dumps(STAGES)}
    )
    segment = Segment.objects.get(name="Trade show")
    assert r.status_code == 302
    assert (segment.kind, segment.predicate) == ("static", None)


def test_a_bad_rule_is_shown_next_to_its_condition_and_nothing_is_saved(world, users):
    rule = {
        "any": [
            {"all": [{"field": "lifecycle_stage", "op": "in", "value": ["mql"]}]},
            {"all": [{"field": "score.fit_grade", "op": "in", "value": ["Z"]}]},
        ]
    }
    before = counts()
    r = client_for("marketing").post(
        "/segments/new/", {"name": "Bad", "kind": "dynamic", "predicate": json.dumps(rule)}
    )
    assert r.status_code == 422
    assert r.context["builder_errors"] == [
        {"path": "$.any[1].all[0].value[0]", "message": "'Z' is not one of A, B, C, D"}
    ]
    assert counts() == before


def test_a_dynamic_segment_needs_a_rule(users):
    r = client_for("marketing").post("/segments/new/", {"name": "Empty", "kind": "dynamic", "predicate": ""})
    assert r.status_code == 400
    assert r.context["form"].errors["predicate"] == ["Add at least one condition."]
    assert counts() == (0, 0, 0)


def test_a_taken_name_is_shown_on_the_name(world, users):
    do_create_segment(by=None, name="Hot", kind="static")
    r = client_for("marketing").post("/segments/new/", {"name": "Hot", "kind": "static"})
    assert r.status_code == 409
    assert r.context["form"].errors["name"]
    assert Segment.objects.filter(name="Hot").count() == 1


def test_edit_page_loads_the_rule_into_the_builder_and_writes_nothing(world, users):
    segment = do_create_segment(by=users["marketing"], name="Hot", kind="dynamic", predicate=STAGES)
    before = counts()
    r = client_for("marketing").get(f"/segments/{segment.pk}/edit/")
    assert r.status_code == 200
    assert json.loads(r.context["form"].initial["predicate"]) == segment.predicate
    assert counts() == before


def test_editing_the_rule_saves_it_through_the_action(world, users):
    segment = do_create_segment(by=users["marketing"], name="Hot", kind="dynamic", predicate=STAGES)
    rule = {"any": [{"all": [{"field": "lifecycle_stage", "op": "in", "value": ["lead"]}]}]}
    r = client_for("marketing").post(
        f"/segments/{segment.pk}/edit/", {"name": "Leads", "description": "", "predicate": json.dumps(rule)}
    )
    segment.refresh_from_db()
    assert r.status_code == 302 and r["Location"] == f"/segments/{segment.pk}/"
    assert segment.name == "Leads"
    assert {k: v for k, v in segment.predicate.items() if k != "version"} == rule


@pytest.mark.parametrize("url", ["/segments/new/", "/segments/new/?kind=dynamic"])
def test_a_viewer_may_not_create_segments(users, url):
    r = client_for("viewer").get(url)
    assert r.status_code == 403
    r = client_for("viewer").post("/segments/new/", {"name": "X", "kind": "static"})
    assert r.status_code == 403
    assert counts() == (0, 0, 0)


def test_a_viewer_may_not_edit_a_segment(world, users):
    segment = do_create_segment(by=None, name="Hot", kind="dynamic", predicate=STAGES)
    c = client_for("viewer")
    assert c.get(f"/segments/{segment.pk}/edit/").status_code == 403
    assert c.post(f"/segments/{segment.pk}/edit/", {"name": "Mine"}).status_code == 403
    segment.refresh_from_db()
    assert segment.name == "Hot"


def test_why_explains_a_member_condition_by_condition(world, users):
    segment = do_create_segment(by=None, name="Hot", kind="dynamic", predicate=STAGES)
    before = counts()
    r = client_for("viewer").get(f"/segments/{segment.pk}/why/?contact=ann@one.test")
    html = r.content.decode()
    assert r.status_code == 200
    assert r.context["tree"].result is True
    assert 'class="why-yes"' in html and "✓" in html
    assert "The rule holds for this contact now" in html
    assert counts() == before


def test_why_explains_a_non_member_by_id_with_what_the_contact_has(world, users):
    segment = do_create_segment(by=None, name="Hot", kind="dynamic", predicate=STAGES)
    r = client_for("viewer").get(f"/segments/{segment.pk}/why/?contact={world['bob'].pk}")
    html = r.content.decode()
    assert r.status_code == 200
    assert r.context["tree"].result is False
    assert 'class="why-no"' in html and "✗" in html
    assert "Not in this segment" in html
    assert r.context["tree"].children[0].children[0].actual in html


def test_why_for_an_unknown_contact_says_so(world, users):
    segment = do_create_segment(by=None, name="Hot", kind="dynamic", predicate=STAGES)
    r = client_for("viewer").get(f"/segments/{segment.pk}/why/?contact=nobody@nowhere.test")
    assert r.status_code == 404
    assert "No contact with the email or id" in r.content.decode()


def test_why_of_a_static_list_says_there_is_no_rule(world, users):
    segment = do_create_segment(by=None, name="Show", kind="static")
    r = client_for("viewer").get(f"/segments/{segment.pk}/why/?contact=ann@one.test")
    assert r.status_code == 200
    assert "there is no rule to explain" in r.content.decode()
