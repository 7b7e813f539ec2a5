"""Staff pages: the consent panel on the contact page, the ledger page with its form, erase and export buttons
(admins only), the subscription types pages, and the CLI's erase and export."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from plumbline.consent.actions import do_record_consent
from plumbline.consent.models import ConsentEntry, SubscriptionType
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact, ErasureRecord


@pytest.fixture
def ada(db):
    contact = do_create_contact(email="ada@example.org", first_name="Ada", last_name="Lovelace")
    do_record_consent(contact=contact, channel="email", subscription="newsletter", granted=True, basis="consent",
                      source="form", proof={"text": "Send me the newsletter", "version": 3})
    return contact


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_contact_page_shows_the_consent_panel_with_labels(ada, users):
    html = _as(users["rep1"]).get(f"/contacts/{ada.pk}/").content.decode()
    assert "<h2>Consent</h2>" in html
    assert "<dt>Newsletter</dt><dd>Granted <small class=\"muted\">Form," in html
    assert f"/contacts/{ada.pk}/consent/" in html
    assert "Erase…" not in html  # reps see no privacy buttons
    assert "Erase…" in _as(users["admin"]).get(f"/contacts/{ada.pk}/").content.decode()


def test_the_ledger_page_lists_entries_with_labels_and_records_a_change(ada, users):
    client = _as(users["marketing"])
    html = client.get(f"/contacts/{ada.pk}/consent/").content.decode()
    assert "<td>Form<br><small class=\"muted\">“Send me the newsletter” (version 3)</small></td>" in html
    assert "Legitimate interest" in html  # the basis choices, by label
    answer = client.post(f"/contacts/{ada.pk}/consent/", {"channel": "phone", "subscription": "", "granted": "0",
                                                           "basis": "consent", "note": "Asked on the phone"})
    assert answer.status_code == 302
    entry = ConsentEntry.objects.latest("id")
    assert (entry.channel, entry.subscription, entry.status, entry.source, entry.proof, entry.recorded_by) == (
        "phone", None, "withdrawn", "admin", {"note": "Asked on the phone"}, users["marketing"])
    html = client.get(f"/contacts/{ada.pk}/consent/").content.decode()
    assert "<dt>Phone (all)</dt><dd>Withdrawn</dd>" in html and "<dt>Email (all)</dt><dd>Not asked</dd>" in html


def test_a_viewer_sees_the_ledger_but_cannot_record(ada, users):
    client = _as(users["viewer"])
    assert "Record a change" not in client.get(f"/contacts/{ada.pk}/consent/").content.decode()
    assert client.post(f"/contacts/{ada.pk}/consent/", {"channel": "phone", "granted": "1",
                                                         "basis": "consent"}).status_code == 403
    assert ConsentEntry.objects.count() == 1


def test_erase_asks_first_then_erases_and_only_admins_may(ada, users):
    assert _as(users["marketing"]).get(f"/contacts/{ada.pk}/erase/").status_code == 403
    assert _as(users["marketing"]).post(f"/contacts/{ada.pk}/erase/", {"confirm": "erase"}).status_code == 403
    admin = _as(users["admin"])
    assert "Erase personal data" in admin.get(f"/contacts/{ada.pk}/erase/").content.decode()
    assert Contact.objects.get(pk=ada.pk).email == "ada@example.org"  # the GET asked, nothing more
    answer = admin.post(f"/contacts/{ada.pk}/erase/", {"confirm": "erase"})
    assert answer.status_code == 302
    assert (Contact.objects.get(pk=ada.pk).email, ErasureRecord.objects.get().erased_by) == (
        f"erased-{ada.pk}@erased.invalid", users["admin"])


def test_the_export_button_downloads_the_json(ada, users):
    answer = _as(users["admin"]).get(f"/contacts/{ada.pk}/export.json")
    assert answer["Content-Disposition"] == f'attachment; filename="contact-{ada.pk}-export.json"'
    assert json.loads(answer.content)["contact"]["email"] == "ada@example.org"
    assert _as(users["manager"]).get(f"/contacts/{ada.pk}/export.json").status_code == 403


def test_subscription_types_are_listed_created_and_edited(db, users):
    client = _as(users["marketing"])
    assert "Product news" in client.get("/settings/subscription-types/").content.decode()
    made = client.post("/settings/subscription-types/new/", {"code": "webinars", "label": "Webinars",
                                                             "channel": "email", "double_opt_in": "on",
                                                             "active": "on", "position": "4"})
    assert made.status_code == 302
    webinars = SubscriptionType.objects.get(code="webinars")
    assert (webinars.label, webinars.double_opt_in, webinars.active) == ("Webinars", True, True)
    edited = client.post(f"/settings/subscription-types/{webinars.pk}/", {
        "code": "webinars", "label": "Live webinars", "channel": "email", "position": "4"})
    assert edited.status_code == 302
    webinars.refresh_from_db()
    assert (webinars.label, webinars.double_opt_in, webinars.active) == ("Live webinars", False, False)
    clash = client.post("/settings/subscription-types/new/", {"code": "webinars", "label": "Again",
                                                              "channel": "email", "position": "1"})
    assert clash.status_code == 409 and "already exists" in clash.content.decode()
    assert _as(users["rep1"]).get("/settings/subscription-types/new/").status_code == 403


def test_the_cli_exports_and_erases(ada, users):
    out = io.StringIO()
    call_command("contacts", "export", "ada@example.org", stdout=out)
    assert json.loads(out.getvalue())["contact"]["first_name"] == "Ada"
    out = io.StringIO()
    call_command("contacts", "erase", str(ada.pk), "--by", "admin", stdout=out)
    record = ErasureRecord.objects.get()
    assert out.getvalue() == (f"Erased contact {ada.pk}: its personal data is removed everywhere, its history "
                              f"kept anonymised (erasure {record.pk}).\n")
    assert (record.erased_by, Contact.objects.get(pk=ada.pk).first_name) == (users["admin"], "")
    # and: erasing again keeps the placeholder address and records a second erasure
    call_command("contacts", "erase", str(ada.pk), stdout=io.StringIO())
    assert (Contact.objects.get(pk=ada.pk).email, ErasureRecord.objects.count()) == (
        f"erased-{ada.pk}@erased.invalid", 2)
