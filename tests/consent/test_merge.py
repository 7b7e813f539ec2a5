"""A merge never widens consent, on the ledger too."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from plumbline.consent.actions import do_record_consent
from plumbline.consent.models import ConsentEntry
from plumbline.consent.queries import current_consent
from plumbline.crm.actions import do_create_contact, do_merge_contacts
from plumbline.crm.models import Contact

T0 = timezone.make_aware(dt.datetime(2026, 1, 5, 9, 0))


def test_the_survivor_keeps_the_narrower_consent_with_a_merge_row(db):
    # given: the survivor withdrew the newsletter long ago, the duplicate granted it later; the duplicate
    # withdrew events, the survivor granted them
    keep = do_create_contact(email="ann@acme.com")
    dup = do_create_contact(email="ann@gmail.com")
    do_record_consent(contact=keep, channel="email", subscription="newsletter", granted=False, basis="consent",
                      source="preference_centre", at=T0)
    do_record_consent(contact=dup, channel="email", subscription="newsletter", granted=True, basis="consent",
                      source="form", at=T0 + dt.timedelta(days=30))
    do_record_consent(contact=keep, channel="email", subscription="events", granted=True, basis="consent",
                      source="form", at=T0)
    do_record_consent(contact=dup, channel="email", subscription="events", granted=False, basis="consent",
                      source="form", at=T0 - dt.timedelta(days=1))
    do_record_consent(contact=dup, channel="email", subscription="product_news", granted=True, basis="consent",
                      source="form", at=T0)
    # when: they are merged
    do_merge_contacts(survivor=keep, other=dup)
    # then: both withdrawals hold; the grant only one side had stays; every row moved, plus two merge rows
    states = {s.type.code: s.status for s in current_consent(keep)}
    assert states == {"newsletter": "withdrawn", "product_news": "granted", "events": "withdrawn"}
    merge_rows = ConsentEntry.objects.filter(source="merge").order_by("subscription__code")
    assert [(e.subscription.code, e.status, e.proof) for e in merge_rows] == [
        ("events", "withdrawn", {"merged_contact_id": dup.pk}), ("newsletter", "withdrawn", {"merged_contact_id": dup.pk})]
    assert ConsentEntry.objects.filter(contact=keep).count() == 7
    assert Contact.objects.get(pk=keep.pk).consent_status == "opted_in"  # product news still goes out


def test_an_opt_out_of_the_whole_channel_on_either_side_survives_the_merge(db):
    keep = do_create_contact(email="bo@acme.com")
    dup = do_create_contact(email="bo@gmail.com")
    do_record_consent(contact=keep, channel="email", subscription="newsletter", granted=True, basis="consent",
                      source="form", at=T0 + dt.timedelta(days=5))
    do_record_consent(contact=dup, channel="email", subscription=None, granted=False, basis="consent",
                      source="unsubscribe", at=T0)
    do_merge_contacts(survivor=keep, other=dup)
    states = {s.type.code: s.status for s in current_consent(keep)}
    assert states == {"newsletter": "withdrawn", "product_news": "withdrawn", "events": "withdrawn"}
    assert Contact.objects.get(pk=keep.pk).consent_status == "opted_out"
