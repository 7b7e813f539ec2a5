"""In Chromium: the hosted page and the one-tag embed on another site solve the proof of work, submit, show
errors next to their fields and thank the visitor; the browser blocks nothing under our CSP."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from plumbline.consent.actions import do_create_subscription_type
from plumbline.consent.models import ConsentEntry, SubscriptionType
from plumbline.crm.models import Contact
from plumbline.webforms.actions import do_create_form
from plumbline.webforms.models import Form, Submission
from tests.browser.conftest import browser_page  # noqa: F401 - the Chromium fixture
from tests.browser.test_core_flow import sign_in
from tests.webforms.conftest import NEWSLETTER_FIELDS

pytestmark = pytest.mark.browser



@pytest.fixture
def site():
    """Another site, on another origin (127.0.0.1 and its own port; the live server is localhost): a real HTTP
    server answering every GET with the page a test sets. Loopback is a secure context, as HTTPS would be."""
    state = {"html": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = state["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def form(transactional_db):
    # A transactional test starts from empty tables: the seeded subscription types are made again.
    for code, label in (("newsletter", "Newsletter"), ("events", "Events")):
        if not SubscriptionType.objects.filter(code=code).exists():
            do_create_subscription_type(by=None, code=code, label=label)
    return do_create_form(by=None, name="Newsletter", slug="newsletter", fields=NEWSLETTER_FIELDS,
                          thank_you_message="Thanks: check your inbox.")


def test_the_hosted_page_submits_once_the_proof_of_work_is_solved(live_server, form, browser_page):  # noqa: F811
    page = browser_page
    page.goto(f"{live_server.url}/f/newsletter?utm_campaign=spring&utm_source=flyer")
    page.fill("#pl-email", "ada@example.com")
    page.fill("#pl-first_name", "Ada")
    page.check("#pl-newsletter")
    page.wait_for_selector("button.pl-submit:not([disabled])")
    page.click("button.pl-submit")
    page.wait_for_selector("text=Thanks: check your inbox.")
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name) == ("ada@example.com", "Ada")
    assert Submission.objects.get().utm == {"utm_source": "flyer", "utm_campaign": "spring"}
    assert list(ConsentEntry.objects.values_list("subscription__code", "status")) == [("newsletter", "requested")]


def test_the_embed_renders_into_another_site_and_posts_across_origins(live_server, form, site,
                                                                     browser_page):  # noqa: F811
    page, (state, base) = browser_page, site
    host = f"{base}pricing?utm_campaign=spring"
    state["html"] = (f'<!doctype html><html><body><h1>Acme pricing</h1>'
                     f'<script src="{live_server.url}/f/newsletter/embed.js"></script></body></html>')
    page.goto(host)
    page.wait_for_selector(".plumbline-embed form input[name=email]")
    # When the visitor sends a wrong email, the error shows next to the field and nothing is written
    page.fill(".plumbline-embed input[name=email]", "not-an-email")
    page.wait_for_selector(".plumbline-embed button.pl-submit:not([disabled])")
    page.click(".plumbline-embed button.pl-submit")
    page.wait_for_selector('[data-field="email"] .pl-errors li')
    assert Submission.objects.count() == 0
    # When they correct it (a new proof of work is solved for the retry)
    page.fill(".plumbline-embed input[name=email]", "bob@example.com")
    page.check(".plumbline-embed input[name=events]")
    page.wait_for_selector(".plumbline-embed button.pl-submit:not([disabled])")
    page.click(".plumbline-embed button.pl-submit")
    page.wait_for_selector(".plumbline-embed .pl-thanks")
    # Then the submission knows the page and its UTM campaign, and the consent box is in the ledger
    submission = Submission.objects.get()
    assert (submission.contact.email, submission.page_url, submission.utm) == (
        "bob@example.com", host, {"utm_campaign": "spring"})
    assert list(ConsentEntry.objects.values_list("subscription__code", "status")) == [("events", "requested")]


def test_the_fallback_sha256_matches_the_browsers(live_server, form, browser_page):  # noqa: F811
    page = browser_page
    page.goto(f"{live_server.url}/f/newsletter")
    same = page.evaluate("""async () => {
        const hex = b => Array.from(new Uint8Array(b)).map(x => x.toString(16).padStart(2, "0")).join("");
        for (const text of ["", "abc", "salt?expires=1&42", "x".repeat(200)]) {
            const native = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
            if (native !== window.plumblineForms.sha256(text)) return text;
        }
        return true;
    }""")
    assert same is True


def test_a_marketer_adds_and_removes_field_rows_with_htmx(live_server, form, users, browser_page):  # noqa: F811
    page = browser_page
    sign_in(page, live_server.url, "marketing")
    page.goto(f"{live_server.url}/forms/new/")
    page.fill("#id_name", "Demo request")
    # When they add two rows, remove the second, and fill the first
    page.click("text=Add a field")
    page.click("text=Add a field")
    page.wait_for_selector("#field-rows tr.field-row >> nth=2")
    page.locator("#field-rows tr.field-row").nth(2).locator("text=Remove").click()
    expect(page.locator("#field-rows tr.field-row")).to_have_count(2)  # no string predicates: the CSP forbids eval
    row = page.locator("#field-rows tr.field-row").nth(1)
    row.locator("input[aria-label=Label]").fill("Company")
    row.locator("select[aria-label='Saved to']").select_option(label="Company name")
    page.click("button.primary")
    page.wait_for_selector("text=Form Demo request saved.")
    # Then the form has the email row it started with and the company row
    saved = Form.objects.get(name="Demo request")
    assert [(f.label, f.maps_to) for f in saved.fields.all()] == [("Email", "contact.email"),
                                                                  ("Company", "company.name")]
