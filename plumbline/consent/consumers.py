"""Consent reads the change feed: a person's consent changed on the contact record itself (the contact form, the
contacts API) lands in the ledger too, as a channel-wide email entry recorded by that user."""

from __future__ import annotations

from plumbline.accounts.models import User
from plumbline.consent.actions import do_record_consent
from plumbline.consent.models import Basis, Channel, Source
from plumbline.consent.queries import derived_email_status
from plumbline.crm.models import ConsentStatus, Contact
from plumbline.events.registry import consumer
from plumbline.events.runner import FeedEvent

# What a consent_status set by hand says, as a channel-wide email entry: (granted, basis).
ENTRY_FOR = {
    ConsentStatus.OPTED_IN: (True, Basis.CONSENT),
    ConsentStatus.OPTED_OUT: (False, Basis.CONSENT),
    ConsentStatus.LEGITIMATE_INTEREST: (True, Basis.LEGITIMATE_INTEREST),
}


@consumer("consent.status_edits", kinds={"contact.updated"}, label="Consent changed on the contact record")
def status_edits(events: list[FeedEvent]) -> None:
    """Idempotent: an entry is recorded only while the field and the ledger disagree. Changes made by the system
    (the ledger's own updates of the field, imports) carry no user and are left alone."""
    for event in events:
        if event.actor_id is None or "consent_status" not in event.payload.get("fields", ()):
            continue
        contact = Contact.objects.filter(pk=event.subject_id).first()
        wanted = ENTRY_FOR.get(contact.consent_status) if contact else None
        if wanted is None or derived_email_status(contact) == contact.consent_status:
            continue
        granted, basis = wanted
        do_record_consent(contact=contact, channel=Channel.EMAIL, subscription=None, granted=granted, basis=basis,
                          source=Source.ADMIN, proof={"changed_on": "contact record", "event_id": event.id},
                          by=User.objects.filter(pk=event.actor_id).first())
