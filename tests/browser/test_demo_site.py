"""The demo company's website in a real browser: a visitor reads three pages (the tracking snippet records them),
subscribes with the embedded newsletter form, and becomes a contact whose timeline holds those page views with
their real times, the form submission, and the consent from the ticked box in the ledger."""

from __future__ import annotations

import shutil
import time

import pytest
from playwright.sync_api import expect

from plumbline.consent.models import ConsentEntry
from plumbline.crm.models import Contact
from plumbline.demo.capture import NEWSLETTER_TEXT, SITE_NAME, install_assets
from plumbline.events.runner import drain
from plumbline.marketing.models import Touchpoint
from plumbline.tracking.actions import do_process_hits
from plumbline.tracking.models import Hit
from plumbline.webforms.models import Submission
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _wait_for_request_threads
from tests.browser.test_core_flow import sign_in

pytestmark = pytest.mark.browser

# A person's browser, not an automated one: the tracking app labels HeadlessChrome and navigator.webdriver as
# bots (never counted), so the visitor's browser presents an ordinary Chrome agent and no webdriver flag.
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
EMAIL = "margaret.hamilton@apollo.example"


@pytest.fixture
def visitor_page():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=[*CHROMIUM_ARGS, "--disable-blink-features=AutomationControlled",
                                           f"--user-agent={CHROME}"])
        context = browser.new_context(viewport={"width": 1400, "height": 900}, user_agent=CHROME)
        page = context.new_page()
        page.set_default_timeout(15_000)
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            _wait_for_request_threads()
            connections.close_all()
    assert blocked == []


def _wait_for_hits(visitor_id: str, count: int, seconds: float = 10.0) -> list[Hit]:
    """The beacons are sent by the browser on its own schedule (sendBeacon as a page is left, a timer on the last
    page): poll the database, bounded, until they are all durable."""
    deadline = time.monotonic() + seconds
    while True:
        hits = list(Hit.objects.filter(visitor_id=visitor_id, kind="page_view").order_by("occurred_at"))
        if len(hits) >= count or time.monotonic() > deadline:
            return hits
        time.sleep(0.05)


def test_a_visitor_reads_three_pages_subscribes_and_finds_them_on_their_timeline(
        live_server, transactional_db, users, settings, visitor_page):
    # given: the demo company's website, served at the live server's address (its tracking origin)
    settings.PUBLIC_BASE_URL = live_server.url
    settings.FORMS_POW_MAX_NUMBER = 2000  # the same proof of work, quicker to find
    assets = install_assets(base_url=live_server.url)
    page, base = visitor_page, live_server.url

    # when: a visitor reads the home page, a blog post and the product page, a moment each (the snippet sends a
    # page's view a second after it loads; waiting for it keeps the live server's requests apart, which SQLite's
    # one shared test connection needs)
    page.goto(f"{base}/demo-site/")
    assert page.locator("h1").inner_text() == "One funnel for sales and marketing"
    visitor = page.evaluate("plumbline.visitorId()")
    assert len(_wait_for_hits(visitor, 1)) == 1
    page.click("nav a:has-text('Blog')")
    page.wait_for_url(f"{base}/demo-site/blog/one-scoreboard/")
    assert len(_wait_for_hits(visitor, 2)) == 2
    page.click("nav a:has-text('Product')")
    page.wait_for_url(f"{base}/demo-site/product/")
    assert len(_wait_for_hits(visitor, 3)) == 3
    assert page.locator("a:has-text('Find your plan')").first.get_attribute("href") == "/f/find-your-plan"

    # and subscribes with the embedded form: email, name, company, the newsletter box ticked
    form = page.locator(".plumbline-embed form")
    form.locator("input[name=email]").fill(EMAIL)
    form.locator("input[name=first_name]").fill("Margaret")
    form.locator("input[name=company]").fill("Apollo Guidance")
    form.locator(f"label:has-text('{NEWSLETTER_TEXT}') input").check()
    expect(page.locator(".plumbline-embed input[name=altcha]")).not_to_have_value("")  # the proof of work is done
    form.locator("button:has-text('Subscribe')").click()
    assert "Check your inbox" in page.locator(".pl-thanks").inner_text()

    # then: the contact exists, the submission carries the visitor id the snippet gave the form
    contact = Contact.objects.get(email=EMAIL)
    assert (contact.first_name, contact.company.name) == ("Margaret", "Apollo Guidance")
    submission = Submission.objects.get(contact=contact)
    assert (submission.form_id, submission.visitor_id) == (assets.form.pk, visitor)

    # when: the worker's jobs run (hit processing, the change feed)
    hits = _wait_for_hits(visitor, 3)
    do_process_hits()
    drain()

    # then: the three page views, read before the submission, are the contact's touchpoints with their own times
    assert [h.path for h in hits] == ["/demo-site/", "/demo-site/blog/one-scoreboard/", "/demo-site/product/"]
    assert [(h.bot, h.bot_reason, h.site.name) for h in hits] == [("", "", SITE_NAME)] * 3
    assert all(h.occurred_at < submission.submitted_at for h in hits)
    views = list(Touchpoint.objects.filter(contact=contact, kind="page_view").order_by("occurred_at")
                 .values_list("content", "occurred_at"))
    assert views == [(h.path, h.occurred_at) for h in hits]
    assert list(Touchpoint.objects.filter(contact=contact, kind="form_submit").values_list(
        "content", "occurred_at")) == [("Form: Newsletter and contact", submission.submitted_at)]
    assert Touchpoint.objects.filter(contact=contact).count() == 4

    # and the ledger holds the newsletter consent from the form, with the checkbox text as its proof
    entries = list(ConsentEntry.objects.filter(contact=contact).select_related("subscription"))
    assert [(e.channel, e.subscription.code, e.status, e.source) for e in entries] == [
        ("email", "newsletter", "requested", "form")]
    proof = entries[0].proof
    assert (proof["text"], proof["form"], proof["field"]) == (NEWSLETTER_TEXT, "newsletter", "newsletter")
    assert proof["page_url"] == f"{base}/demo-site/product/"

    # when: a marketer signs in and opens the contact
    sign_in(page, base, "marketing")
    page.goto(f"{base}/contacts/{contact.pk}/")

    # then: the timeline shows the pages read before the submission
    timeline = page.locator("body").inner_text()
    for path in ("/demo-site/", "/demo-site/blog/one-scoreboard/", "/demo-site/product/"):
        assert path in timeline
    assert "Form: Newsletter and contact" in timeline

