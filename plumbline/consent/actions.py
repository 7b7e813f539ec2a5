"""Every write of the consent ledger. Each change is one append-only ConsentEntry and one feed event
(`consent.granted`, `consent.withdrawn`, `consent.requested`), and keeps the contact's `consent_status` (email)
what the ledger says, all in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from plumbline.consent.models import Basis, Channel, ConsentEntry, Source, Status, SubscriptionType
from plumbline.consent.proof import clean_proof
from plumbline.consent.queries import derived_email_status, effective, latest_entries
from plumbline.consent.tasks import send_confirmation_email
from plumbline.core.errors import Conflict, DomainError, MissingReferences, NotFound, ValidationFailed
from plumbline.core.permissions import check
from plumbline.core.validation import full_clean
from plumbline.crm.actions.contacts import do_update_contact
from plumbline.crm.models import Contact
from plumbline.events.actions import emit

EVENT_OF = {Status.GRANTED: "consent.granted", Status.WITHDRAWN: "consent.withdrawn",
            Status.REQUESTED: "consent.requested"}


def _subscription(code: str | None, channel: str) -> SubscriptionType | None:
    if code is None or code == "":
        return None
    sub = _known_type(code)
    if sub.channel != channel:  # the stored type says otherwise: a conflict with it, not malformed input
        raise Conflict(f"{sub.label} is a subscription of the {sub.get_channel_display().lower()} channel, "
                       f"not {channel}.", field="subscription")
    return sub


def _known_type(code: str) -> SubscriptionType:
    sub = SubscriptionType.objects.filter(code=code).first()
    if sub is None:
        raise MissingReferences([DomainError(f"No subscription type {code!r}.", field="subscription",
                                             code="does_not_exist")])
    return sub


def _validate(channel: str, basis: str, source: str) -> None:
    errors = []
    if channel not in Channel.values:
        errors.append(DomainError(f"Channel must be one of {', '.join(Channel.values)}.", field="channel",
                                  code="invalid_choice"))
    if basis not in Basis.values:
        errors.append(DomainError(f"Lawful basis must be one of {', '.join(Basis.values)}.", field="basis",
                                  code="invalid_choice"))
    if source not in Source.values:
        errors.append(DomainError(f"Source must be one of {', '.join(Source.values)}.", field="source",
                                  code="invalid_choice"))
    if errors:
        raise ValidationFailed(errors)


def _append(*, contact: Contact, channel: str, sub: SubscriptionType | None, status: str, basis: str, source: str,
            proof: dict | None, by: Any, at: dt.datetime | None) -> ConsentEntry:
    when = at or timezone.now()
    entry = ConsentEntry.objects.create(
        contact=contact, channel=channel, subscription=sub, status=status, basis=basis, source=source,
        proof=clean_proof(proof), recorded_by=by if getattr(by, "pk", None) else None, occurred_at=when)
    emit(kind=EVENT_OF[Status(status)], subject=("contact", contact.pk), actor=by, occurred_at=when, payload={
        "entry_id": entry.pk, "channel": channel, "subscription": sub.code if sub else None, "basis": basis,
        "source": source,
    })
    return entry


def _sync_contact(contact: Contact) -> None:
    """Contact.consent_status follows the email rows of the ledger (through crm's action, so the change is a
    `contact.updated` like any other). The permission to record consent was checked already."""
    status = derived_email_status(contact)
    if status is not None and status != contact.consent_status:
        do_update_contact(by=None, contact=contact, changes={"consent_status": status})


@transaction.atomic
def do_record_consent(
    *, contact: Contact, channel: str, subscription: str | None, granted: bool, basis: str, source: str,
    proof: dict | None = None, by: Any = None, at: dt.datetime | None = None,
) -> ConsentEntry:
    """Record that the contact granted (or withdrew) consent for a channel, or one subscription type of it
    (`subscription` a type's code; None for the whole channel). Appends to the ledger; never edits it."""
    check(by, "change", "consent")
    _validate(channel, basis, source)
    sub = _subscription(subscription, channel)
    status = Status.GRANTED if granted else Status.WITHDRAWN
    entry = _append(contact=contact, channel=channel, sub=sub, status=status, basis=basis, source=source,
                    proof=proof, by=by, at=at)
    _sync_contact(contact)
    return entry


@transaction.atomic
def do_request_opt_in(
    *, contact: Contact, subscription: str, source: str, proof: dict | None = None, by: Any = None,
    at: dt.datetime | None = None,
) -> ConsentEntry:
    """Double opt-in: record "confirmation requested" for the type and queue the confirmation email (on commit).
    Only the person's POST on the confirmation page (do_confirm_opt_in) grants it. A type already granted is
    left as it is (no second email)."""
    check(by, "change", "consent")
    sub = _known_type(subscription)
    _validate(sub.channel, Basis.CONSENT, source)
    if sub.channel != Channel.EMAIL:
        raise Conflict(f"{sub.label} is not an email subscription: double opt-in confirms by email.",
                       field="subscription")
    current = effective(latest_entries(contact), sub.channel, sub.pk)
    if current is not None and current.status == Status.GRANTED:
        return current
    entry = _append(contact=contact, channel=sub.channel, sub=sub, status=Status.REQUESTED, basis=Basis.CONSENT,
                    source=source, proof=proof, by=by, at=at)
    transaction.on_commit(lambda: send_confirmation_email.enqueue(entry_id=entry.pk))
    return entry


@transaction.atomic
def do_confirm_opt_in(*, entry_id: int, contact_id: int, proof: dict | None = None,
                      at: dt.datetime | None = None) -> ConsentEntry:
    """The person confirmed (the button on the confirmation page): grant the type the request was for. A second
    confirmation changes nothing; a request withdrawn since (or superseded) is not granted by an old link."""
    request = ConsentEntry.objects.select_related("subscription", "contact").filter(
        pk=entry_id, contact_id=contact_id, status=Status.REQUESTED).first()
    if request is None:
        raise NotFound("This confirmation link names no request.")
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    current = effective(latest_entries(contact), request.channel, request.subscription_id)
    if current is not None and current.status == Status.GRANTED:
        return current
    if current is None or current.pk != request.pk:
        raise Conflict("This link is out of date: the subscription changed since it was sent.")
    entry = _append(contact=contact, channel=request.channel, sub=request.subscription, status=Status.GRANTED,
                    basis=Basis.CONSENT, source=Source.CONFIRMATION,
                    proof={**(proof or {}), "confirms_entry": request.pk}, by=None, at=at)
    _sync_contact(contact)
    return entry


@transaction.atomic
def do_set_preferences(
    *, contact: Contact, granted: set[str] | list[str], source: str = Source.PREFERENCE_CENTRE,
    proof: dict | None = None, by: Any = None, at: dt.datetime | None = None,
) -> list[ConsentEntry]:
    """The preference centre's save: the active types in `granted` (codes) are granted, the others withdrawn;
    only the types whose state changes get a ledger row. The person chose it on the page: no second opt-in."""
    check(by, "change", "consent")
    at = at or timezone.now()  # one instant for the whole save
    wanted = set(granted)
    types = list(SubscriptionType.objects.filter(active=True))
    unknown = wanted - {t.code for t in types}
    if unknown:
        raise MissingReferences([DomainError(f"No subscription type {sorted(unknown)[0]!r}.", field="granted",
                                             code="does_not_exist")])
    latest = latest_entries(contact)
    entries = []
    for sub in types:
        current = effective(latest, sub.channel, sub.pk)
        want = sub.code in wanted
        if want == (current is not None and current.status == Status.GRANTED):
            continue
        if not want and current is None:
            continue  # never asked and not wanted: nothing to withdraw
        entries.append(_append(contact=contact, channel=sub.channel, sub=sub,
                               status=Status.GRANTED if want else Status.WITHDRAWN, basis=Basis.CONSENT,
                               source=source, proof=proof, by=by, at=at))
    if entries:
        _sync_contact(contact)
    return entries


@transaction.atomic
def do_unsubscribe_all(
    *, contact: Contact, source: str = Source.PREFERENCE_CENTRE, proof: dict | None = None, by: Any = None,
    at: dt.datetime | None = None,
) -> list[ConsentEntry]:
    """Unsubscribe from everything: each granted or requested type is withdrawn, then the email channel."""
    check(by, "change", "consent")
    at = at or timezone.now()
    latest = latest_entries(contact)
    entries = []
    for sub in SubscriptionType.objects.filter(channel=Channel.EMAIL):
        current = effective(latest, sub.channel, sub.pk)
        if current is not None and current.status != Status.WITHDRAWN:
            entries.append(_append(contact=contact, channel=sub.channel, sub=sub, status=Status.WITHDRAWN,
                                   basis=Basis.CONSENT, source=source, proof=proof, by=by, at=at))
    entries.append(_append(contact=contact, channel=Channel.EMAIL, sub=None, status=Status.WITHDRAWN,
                           basis=Basis.CONSENT, source=source, proof=proof, by=by, at=at))
    _sync_contact(contact)
    return entries


# Subscription types (admins and marketing).
TYPE_FIELDS = ("code", "label", "description", "channel", "double_opt_in", "active", "position")


@transaction.atomic
def do_create_subscription_type(*, by: Any = None, code: str, label: str, description: str = "",
                                channel: str = Channel.EMAIL, double_opt_in: bool = True, active: bool = True,
                                position: int = 0) -> SubscriptionType:
    check(by, "add", "subscription_type")
    code = (code or "").strip()
    if SubscriptionType.objects.filter(code=code).exists():
        raise Conflict(f"A subscription type with code {code!r} already exists.", field="code")
    sub = SubscriptionType(code=code, label=(label or "").strip(), description=(description or "").strip(),
                           channel=channel, double_opt_in=double_opt_in, active=active, position=position)
    full_clean(sub)
    sub.save()
    return sub


@transaction.atomic
def do_update_subscription_type(*, by: Any = None, subscription: SubscriptionType,
                                changes: dict[str, Any]) -> SubscriptionType:
    """Change a type's label, description, flags or order. Its code and channel stay: ledger rows name them."""
    check(by, "change", "subscription_type")
    for name in ("code", "channel"):
        if name in changes and changes[name] != getattr(subscription, name):
            if subscription.entries.exists():
                raise DomainError(f"The {name} of a type with ledger entries cannot change.", field=name,
                                  code="in_use")
    for name, value in changes.items():
        if name in TYPE_FIELDS:
            setattr(subscription, name, value.strip() if isinstance(value, str) else value)
    full_clean(subscription)
    subscription.save()
    return subscription


# What consent does inside other apps' transactions (registered in crm.hooks from ConsentConfig.ready).

def merge_consent(survivor: Contact, other: Contact, by: Any, at: dt.datetime) -> None:
    """A merge never widens consent: before `other`'s rows move to the survivor, every channel or type that either
    side has withdrawn gets a withdrawal row on the survivor, dated at the merge, after every moved row."""
    mine, theirs = latest_entries(survivor), latest_entries(other)
    keys = set(mine) | set(theirs)
    for channel, sub_id in sorted(keys, key=lambda k: (k[0], k[1] or 0)):
        states = [effective(side, channel, sub_id) for side in (mine, theirs)]
        statuses = {s.status for s in states if s is not None}
        if Status.WITHDRAWN in statuses and statuses != {Status.WITHDRAWN}:
            sub = SubscriptionType.objects.get(pk=sub_id) if sub_id else None
            _append(contact=survivor, channel=channel, sub=sub, status=Status.WITHDRAWN, basis=Basis.CONSENT,
                    source=Source.MERGE, proof={"merged_contact_id": other.pk}, by=by, at=at)


def erase_consent(contact_ids: list[int]) -> None:
    """Erasure keeps the ledger's facts (what was granted or withdrawn, when, on which basis: a withdrawal must
    keep holding) and strips the proof of what could identify the person (user agent, IP hash, texts)."""
    ConsentEntry.objects.filter(contact_id__in=contact_ids).update(proof={"erased": True})


DEFAULT_TYPES = (
    ("newsletter", "Newsletter", "Our monthly newsletter: articles, guides and what is new.", 1),
    ("product_news", "Product news", "Announcements of new features and releases.", 2),
    ("events", "Events", "Invitations to webinars, meetups and conferences.", 3),
)


def ensure_default_types() -> None:
    """The types every instance starts with (the migration seeds them; a flushed database gets them back here)."""
    for code, label, description, position in DEFAULT_TYPES:
        SubscriptionType.objects.get_or_create(code=code, defaults={
            "label": label, "description": description, "channel": Channel.EMAIL, "double_opt_in": True,
            "position": position})


# The channel-wide email entry that a contact record's consent field stands for: (status, basis).
_FIELD_ENTRY = {
    "opted_in": (Status.GRANTED, Basis.CONSENT),
    "opted_out": (Status.WITHDRAWN, Basis.CONSENT),
    "legitimate_interest": (Status.GRANTED, Basis.LEGITIMATE_INTEREST),
}


@transaction.atomic
def do_record_field_consent(*, contact_ids: list[int] | None = None, source: str = Source.IMPORT) -> int:
    """Give the ledger what contact records already said before it heard of them: for each contact (all, or
    `contact_ids`) whose consent field is decided (opted in, opted out, legitimate interest) and who has no email
    entry yet, one channel-wide email entry saying the same, dated when the contact was created, with `source`
    (an import, the demo's history). Set-based (one INSERT ... SELECT), for imports and loads of any size. No feed
    event: nothing changed, the ledger only learns what the record held. Returns how many entries it wrote."""
    _validate(Channel.EMAIL, Basis.CONSENT, source)
    table, contacts = ConsentEntry._meta.db_table, Contact._meta.db_table
    proof = '\'{"from": "the contact record, before the ledger"}\''
    proof = f"{proof}::jsonb" if connection.vendor == "postgresql" else proof
    whens = " ".join(f"WHEN '{field}' THEN '{status}'" for field, (status, _) in _FIELD_ENTRY.items())
    bases = " ".join(f"WHEN '{field}' THEN '{basis}'" for field, (_, basis) in _FIELD_ENTRY.items())
    fields = ", ".join(f"'{field}'" for field in _FIELD_ENTRY)
    written = 0
    ids = [None] if contact_ids is None else [contact_ids[i:i + 500] for i in range(0, len(contact_ids), 500)]
    for chunk in ids:
        only = "" if chunk is None else f" AND c.id IN ({', '.join(str(int(pk)) for pk in chunk)})"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (contact_id, channel, subscription_id, status, basis, source, proof, "
                f"occurred_at, recorded_at) "
                f"SELECT c.id, 'email', NULL, CASE c.consent_status {whens} END, "
                f"CASE c.consent_status {bases} END, %s, {proof}, c.created_at, %s FROM {contacts} c "
                f"WHERE c.consent_status IN ({fields}){only} AND NOT EXISTS "
                f"(SELECT 1 FROM {table} e WHERE e.contact_id = c.id AND e.channel = 'email')",
                [source, timezone.now()])
            written += cursor.rowcount
    return written
