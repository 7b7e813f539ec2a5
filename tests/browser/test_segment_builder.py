"""The visual segment builder in a real browser: a marketer builds a segment condition by condition, watches the
live count change, saves it; then a touchpoint recorded through the API brings a contact into a behavioural
segment once the feed is pumped, and the segment's page shows it."""

from __future__ import annotations

import re

import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.events.runner import drain
from plumbline.segments.models import Membership, Segment
from plumbline.webforms.actions import do_create_form
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser
SEGMENT_PAGE = re.compile(r"/segments/\d+/$")


def count_in(page) -> str:
    return page.locator("#segment-preview .builder-count").inner_text()


def wait_for_count(page, text: str) -> None:
    page.locator("#segment-preview .builder-count", has_text=re.compile(f"^{re.escape(text)}$")).wait_for()


def new_segment(page, base: str, name: str) -> None:
    page.goto(f"{base}/segments/")
    page.click("a.button:has-text('New segment')")
    page.wait_for_url(f"{base}/segments/new/?kind=dynamic")
    page.fill("#id_name", name)
    page.click("button:has-text('Add a group')")


def test_marketer_builds_a_segment_with_a_live_count(live_server, transactional_db, users, browser_page):
    for email, stage in (("lee@a.test", "lead"), ("kim@b.test", "lead"), ("sam@c.test", "subscriber")):
        do_create_contact(email=email, lifecycle_stage=stage)
    page, base = browser_page, live_server.url
    sign_in(page, base, "marketing")
    new_segment(page, base, "Leads")

    page.select_option("[aria-label='Group 1, condition 1: field']", "lifecycle_stage")
    page.select_option("[aria-label='Group 1, condition 1: operator']", "in")
    values = page.get_by_role("group", name="Group 1, condition 1: values")
    values.get_by_label("Lead", exact=True).check()
    wait_for_count(page, "2 contacts match")
    assert page.locator("#segment-preview table tbody tr").count() == 2
    values.get_by_label("Subscriber", exact=True).check()
    wait_for_count(page, "3 contacts match")
    values.get_by_label("Subscriber", exact=True).uncheck()
    wait_for_count(page, "2 contacts match")

    page.click("button:has-text('Create segment')")
    page.wait_for_url(SEGMENT_PAGE)
    segment = Segment.objects.get(name="Leads")
    assert page.url == f"{base}/segments/{segment.pk}/"
    assert segment.predicate["any"] == [
        {"all": [{"field": "lifecycle_stage", "op": "in", "value": ["lead"]}]}
    ]
    members = page.locator("#members tbody").inner_text()
    assert "lee@a.test" in members and "kim@b.test" in members and "sam@c.test" not in members


def test_a_touchpoint_recorded_through_the_api_brings_a_contact_into_a_segment(
    live_server, transactional_db, users, tokens, browser_page
):
    sam = do_create_contact(email="sam@c.test", lifecycle_stage="subscriber")
    page, base = browser_page, live_server.url
    sign_in(page, base, "marketing")
    new_segment(page, base, "Pricing visitors")
    page.select_option("[aria-label='Group 1, condition 1: condition type']", "touchpoints")
    page.select_option("[aria-label='Group 1, condition 1: Kind']", "pricing_view")
    page.fill("[aria-label='Group 1, condition 1: within the last N days (empty: ever)']", "14")
    wait_for_count(page, "0 contacts match")
    page.screenshot(path="/tmp/plumbline_segment_builder.png", full_page=True)
    page.click("button:has-text('Create segment')")
    page.wait_for_url(SEGMENT_PAGE)
    segment = Segment.objects.get(name="Pricing visitors")
    assert page.url == f"{base}/segments/{segment.pk}/"
    assert segment.predicate["any"] == [
        {"all": [{"touchpoints": {"kind": "pricing_view"}, "op": "gte", "value": 1, "within_days": 14}]}
    ]
    assert "No members." in page.locator("#members tbody").inner_text()

    answer = page.request.post(
        f"{base}/api/v1/touchpoints",
        headers={"Authorization": f"Bearer {tokens['marketing']}"},
        data={"contact_email": "sam@c.test", "kind": "pricing_view", "channel": "seo"},
    )
    assert answer.status == 201
    drain()

    assert list(Membership.objects.filter(segment=segment).values_list("contact_id", flat=True)) == [sam.pk]
    page.reload()
    assert "sam@c.test" in page.locator("#members tbody").inner_text()
    page.goto(f"{base}/segments/{segment.pk}/why/?contact=sam@c.test")
    assert "In this segment since" in page.locator(".why").inner_text()
    assert page.locator(".why-tree .why-yes").count() >= 1
    page.screenshot(path="/tmp/plumbline_segment_why.png", full_page=True)


def test_a_rule_refused_on_save_shows_its_error_next_to_the_condition(
    live_server, transactional_db, users, browser_page
):
    page, base = browser_page, live_server.url
    sign_in(page, base, "marketing")
    new_segment(page, base, "Broken")
    page.select_option("[aria-label='Group 1, condition 1: field']", "company.employees")
    page.select_option("[aria-label='Group 1, condition 1: operator']", "between")
    page.fill("[aria-label='Group 1, condition 1: value from']", "10")
    page.fill("[aria-label='Group 1, condition 1: value to']", "")
    page.click("button:has-text('Create segment')")

    condition = page.get_by_role("group", name="Group 1, condition 1")
    assert condition.locator(".builder-error").inner_text() == "expected a number"
    assert page.locator("[aria-label='Group 1, condition 1: value from']").input_value() == "10"
    assert not Segment.objects.filter(name="Broken").exists()


def test_a_form_condition_is_built_from_the_form_and_its_question(
    live_server, transactional_db, users, browser_page
):
    do_create_form(
        name="Newsletter",
        slug="newsletter",
        fields=[
            {"label": "Email", "key": "email", "type": "email", "maps_to": "contact.email"},
            {"label": "Your role", "key": "role", "type": "text"},
        ],
    )
    for email in ("lee@a.test", "kim@b.test"):
        do_create_contact(email=email)
    page, base = browser_page, live_server.url
    sign_in(page, base, "marketing")
    new_segment(page, base, "Never signed up")
    page.select_option("[aria-label='Group 1, condition 1: condition type']", "form")
    page.select_option("[aria-label='Group 1, condition 1: field']", "newsletter")
    page.select_option("[aria-label='Group 1, condition 1: operator']", "not_submitted")
    page.fill("[aria-label='Group 1, condition 1: within the last N days (empty: ever)']", "30")
    wait_for_count(page, "2 contacts match")
    page.select_option("[aria-label='Group 1, condition 1: field']", "newsletter/role")
    page.select_option("[aria-label='Group 1, condition 1: operator']", "is_set")
    wait_for_count(page, "0 contacts match")
    page.click("button:has-text('Create segment')")
    page.wait_for_url(SEGMENT_PAGE)
    segment = Segment.objects.get(name="Never signed up")
    assert page.url == f"{base}/segments/{segment.pk}/"
    assert segment.predicate["any"] == [
        {"all": [{"form": {"form": "newsletter", "field": "role"}, "op": "is_set"}]}
    ]
    page.goto(f"{base}/segments/{segment.pk}/edit/")
    field = page.locator("[aria-label='Group 1, condition 1: field']")
    assert field.evaluate("select => select.options[select.selectedIndex].text") == "Your role"
    wait_for_count(page, "0 contacts match")
