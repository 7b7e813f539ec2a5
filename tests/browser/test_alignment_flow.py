"""The alignment loop in a real browser: an admin edits the plumb line; a rep accepts one lead and rejects another."""

from __future__ import annotations

import re

import pytest

from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.definitions.models import DefinitionVersion
from plumbline.handoff.actions import do_route_lead
from plumbline.handoff.models import Assignment
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser


def test_admin_publishes_a_new_definitions_version(live_server, transactional_db, users, browser_page):
    page, base = browser_page, live_server.url
    sign_in(page, base, "admin")
    page.goto(f"{base}/definitions/")
    assert "v1" in page.locator("h1").inner_text()
    page.click("a:has-text('Edit')")
    page.wait_for_url(f"{base}/definitions/edit/")
    body = page.input_value("#id_body")
    page.fill("#id_body", re.sub(r"first_touch_hours: 4\.0", "first_touch_hours: 2.0", body))
    page.fill("#id_note", "Two-hour follow-up agreed with sales")
    page.click("button:has-text('Publish new version')")
    page.wait_for_url(f"{base}/definitions/")
    assert "v2" in page.locator("h1").inner_text()
    assert "2 business hours" in page.content()
    assert DefinitionVersion.objects.get(number=2).note == "Two-hour follow-up agreed with sales"
    page.click("a:has-text('What changed last')")
    assert "sla.first_touch_hours" in page.locator("table").inner_text()


def test_rep_accepts_one_lead_and_rejects_another_from_the_queue(live_server, transactional_db, users, browser_page):
    page, base = browser_page, live_server.url
    for name in ("rep2", "manager"):
        users[name].is_out_of_office = True
        users[name].save()
    do_create_company(name="Acme", domain="acme.com", industry="Software")
    keep = do_route_lead(contact=do_create_contact(email="cto@acme.com", first_name="Cleo", lifecycle_stage="mql"))
    drop = do_route_lead(contact=do_create_contact(email="kid@acme.com", first_name="Kit", lifecycle_stage="mql"))
    sign_in(page, base, "rep1")
    page.goto(f"{base}/queue/")
    assert page.locator("table.queue tbody tr").count() == 2
    assert "left" in page.locator(f"#assignment-{keep.pk} .sla-countdown").inner_text()
    page.screenshot(path="/tmp/plumbline_queue.png", full_page=True)

    page.click(f"#assignment-{keep.pk} button:has-text('Accept')")
    page.wait_for_url(f"{base}/queue/")
    assert "Accepted" in page.locator(".messages").inner_text()

    page.click(f"#assignment-{drop.pk} summary:has-text('Reject')")
    page.select_option(f"#reason-{drop.pk}", "student")
    page.fill(f"#note-{drop.pk}", "Summer intern")
    page.click(f"#assignment-{drop.pk} button:has-text('Reject lead')")
    page.wait_for_url(f"{base}/queue/")
    assert "back in nurture" in page.locator(".messages").inner_text()
    assert page.locator("table.queue tbody tr").count() == 0

    keep.refresh_from_db()
    drop.refresh_from_db()
    assert (keep.status, drop.status, drop.reject_reason, drop.note) == ("accepted", "rejected", "student",
                                                                         "Summer intern")
    assert drop.contact.lifecycle_transitions.first().to_stage == "lead"
    assert Assignment.objects.filter(status="open").count() == 0
