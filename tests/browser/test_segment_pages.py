"""Segment pages in a real browser: the Marketing menu leads to a static list; a marketer finds a contact and adds
it, searches the members as they type, removes one after the confirmation, and cancels a deletion."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plumbline.crm.actions import do_create_contact
from plumbline.segments.actions import do_add_to_list, do_create_segment
from plumbline.segments.models import Membership, Segment
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser


def test_a_marketer_keeps_a_static_list_by_hand(live_server, transactional_db, users, browser_page):
    # given: a list holding Ann, and Bob and Cat outside it
    page, base = browser_page, live_server.url
    ann = do_create_contact(email="ann@acme.example", first_name="Ann", last_name="Lee")
    bob = do_create_contact(email="bob@acme.example", first_name="Bob", last_name="Roe")
    do_create_contact(email="cat@other.example", first_name="Cat", last_name="Kim")
    vip = do_create_segment(by=users["marketing"], name="VIP list", kind="static")
    do_add_to_list(by=users["marketing"], segment=vip, contact_ids=[ann.pk])
    sign_in(page, base, "marketing")

    # when: they open Segments from the Marketing menu, then the list
    page.click("summary:has-text('Marketing')")
    page.click(".menu-items a:has-text('Segments')")
    page.wait_for_url(f"{base}/segments/")
    page.click("a:has-text('VIP list')")
    page.wait_for_url(f"{base}/segments/{vip.pk}/")

    # and: find Bob by typing, tick him and add him
    page.fill("#candidate-q", "bob")
    page.locator("#candidates input[type=checkbox]").first.wait_for()
    assert [t.strip() for t in page.locator("#candidates li").all_inner_texts()] == [
        "Bob Roe <bob@acme.example>"
    ]
    page.check(f"#candidates input[value='{bob.pk}']")
    page.click("button:has-text('Add to list')")
    page.wait_for_url(f"{base}/segments/{vip.pk}/")

    # then: he is a member, and the page says so
    assert "1 contact added." in page.locator(".messages").inner_text()
    assert sorted(Membership.objects.filter(segment=vip).values_list("contact__email", flat=True)) == [
        "ann@acme.example",
        "bob@acme.example",
    ]

    # when: they search the members as they type, only Bob's row stays
    page.fill("#member-q", "bob")
    expect(page.locator("#members tbody tr")).to_have_count(1)
    assert "bob@acme.example" in page.locator("#members tbody").inner_text()
    assert page.url == f"{base}/segments/{vip.pk}/?q=bob"

    # and: tick him and remove him, confirming the question
    page.check(f"#members input[value='{bob.pk}']")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Remove ticked members')")
    page.wait_for_url(f"{base}/segments/{vip.pk}/?q=bob")
    assert "1 contact removed." in page.locator(".messages").inner_text()
    assert list(Membership.objects.filter(segment=vip).values_list("contact_id", flat=True)) == [ann.pk]

    # when: they press Delete and then cancel the question, nothing is deleted
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('Delete')")
    assert questions == [
        "Delete the segment VIP list? Its members and history go with it; the contacts stay."
    ]
    assert Segment.objects.filter(pk=vip.pk).exists()
