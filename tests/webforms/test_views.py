"""The staff pages: the form editor with its HTMX rows, the list with counts, submissions and their CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from plumbline.webforms.forms import FLOW_EXAMPLE
from plumbline.webforms.models import Flow, Form, LandingPage
from tests.webforms.conftest import submit

pytestmark = pytest.mark.django_db


def rows(*fields: dict) -> dict:
    """The editor's POST for these field rows (each row named by an id, as the page names them)."""
    data: dict = {"row": []}
    for i, f in enumerate(fields):
        rid = f"r{i}"
        data["row"].append(rid)
        data.update({f"{rid}-{k}": v for k, v in f.items()})
        data.setdefault(f"{rid}-position", str(i + 1))
    return data


SETTINGS = {"name": "Webinar sign-up", "submit_label": "Register", "profiling_max_fields": "0", "is_active": "on"}


def test_a_marketer_builds_a_form_with_rows_in_the_order_given(browser):
    client = browser("marketing")
    page = client.get("/forms/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Consent checkbox" in html and "Newsletter" in html and "Company name" in html  # labels, not codes
    response = client.post("/forms/new/", {**SETTINGS, **rows(
        {"label": "Email", "type": "email", "maps_to": "contact.email", "required": "on", "position": "2"},
        {"label": "Your name", "type": "text", "maps_to": "contact.first_name", "position": "1"},
        {"label": "Keep me posted", "type": "consent", "subscription": "events", "position": "3"},
    )})
    form = Form.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/forms/{form.pk}/"
    assert [(f.key, f.type, f.maps_to, f.required, f.subscription) for f in form.fields.all()] == [
        ("your_name", "text", "contact.first_name", False, ""), ("email", "email", "contact.email", True, ""),
        ("keep_me_posted", "consent", "", False, "events")]
    assert form.submit_label == "Register"


def test_a_bad_row_shows_its_error_on_that_row_and_writes_nothing(browser):
    response = browser("marketing").post("/forms/new/", {**SETTINGS, **rows(
        {"label": "Email", "type": "email", "maps_to": "contact.email"},
        {"label": "Plan", "type": "select"},
    )})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'name="r1-label" value="Plan".*?A drop-down needs at least one choice', html, flags=re.S)
    assert Form.objects.count() == 0


def test_htmx_adds_and_removes_rows(browser):
    client = browser("marketing")
    added = client.get("/forms/field-row/", HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    assert added.content.decode().count('<tr class="field-row">') == 1
    assert client.get("/forms/field-row/removed/").content == b""


def test_a_viewer_may_not_build_forms(browser, newsletter):
    assert browser("viewer").get("/forms/new/").status_code == 403
    assert browser("viewer").post(f"/forms/{newsletter.pk}/edit/", SETTINGS).status_code == 403
    assert browser("viewer").get("/forms/").status_code == 200


def test_the_list_counts_submissions_and_the_form_page_lists_them_with_the_embed_tag(browser, newsletter):
    for email in ("a@example.com", "b@example.com"):
        assert submit("newsletter", {"email": email, "first_name": "Ann"}).status_code == 201
    listing = browser("rep1").get("/forms/").content.decode()
    assert re.search(r"Newsletter</a></td>\s*<td><a href=\"/f/newsletter\">/f/newsletter</a></td>\s*<td>—</td>\s*"
                     r"<td>2</td>", listing)
    detail = browser("rep1").get(f"/forms/{newsletter.pk}/").content.decode()
    assert "a@example.com" in detail and "b@example.com" in detail
    assert "&lt;script src=&quot;http://127.0.0.1:8000/f/newsletter/embed.js&quot;&gt;&lt;/script&gt;" in detail


def test_the_csv_export_has_a_line_per_submission(browser, newsletter):
    assert submit("newsletter", {"email": "a@example.com", "first_name": "Ann", "newsletter": True,
                                 "utm_source": "google", "utm_campaign": "spring"}).status_code == 201
    assert submit("newsletter", {"email": "b@example.com", "company": "Acme, Inc."}).status_code == 201
    response = browser("viewer").get(f"/forms/{newsletter.pk}/submissions.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="submissions-newsletter.csv"'
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == ["submitted_at", "contact_email", "Email", "First name", "Last name", "Company",
                        "Job title", "Send me the monthly newsletter", "Tell me about events", "Campaign",
                        "utm_source", "utm_medium", "utm_campaign", "page_url"]
    assert [line[1:] for line in lines[1:]] == [
        ["b@example.com", "b@example.com", "", "", "Acme, Inc.", "", "no", "no", "", "", "", "", ""],
        ["a@example.com", "a@example.com", "Ann", "", "", "", "yes", "no", "spring", "google", "", "spring", ""],
    ]


def test_landing_pages_and_flows_are_edited_from_the_ui(browser, newsletter):
    client = browser("marketing")
    made = client.post("/forms/landing-pages/new/", {"headline": "Spring offer", "body_html": "<p>Hi</p>",
                                                     "form": newsletter.pk, "is_published": "on"})
    assert made.status_code == 302
    assert LandingPage.objects.get().slug == "spring-offer"
    bad = client.post("/forms/flows/new/", {"name": "Fit", "form": newsletter.pk, "definition": '{"steps": []}'})
    assert bad.status_code == 400
    assert "steps: List should have at least 1 item" in bad.content.decode()
    good = client.post("/forms/flows/new/", {"name": "Fit", "form": newsletter.pk,
                                             "definition": json.dumps(FLOW_EXAMPLE), "is_active": "on"})
    assert good.status_code == 302
    flow = Flow.objects.get()
    page = client.get(f"/forms/flows/{flow.pk}/").content.decode()
    assert "What describes you best?" in page and "talk to sales" in page


def test_the_cli_lists_forms_and_prints_submissions(newsletter):
    assert submit("newsletter", {"email": "a@example.com", "utm_campaign": "spring"}).status_code == 201
    out = StringIO()
    call_command("forms", "list", stdout=out)
    assert out.getvalue() == f"{newsletter.pk}  /f/newsletter  Newsletter  (takes submissions)  1 submission\n"
    out = StringIO()
    call_command("forms", "submissions", "newsletter", "--csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].split(",")[1:3] == ["a@example.com", "a@example.com"]
