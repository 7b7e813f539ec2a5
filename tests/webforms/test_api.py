"""/api/v1/forms, /landing-pages and /flows: the builder through the API, Idempotency-Key, errors per field."""

from __future__ import annotations

import pytest

from plumbline.marketing.actions import do_create_campaign
from plumbline.webforms.actions import do_create_form
from plumbline.webforms.forms import FLOW_EXAMPLE
from plumbline.webforms.models import Flow, Form, FormField, LandingPage
from tests.webforms.conftest import NEWSLETTER_FIELDS, submit

pytestmark = pytest.mark.django_db

BODY = {"name": "Contact us", "fields": [
    {"label": "Work email", "type": "email", "maps_to": "contact.email"},
    {"label": "Topic", "key": "topic", "type": "select", "options": ["Pricing", "Support"], "required": True},
    {"label": "Newsletter", "key": "nl", "type": "consent", "subscription": "newsletter"},
]}


def test_creating_a_form_answers_201_with_its_fields_and_embed_tag(api):
    campaign = do_create_campaign(by=None, name="Spring", channel="seo")
    response = api("marketing").call("post", "/forms", {**BODY, "campaign_id": campaign.pk,
                                                        "profiling_max_fields": 2})
    assert response.status_code == 201, response.content
    body = response.json()
    form = Form.objects.get()
    assert (body["id"], body["slug"], body["campaign_id"], body["profiling_max_fields"], body["submission_count"]) == (
        form.pk, "contact-us", campaign.pk, 2, 0)
    assert [(f["key"], f["type"], f["maps_to"], f["required"]) for f in body["fields"]] == [
        ("work_email", "email", "contact.email", True), ("topic", "select", "", True), ("nl", "consent", "", False)]
    assert body["hosted_url"].endswith("/f/contact-us")
    assert body["embed_script"] == f'<script src="{body["hosted_url"]}/embed.js"></script>'


def test_the_same_idempotency_key_creates_one_form(api):
    first = api("marketing").call("post", "/forms", BODY, **{"Idempotency-Key": "k1"})
    again = api("marketing").call("post", "/forms", BODY, **{"Idempotency-Key": "k1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Form.objects.count() == 1


@pytest.mark.parametrize(("fields", "expected"), [
    ([{"label": "Name", "type": "text"}], [("fields", "email_required")]),
    ([{"label": "Email", "type": "email", "maps_to": "contact.email"},
      {"label": "Size", "type": "text", "maps_to": "custom.nope"}], [("fields.1.maps_to", "invalid")]),
    ([{"label": "Email", "type": "email", "maps_to": "contact.email"},
      {"label": "Plan", "type": "select"}], [("fields.1.options", "required")]),
    ([{"label": "Email", "type": "email", "maps_to": "contact.email"},
      {"label": "Yes", "type": "consent", "subscription": "unknown"}], [("fields.1.subscription", "required")]),
    ([{"label": "Email", "type": "email", "maps_to": "contact.email"},
      {"label": "Src", "type": "hidden"}], [("fields.1.hidden_source", "required")]),
    ([{"label": "Email", "type": "email", "maps_to": "contact.email"},
      {"label": "Email", "type": "text"}], [("fields.1.key", "duplicate")]),
])
def test_a_bad_field_is_refused_with_its_index_and_reason(api, fields, expected):
    response = api("marketing").call("post", "/forms", {"name": "Bad", "fields": fields})
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == expected
    assert (Form.objects.count(), FormField.objects.count()) == (0, 0)


def test_an_unknown_campaign_is_a_422_on_campaign_id(api):
    response = api("marketing").call("post", "/forms", {**BODY, "campaign_id": 999})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "campaign_id"


def test_read_change_list_and_delete(api, newsletter):
    read = api("viewer").call("get", f"/forms/{newsletter.pk}")
    assert read.status_code == 200 and len(read.json()["fields"]) == len(NEWSLETTER_FIELDS)
    patched = api("marketing").call("patch", f"/forms/{newsletter.pk}", {"name": "Monthly news",
                                                                          "fields": BODY["fields"]})
    assert patched.status_code == 200
    assert (patched.json()["name"], [f["key"] for f in patched.json()["fields"]]) == (
        "Monthly news", ["work_email", "topic", "nl"])
    listed = api("viewer").call("get", "/forms")
    assert [(f["name"], f["submission_count"]) for f in listed.json()["items"]] == [("Monthly news", 0)]
    assert api("marketing").call("delete", f"/forms/{newsletter.pk}").status_code == 204
    assert Form.objects.count() == 0


def test_roles_without_the_right_are_refused(api, newsletter):
    assert api("viewer").call("post", "/forms", BODY).status_code == 403
    assert api("rep1").call("patch", f"/forms/{newsletter.pk}", {"name": "x"}).status_code == 403
    assert api("rep1").call("delete", f"/forms/{newsletter.pk}").status_code == 403
    assert Form.objects.get().name == "Newsletter"


def test_submissions_are_listed_newest_first_a_page_at_a_time(api, newsletter):
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        assert submit("newsletter", {"email": email}).status_code == 201
    first = api("rep1").call("get", f"/forms/{newsletter.pk}/submissions?limit=2")
    assert first.status_code == 200
    assert [s["answers"]["email"] for s in first.json()["items"]] == ["c@example.com", "b@example.com"]
    rest = api("rep1").call("get", f"/forms/{newsletter.pk}/submissions?limit=2&cursor={first.json()['next_cursor']}")
    assert [s["answers"]["email"] for s in rest.json()["items"]] == ["a@example.com"]
    assert rest.json()["next_cursor"] is None
    listed = api("viewer").call("get", "/forms").json()["items"]
    assert listed[0]["submission_count"] == 3


def test_landing_pages_through_the_api_are_sanitised(api, newsletter):
    created = api("marketing").call("post", "/landing-pages", {
        "headline": "Spring", "body_html": "<h2>Hi</h2><script>x()</script>", "form_id": newsletter.pk,
        "cta_label": "Buy", "cta_url": "https://www.acme.test/buy"})
    assert created.status_code == 201, created.content
    assert (created.json()["slug"], created.json()["body_html"], created.json()["form_id"]) == (
        "spring", "<h2>Hi</h2>", newsletter.pk)
    page_id = created.json()["id"]
    assert api("marketing").call("patch", f"/landing-pages/{page_id}", {"is_published": False}).json()[
        "is_published"] is False
    assert api("marketing").call("delete", f"/landing-pages/{page_id}").status_code == 204
    assert LandingPage.objects.count() == 0


def test_flows_through_the_api_check_their_definition(api, newsletter):
    created = api("marketing").call("post", "/flows", {"name": "Fit", "form_id": newsletter.pk,
                                                       "definition": FLOW_EXAMPLE})
    assert created.status_code == 201, created.content
    assert created.json()["slug"] == "fit"
    bad = api("marketing").call("patch", f"/flows/{created.json()['id']}", {"definition": {"steps": [],
                                                                                           "results": []}})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"definition.steps", "definition.results"}
    taken = api("marketing").call("post", "/flows", {"name": "Other", "slug": "newsletter", "form_id": newsletter.pk,
                                                     "definition": FLOW_EXAMPLE})
    assert (taken.status_code, taken.json()["errors"][0]["field"]) == (409, "slug")
    assert Flow.objects.count() == 1


def test_the_form_list_costs_the_same_queries_for_one_form_or_five(api, newsletter, django_assert_num_queries):
    client = api("viewer")
    client.call("get", "/forms")  # warm: the token's user, the permission table
    with django_assert_num_queries(3) as one:
        assert len(client.call("get", "/forms").json()["items"]) == 1
    for n in range(4):
        do_create_form(by=None, name=f"Form {n}", fields=[{"label": "Email", "type": "email",
                                                          "maps_to": "contact.email"}])
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.call("get", "/forms").json()["items"]) == 5
