"""The consent ledger: append-only rows, the state they add up to, the contact's consent_status and events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from plumbline.consent.actions import do_record_consent, do_record_field_consent, do_unsubscribe_all
from plumbline.consent.models import ConsentEntry
from plumbline.consent.queries import current_consent, derived_email_status, is_granted, subscription_types
from plumbline.core.errors import ValidationFailed
from plumbline.crm.actions import do_create_contact
from plumbline.events.models import Event

T0 = timezone.make_aware(dt.datetime(2026, 3, 1, 9, 0))


@pytest.fixture
def contact(db):
    return do_create_contact(email="ada@example.org", first_name="Ada", last_name="Lovelace")


def test_the_seeded_subscription_types_are_newsletter_product_news_and_events(db):
    assert [(t.code, t.label) for t in subscription_types()] == [
        ("newsletter", "Newsletter"), ("product_news", "Product news"), ("events", "Events")]


def test_a_grant_is_a_ledger_row_with_hashed_ip_an_event_and_opts_the_contact_in(contact, users):
    # when: the contact grants the newsletter from a form, with the raw IP in the proof
    entry = do_record_consent(contact=contact, channel="email", subscription="newsletter", granted=True,
                              basis="consent", source="form", by=users["marketing"], at=T0,
                              proof={"form": "f-1", "text": "Send me the newsletter", "version": 3,
                                     "ip": "203.0.113.9", "user_agent": "Firefox"})
    # then: one row, the IP only as a hash; the contact is opted in; one consent.granted event
    assert ConsentEntry.objects.count() == 1
    assert "ip" not in entry.proof and len(entry.proof["ip_hash"]) == 64
    assert "203.0.113.9" not in str(entry.proof)
    assert (entry.proof["form"], entry.proof["version"], entry.recorded_by) == ("f-1", 3, users["marketing"])
    contact.refresh_from_db()
    assert contact.consent_status == "opted_in"
    event = Event.objects.get(kind="consent.granted")
    assert (event.subject_type, event.subject_id, event.payload["subscription"], event.payload["source"]) == (
        "contact", contact.pk, "newsletter", "form")
    assert is_granted(contact, channel="email", subscription="newsletter") is True


def test_a_withdrawal_appends_and_the_latest_row_decides(contact):
    do_record_consent(contact=contact, channel="email", subscription="newsletter", granted=True,
                      basis="consent", source="form", at=T0)
    do_record_consent(contact=contact, channel="email", subscription="newsletter", granted=False,
                      basis="consent", source="api", at=T0 + dt.timedelta(days=1))
    states = {s.type.code: s.status for s in current_consent(contact)}
    assert states == {"newsletter": "withdrawn", "product_news": None, "events": None}
    assert ConsentEntry.objects.filter(contact=contact).count() == 2
    contact.refresh_from_db()
    assert contact.consent_status == "opted_out"
    assert Event.objects.filter(kind="consent.withdrawn").count() == 1


def test_unsubscribe_from_everything_withdraws_each_granted_type_and_the_channel(contact):
    for code in ("newsletter", "events"):
        do_record_consent(contact=contact, channel="email", subscription=code, granted=True, basis="consent",
                          source="form", at=T0)
    entries = do_unsubscribe_all(contact=contact, at=T0 + dt.timedelta(hours=1))
    assert [(e.subscription.code if e.subscription else None, e.status) for e in entries] == [
        ("newsletter", "withdrawn"), ("events", "withdrawn"), (None, "withdrawn")]
    assert derived_email_status(contact) == "opted_out"
    assert is_granted(contact, channel="email", subscription="events") is False


def test_bad_channel_basis_and_unknown_type_are_refused_with_their_fields_and_write_nothing(contact):
    with pytest.raises(ValidationFailed) as caught:
        do_record_consent(contact=contact, channel="fax", subscription=None, granted=True, basis="whim",
                          source="form")
    assert [e.field for e in caught.value.errors] == ["channel", "basis"]
    with pytest.raises(ValidationFailed) as caught:
        do_record_consent(contact=contact, channel="email", subscription="nope", granted=True, basis="consent",
                          source="form")
    assert caught.value.field == "subscription"
    assert ConsentEntry.objects.count() == 0


def test_a_consent_status_set_on_the_contact_record_lands_in_the_ledger(contact, users):
    from plumbline.crm.actions import do_update_contact
    from plumbline.events.runner import drain

    # when: a rep marks the contact opted out on the contact form, and the feed runs
    do_update_contact(by=users["manager"], contact=contact, changes={"consent_status": "opted_out"})
    drain()
    # then: the ledger has a channel-wide withdrawal by that user; running again adds nothing
    entry = ConsentEntry.objects.get()
    assert (entry.channel, entry.subscription, entry.status, entry.source, entry.recorded_by) == (
        "email", None, "withdrawn", "admin", users["manager"])
    do_update_contact(by=users["manager"], contact=contact, changes={"consent_status": "legitimate_interest"})
    drain()
    latest = ConsentEntry.objects.latest("id")
    assert (latest.status, latest.basis, ConsentEntry.objects.count()) == ("granted", "legitimate_interest", 2)
    contact.refresh_from_db()
    assert contact.consent_status == "legitimate_interest"


def test_contact_records_consent_reaches_the_ledger_once_for_those_it_knows_nothing_of(db):
    # given: contacts whose records say opted in, opted out, legitimate interest, unknown; one already in the ledger
    people = {status: do_create_contact(email=f"{status}@example.org", consent_status=status)
              for status in ("opted_in", "opted_out", "legitimate_interest", "unknown")}
    known = do_create_contact(email="known@example.org", consent_status="opted_in")
    do_record_consent(contact=known, channel="email", subscription="newsletter", granted=True, basis="consent",
                      source="form")
    before = Event.objects.count()
    # when: the ledger is given what the records say
    assert do_record_field_consent(source="import") == 3
    # then: one channel-wide email entry each for the three decided ones, none for the unknown or the known one
    rows = {e.contact.email: (e.channel, e.subscription_id, e.status, e.basis, e.source, e.occurred_at)
            for e in ConsentEntry.objects.select_related("contact").filter(source="import")}
    assert rows == {
        "opted_in@example.org": ("email", None, "granted", "consent", "import", people["opted_in"].created_at),
        "opted_out@example.org": ("email", None, "withdrawn", "consent", "import", people["opted_out"].created_at),
        "legitimate_interest@example.org": ("email", None, "granted", "legitimate_interest", "import",
                                            people["legitimate_interest"].created_at),
    }
    # and: the ledger now says what the records said; nothing changed, so no event; a second run writes nothing
    assert [derived_email_status(people[s]) for s in ("opted_in", "opted_out", "legitimate_interest")] == [
        "opted_in", "opted_out", "legitimate_interest"]
    assert Event.objects.count() == before
    assert do_record_field_consent(source="import") == 0
    assert do_record_field_consent(contact_ids=[people["unknown"].pk], source="import") == 0
