"""Reads of the consent ledger: the subscription types, a contact's entries, and the consent they add up to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from plumbline.consent.models import Basis, Channel, ConsentEntry, Status, SubscriptionType
from plumbline.crm.models import ConsentStatus, Contact


def subscription_types(*, include_inactive: bool = False) -> QuerySet[SubscriptionType]:
    """The admin-defined subscription types (each with `code` and `label`), in their order."""
    qs = SubscriptionType.objects.all()
    return qs if include_inactive else qs.filter(active=True)


def ledger(contact: Contact | int) -> QuerySet[ConsentEntry]:
    """A contact's entries, newest first, with what their labels need."""
    return (ConsentEntry.objects.filter(contact=contact).select_related("subscription", "recorded_by")
            .order_by("-occurred_at", "-id"))


def latest_entries(contact: Contact | int) -> dict[tuple[str, int | None], ConsentEntry]:
    latest: dict[tuple[str, int | None], ConsentEntry] = {}
    for entry in ledger(contact).order_by("occurred_at", "id"):
        latest[(entry.channel, entry.subscription_id)] = entry
    return latest


@dataclass(frozen=True)
class TypeState:
    """A subscription type and where a contact stands on it: granted, withdrawn, requested or None (never asked);
    `entry` is the ledger row that decided it."""

    type: SubscriptionType
    status: str | None
    entry: ConsentEntry | None

    @property
    def label(self) -> str:
        return Status(self.status).label if self.status else "Not asked"

    @property
    def granted(self) -> bool:
        return self.status == Status.GRANTED


def _later(a: ConsentEntry, b: ConsentEntry) -> bool:
    return (a.occurred_at, a.pk) > (b.occurred_at, b.pk)


def effective(latest: dict[tuple[str, int | None], ConsentEntry], channel: str,
              subscription_id: int | None) -> ConsentEntry | None:
    """The row that decides a type: its own latest row, unless the whole channel was withdrawn after it (a
    withdrawal of the channel withdraws every type; a grant of the channel grants none)."""
    own = latest.get((channel, subscription_id))
    whole = latest.get((channel, None))
    if subscription_id is None:
        return whole
    if whole is not None and whole.status == Status.WITHDRAWN and (own is None or _later(whole, own)):
        return whole
    return own


def current_consent(contact: Contact | int) -> list[TypeState]:
    """Every subscription type with the contact's state, then one row per channel with a channel-wide entry."""
    latest = latest_entries(contact)
    rows = []
    for sub in subscription_types(include_inactive=True):
        entry = effective(latest, sub.channel, sub.pk)
        if entry is None and not sub.active:
            continue
        rows.append(TypeState(type=sub, status=entry.status if entry else None, entry=entry))
    return rows


def channel_states(contact: Contact | int) -> list[tuple[str, str]]:
    """Per channel, its label and the label of its channel-wide state ("Not asked" when nothing was recorded)."""
    latest = latest_entries(contact)
    return [(ch.label, Status(latest[(ch.value, None)].status).label if (ch.value, None) in latest else "Not asked")
            for ch in Channel]


def is_granted(contact: Contact | int, *, channel: str, subscription: str | None = None) -> bool:
    """True when the contact's consent for the channel (and type) stands granted now."""
    latest = latest_entries(contact)
    sub_id = None
    if subscription is not None:
        sub_id = SubscriptionType.objects.filter(code=subscription).values_list("pk", flat=True).first()
        if sub_id is None:
            return False
    entry = effective(latest, channel, sub_id)
    return entry is not None and entry.status == Status.GRANTED


def derived_email_status(contact: Contact | int) -> str | None:
    """What Contact.consent_status should say from the email rows of the ledger: opted out when the channel is
    withdrawn (or every decided type is), opted in when the channel or any type is granted; None when the ledger
    has decided nothing about email (the field keeps what it had, e.g. from an import before the ledger)."""
    latest = latest_entries(contact)
    whole = latest.get((Channel.EMAIL, None))
    decided = []
    for (channel, sub_id), _entry in latest.items():
        if channel != Channel.EMAIL or sub_id is None:
            continue
        entry = effective(latest, channel, sub_id)
        if entry is not None and entry.status != Status.REQUESTED:
            decided.append(entry.status)
    if whole is not None and whole.status == Status.WITHDRAWN and Status.GRANTED not in decided:
        return ConsentStatus.OPTED_OUT
    if Status.GRANTED in decided:
        return ConsentStatus.OPTED_IN
    if whole is not None and whole.status == Status.GRANTED:
        legitimate = whole.basis == Basis.LEGITIMATE_INTEREST
        return ConsentStatus.LEGITIMATE_INTEREST if legitimate else ConsentStatus.OPTED_IN
    if decided:
        return ConsentStatus.OPTED_OUT
    return None


def entry_dict(entry: ConsentEntry) -> dict[str, Any]:
    return {
        "id": entry.pk, "channel": entry.channel,
        "subscription": entry.subscription.code if entry.subscription_id else None,
        "status": entry.status, "basis": entry.basis, "source": entry.source, "proof": entry.proof,
        "occurred_at": entry.occurred_at.isoformat(), "recorded_by": entry.recorded_by_id,
    }


def export_consent(contact: Contact) -> list[dict[str, Any]]:
    """The privacy export's part of consent: the contact's whole ledger, oldest first."""
    return [entry_dict(e) for e in ledger(contact).order_by("occurred_at", "id")]
