"""Duplicates in a real browser: scan, open a suggested pair, pick fields, merge, then undo from the contact page."""

from __future__ import annotations

import re

import pytest

from plumbline.analytics.tasks import scan_duplicates
from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.models import Contact, ContactMerge
from plumbline.marketing.actions import do_record_touchpoint
from plumbline.marketing.models import Touchpoint
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser


def test_user_merges_a_suggested_duplicate_and_undoes_it(live_server, transactional_db, users, browser_page):
    # given: Grace twice, once at work and once with a personal address, among other people
    page, base = browser_page, live_server.url
    navy = do_create_company(name="Navy", domain="navy.example")
    for n, (first, last) in enumerate([("Alan", "Turing"), ("Ada", "Lovelace"), ("Edsger", "Dijkstra"),
                                       ("Barbara", "Liskov"), ("Donald", "Knuth"), ("John", "Backus")]):
        do_create_contact(email=f"{first}.{last}@lab{n}.example".lower(), first_name=first, last_name=last)
    work = do_create_contact(email="grace.hopper@navy.example", first_name="Grace", last_name="Hopper",
                             company=navy, phone="+1 202 555 0142")
    home = do_create_contact(email="gracehopper@gmail.com", first_name="Grace", last_name="Hopper", title="Rear Admiral")
    webinar = do_record_touchpoint(contact_id=home.pk, kind="webinar_attended", channel="webinar")
    scan_duplicates.call()
    sign_in(page, base, "manager")

    # when: they open the suggestions and compare the pair
    page.goto(f"{base}/contacts/")
    page.click("a:has-text('Possible duplicates')")
    row = page.locator("table.data tbody tr").first
    assert "grace.hopper@navy.example" in row.inner_text() and "gracehopper@gmail.com" in row.inner_text()
    assert "First name exact" in row.inner_text() and "Email domain differs" in row.inner_text()
    row.locator("a:has-text('Compare and merge')").click()
    page.wait_for_url(re.compile(rf"/contacts/{work.pk}/merge/\?other={home.pk}$"))
    # the blank title is filled from the duplicate by default; they keep the personal email
    assert page.locator("input[name=keep_title][value=other]").is_checked()
    page.check("input[name=keep_email][value=other]")
    page.click("button:has-text('Merge gracehopper@gmail.com into grace.hopper@navy.example')")
    page.wait_for_url(f"{base}/contacts/{work.pk}/")

    # then: one Grace with both histories
    assert "Merged gracehopper@gmail.com into this contact." in page.content()
    kept = Contact.objects.get(pk=work.pk)
    assert (kept.email, kept.title, kept.phone) == ("gracehopper@gmail.com", "Rear Admiral", "+1 202 555 0142")
    assert not Contact.objects.filter(pk=home.pk).exists()
    assert Touchpoint.objects.get(pk=webinar.pk).contact_id == work.pk

    # when: they open the merged-away contact's old address, they land on the survivor with a note
    page.goto(f"{base}/contacts/{home.pk}/")
    page.wait_for_url(f"{base}/contacts/{work.pk}/")
    assert "was merged into" in page.locator(".messages").inner_text()

    # when: they undo the merge from the contact page, they are asked first; then they confirm
    page.click("section:has(h2:text('Merges')) a:has-text('Undo')")
    page.wait_for_url(re.compile(r"/merges/\d+/undo/$"))
    assert "Undo the merge of gracehopper@gmail.com" in page.locator("h1").inner_text()
    assert ContactMerge.objects.get().undone_at is None
    page.click("button:has-text('Undo the merge')")
    page.wait_for_url(f"{base}/contacts/{home.pk}/")

    # then: both contacts are back as they were, each with its own history
    assert "Merge undone" in page.content()
    assert Contact.objects.get(pk=work.pk).email == "grace.hopper@navy.example"
    assert Contact.objects.get(pk=home.pk).title == "Rear Admiral"
    assert Touchpoint.objects.get(pk=webinar.pk).contact_id == home.pk
    assert ContactMerge.objects.get().undone_at is not None
