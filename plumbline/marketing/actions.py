"""Every write to campaigns and touchpoints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from plumbline.core import bulk
from plumbline.core.errors import DomainError, MissingReferences, ValidationFailed
from plumbline.core.permissions import check, default_owner
from plumbline.core.validation import apply_changes, full_clean
from plumbline.crm.models import Contact
from plumbline.events.actions import EventSpec, emit, emit_many
from plumbline.marketing import first_touch
from plumbline.marketing.models import Campaign, Channel, Touchpoint, TouchpointKind

CAMPAIGN_FIELDS = (
    "name", "channel", "cost", "currency", "starts_on", "ends_on", "utm_campaign", "vanity_slug", "landing_url",
    "description", "owner",
)
MAX_BATCH = 1000


def _unique_slug(base: str, field: str, exclude_pk: int | None = None) -> str:
    slug = slugify(base)[:90] or "campaign"
    candidate, n = slug, 2
    while Campaign.objects.filter(**{field: candidate}).exclude(pk=exclude_pk).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


@transaction.atomic
def do_create_campaign(*, by: Any = None, name: str, channel: str, **fields: Any) -> Campaign:
    """Create a campaign; the UTM key defaults to the slugified name, print campaigns get a vanity slug."""
    check(by, "add", "campaign")
    name = (name or "").strip()
    fields["owner"] = default_owner(by, fields.get("owner")) or by
    campaign = Campaign()
    apply_changes(campaign, {"name": name, "channel": channel, **fields}, CAMPAIGN_FIELDS)
    if not campaign.utm_campaign and name:
        campaign.utm_campaign = _unique_slug(name, "utm_campaign")
    if channel == Channel.PRINT and not campaign.vanity_slug and name:
        campaign.vanity_slug = _unique_slug(name, "vanity_slug")[:60]
    full_clean(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def do_update_campaign(*, by: Any = None, campaign: Campaign, changes: dict[str, Any]) -> Campaign:
    check(by, "change", "campaign", campaign)
    changed = apply_changes(campaign, changes, CAMPAIGN_FIELDS)
    if campaign.channel == Channel.PRINT and not campaign.vanity_slug:
        campaign.vanity_slug = _unique_slug(campaign.name, "vanity_slug", campaign.pk)[:60]
        changed.append("vanity_slug")
    if changed:
        full_clean(campaign)
        campaign.save()
    return campaign


@transaction.atomic
def do_delete_campaign(*, by: Any = None, campaign: Campaign) -> None:
    """Delete a campaign; its touchpoints and the first touches that name it keep going without a campaign."""
    check(by, "delete", "campaign", campaign)
    campaign.delete()


# --- touchpoints -------------------------------------------------------------------------------------------

_TEXT_LIMITS = {
    "source": 100, "medium": 100, "utm_campaign": 100, "utm_content": 200, "utm_term": 200, "content": 300,
}
_KNOWN_KEYS = frozenset({
    "contact_id", "contact_email", "campaign_id", "channel", "kind", "occurred_at", "value", *_TEXT_LIMITS,
})
# Computed once: `Channel.values` builds a new list (and every label) on each access, which used to be most of
# the time spent validating a batch.
_CHANNELS = frozenset(Channel.values)
_KINDS = frozenset(TouchpointKind.values)
_ZERO = Decimal("0.00")
_CENT = Decimal("0.01")
_VALUE_LIMIT = Decimal("1e12")
# The columns written for a touchpoint, in the order of the row tuples below.
COLUMNS = ("contact_id", "campaign_id", "channel", "kind", "source", "medium", "utm_campaign", "utm_content",
           "utm_term", "content", "occurred_at", "value", "created_at")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_when(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str):
        when = parse_datetime(value.strip())
        if when is None:
            raise ValueError("must be an ISO 8601 date-time like 2026-01-31T09:30:00Z")
    else:
        raise ValueError("must be an ISO 8601 date-time")
    if timezone.is_naive(when):
        when = timezone.make_aware(when, dt.UTC)
    return when


def clean_touchpoint(
    item: dict[str, Any], campaigns: dict[Any, Campaign], *, now: dt.datetime | None = None,
    times: dict[Any, Any] | None = None,
) -> tuple[dict[str, Any], list[DomainError]]:
    """Validate one touchpoint; returns the cleaned fields and its errors (empty when valid).

    The one definition of a valid touchpoint: the batch API, single records and the CSV importer all use it.
    `now` is the time of touchpoints without `occurred_at`; `times` caches parsed `occurred_at` strings across
    the items of one batch (they often share a few timestamps).
    """
    errors: list[DomainError] = []
    clean: dict[str, Any] = {}
    if not _KNOWN_KEYS.issuperset(item):
        for key in sorted(set(item) - _KNOWN_KEYS):
            errors.append(DomainError(f"Unknown field {key!r}.", field=key))
    campaign = None
    campaign_id = item.get("campaign_id")
    if campaign_id is not None:
        campaign = campaigns.get(campaign_id) if _is_id(campaign_id) else None
        if campaign is None:
            errors.append(DomainError(f"No campaign with id {campaign_id}.", field="campaign_id", code="does_not_exist"))
    elif item.get("utm_campaign"):
        campaign = campaigns.get(("utm", str(item["utm_campaign"])))
    clean["campaign"] = campaign
    channel = item.get("channel") or (campaign.channel if campaign else None)
    missing_campaign = campaign_id is not None and campaign is None  # its error says why there is no channel
    if not missing_campaign and (not isinstance(channel, str) or channel not in _CHANNELS):
        errors.append(DomainError(f"Unknown channel {channel!r}.", field="channel"))
    clean["channel"] = channel
    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        errors.append(DomainError(f"Unknown touchpoint kind {kind!r}.", field="kind"))
    clean["kind"] = kind
    when = item.get("occurred_at") or now or timezone.now()
    try:
        if times is not None and isinstance(when, str):
            parsed = times.get(when)
            if parsed is None:
                parsed = times[when] = _parse_when(when)
            clean["occurred_at"] = parsed
        else:
            clean["occurred_at"] = _parse_when(when)
    except ValueError as exc:
        errors.append(DomainError(f"occurred_at {exc}.", field="occurred_at"))
    value = item.get("value")
    if value is None:
        clean["value"] = _ZERO
    else:
        try:
            number = Decimal(str(value))
            if not number.is_finite() or abs(number) >= _VALUE_LIMIT:
                raise InvalidOperation
            clean["value"] = number.quantize(_CENT)
        except (InvalidOperation, ValueError):
            errors.append(DomainError("value must be a number below 1e12.", field="value"))
    for key, limit in _TEXT_LIMITS.items():
        text = item.get(key)
        text = "" if text is None else str(text).strip()
        if len(text) > limit:
            errors.append(DomainError(f"{key} is longer than {limit} characters.", field=key, code="max_length"))
        clean[key] = text
    if campaign and not clean["utm_campaign"]:
        clean["utm_campaign"] = campaign.utm_campaign
    return clean, errors


class BatchRejected(ValidationFailed):
    """A batch with at least one bad item; nothing was written. `item_errors` has (index, error) pairs."""

    status = 422

    def __init__(self, item_errors: list[tuple[int, DomainError]]) -> None:
        super().__init__([e for _, e in item_errors])
        self.item_errors = item_errors
        self.message = f"{len({i for i, _ in item_errors})} of the items are invalid; nothing was recorded."


def _resolve_contacts(items: list[dict[str, Any]]) -> tuple[dict[int, int], dict[str, int]]:
    ids = {i["contact_id"] for i in items if isinstance(i.get("contact_id"), int)}
    emails = {i["contact_email"].strip().lower() for i in items if isinstance(i.get("contact_email"), str)}
    by_id = {pk: pk for pk in Contact.objects.filter(pk__in=ids).values_list("pk", flat=True)} if ids else {}
    by_email = dict(Contact.objects.filter(email__in=emails).values_list("email", "pk")) if emails else {}
    return by_id, by_email


def _load_campaigns(items: list[dict[str, Any]]) -> dict[Any, Campaign]:
    ids = {i["campaign_id"] for i in items if isinstance(i.get("campaign_id"), int)}
    utms = {i["utm_campaign"] for i in items if isinstance(i.get("utm_campaign"), str) and i.get("campaign_id") is None}
    found: dict[Any, Campaign] = {}
    if ids or utms:
        for c in Campaign.objects.filter(pk__in=ids) | Campaign.objects.filter(utm_campaign__in=utms):
            found[c.pk] = c
            found[("utm", c.utm_campaign)] = c
    return found


def _contact_of(item: dict[str, Any], by_id: dict[int, int], by_email: dict[str, int],
                errors: list[DomainError]) -> int | None:
    contact_id = item.get("contact_id")
    if contact_id is not None:
        contact_pk = by_id.get(contact_id) if _is_id(contact_id) else None
        if contact_pk is None:
            errors.append(DomainError(f"No contact with id {contact_id}.", field="contact_id", code="does_not_exist"))
        return contact_pk
    if item.get("contact_email"):
        contact_pk = by_email.get(str(item["contact_email"]).strip().lower())
        if contact_pk is None:
            errors.append(DomainError(f"No contact with email {item['contact_email']}.", field="contact_email",
                                      code="does_not_exist"))
        return contact_pk
    errors.append(DomainError("Give contact_id or contact_email.", field="contact_id", code="required"))
    return None


def _clean_batch(items: list[Any]) -> tuple[list[tuple[Any, ...]], dict[Any, Campaign]]:
    """Validate a whole batch: references resolved with one query per kind, then one pass over the items.

    Returns the rows in `COLUMNS` order; raises `BatchRejected` naming every bad item and field.
    """
    if not items:
        raise DomainError("Send at least one touchpoint.", field="items", code="required")
    if len(items) > MAX_BATCH:
        raise DomainError(f"Send at most {MAX_BATCH} touchpoints per batch.", field="items", code="max_length")
    objects = [i for i in items if isinstance(i, dict)]
    by_id, by_email = _resolve_contacts(objects)
    campaigns = _load_campaigns(objects)
    now = timezone.now()
    times: dict[Any, Any] = {}
    rows: list[tuple[Any, ...]] = []
    item_errors: list[tuple[int, DomainError]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            item_errors.append((index, DomainError("Each item must be an object.", field=None)))
            continue
        c, errors = clean_touchpoint(item, campaigns, now=now, times=times)
        contact_pk = _contact_of(item, by_id, by_email, errors)
        if errors:
            item_errors.extend((index, e) for e in errors)
        elif not item_errors:
            campaign = c["campaign"]
            rows.append((contact_pk, campaign.pk if campaign else None, c["channel"], c["kind"], c["source"],
                         c["medium"], c["utm_campaign"], c["utm_content"], c["utm_term"], c["content"],
                         c["occurred_at"], c["value"], now))
    if item_errors:
        raise BatchRejected(item_errors)
    return rows, campaigns


def _write_batch(by: Any, items: list[Any]) -> tuple[list[int], list[tuple[Any, ...]], dict[Any, Campaign]]:
    check(by, "add", "touchpoint")
    rows, campaigns = _clean_batch(items)
    ids = bulk.insert_rows(Touchpoint, COLUMNS, rows)
    touchpoints_inserted(
        [(pk, row[0], row[3], row[2], row[1], row[10]) for pk, row in zip(ids, rows, strict=True)],
        actor=by,
    )
    return ids, rows, campaigns


Recorded = tuple[int, int, str, str, int | None, dt.datetime]  # (id, contact, kind, channel, campaign, when)


def touchpoints_inserted(recorded: list[Recorded], reason: str = "event", *, actor: Any = None) -> None:
    """What follows touchpoints inserted (by this module's batches and by the CSV import): their first touches at
    once, a `touchpoint.recorded` event each (scores follow through the change feed)."""
    if not recorded:
        return
    ids = [r[0] for r in recorded]
    first_touch.note_inserted(min(ids), max(ids))
    actor_id = getattr(actor, "pk", None)
    emit_many(
        EventSpec(
            kind="touchpoint.recorded", subject_type="touchpoint", subject_id=pk, occurred_at=when, actor_id=actor_id,
            payload={"contact_id": contact_id, "kind": kind, "channel": channel, "campaign_id": campaign_id,
                     "reason": reason},
        )
        for pk, contact_id, kind, channel, campaign_id, when in recorded
    )
    _queue_rescore(sorted({r[1] for r in recorded}), reason)


def touchpoints_removed(removed: list[tuple[int, int]], reason: str = "event") -> None:
    """What follows touchpoints removed in bulk (an import taken back), given as (touchpoint id, contact id): the
    contacts' first touches are recomputed, and a `touchpoint.deleted` event each."""
    ids = sorted({contact_id for _, contact_id in removed})
    first_touch.refresh(ids)
    emit_many(
        EventSpec(kind="touchpoint.deleted", subject_type="touchpoint", subject_id=pk,
                  payload={"contact_id": contact_id, "reason": reason})
        for pk, contact_id in removed
    )
    _queue_rescore(ids, reason)


@transaction.atomic
def do_record_touchpoint_batch(*, by: Any = None, items: list[Any]) -> list[int]:
    """Record up to 1,000 touchpoints, all or nothing, and return their ids in the order of `items`.

    The same rules and errors as `do_record_touchpoints`, without building a model object per row (the batch
    API answers with ids only). On PostgreSQL the rows are written with COPY.
    """
    return _write_batch(by, items)[0]


@transaction.atomic
def do_record_touchpoints(*, by: Any = None, items: list[dict[str, Any]]) -> list[Touchpoint]:
    """Record up to 1,000 touchpoints, all or nothing. Contacts are matched by `contact_id` or `contact_email`."""
    ids, rows, campaigns = _write_batch(by, items)
    created = []
    for pk, row in zip(ids, rows, strict=True):
        tp = Touchpoint(pk=pk, **dict(zip(COLUMNS, row, strict=True)))
        if tp.campaign_id is not None:
            tp.campaign = campaigns[tp.campaign_id]
        tp._state.adding, tp._state.db = False, "default"
        created.append(tp)
    return created


def _queue_rescore(contact_ids: list[int], reason: str = "event") -> None:
    """Scores follow touchpoints (recorded, corrected or deleted): rescore the contacts once committed. A
    correction or deletion must rescore too: the nightly run decays a score in place unless something new
    arrived, and an edited or vanished touchpoint is nothing new to it."""
    from plumbline.handoff.tasks import queue_rescore

    queue_rescore(contact_ids, reason)


def do_record_touchpoint(*, by: Any = None, **fields: Any) -> Touchpoint:
    """Record one touchpoint (the batch path with one item, so validation is identical)."""
    try:
        return do_record_touchpoints(by=by, items=[fields])[0]
    except BatchRejected as exc:
        errors = [e for _, e in exc.item_errors]
        if all(e.code == "does_not_exist" for e in errors):  # a well-formed touchpoint about a missing record
            raise MissingReferences(errors) from None
        raise ValidationFailed(errors) from None


@transaction.atomic
def do_delete_touchpoint(*, by: Any = None, touchpoint: Touchpoint) -> None:
    check(by, "delete", "touchpoint", touchpoint)
    contact_id, pk = touchpoint.contact_id, touchpoint.pk
    touchpoint.delete()
    first_touch.refresh([contact_id])
    emit(kind="touchpoint.deleted", subject=("touchpoint", pk), payload={"contact_id": contact_id}, actor=by)
    _queue_rescore([contact_id])


_UPDATABLE_KEYS = _KNOWN_KEYS - {"contact_id", "contact_email"}


@transaction.atomic
def do_update_touchpoint(*, by: Any = None, touchpoint: Touchpoint, changes: dict[str, Any]) -> Touchpoint:
    """Correct a touchpoint (its campaign, channel, kind, UTM fields, time, value); the contact stays."""
    check(by, "change", "touchpoint", touchpoint)
    unknown = sorted(set(changes) - _UPDATABLE_KEYS)
    if unknown:
        raise ValidationFailed([DomainError(f"Unknown or read-only field {k!r}.", field=k) for k in unknown])
    current = {
        "campaign_id": touchpoint.campaign_id, "channel": touchpoint.channel, "kind": touchpoint.kind,
        "occurred_at": touchpoint.occurred_at, "value": touchpoint.value,
        **{key: getattr(touchpoint, key) for key in _TEXT_LIMITS},
    }
    merged = {**current, **changes}
    clean, errors = clean_touchpoint(merged, _load_campaigns([merged]))
    if errors:
        raise ValidationFailed(errors)
    for key, value in clean.items():
        setattr(touchpoint, key, value)
    touchpoint.save()
    # Recomputed whatever changed: the row just saved is whole, so this holds even if `touchpoint` was stale.
    first_touch.refresh([touchpoint.contact_id])
    emit(kind="touchpoint.corrected", subject=touchpoint, actor=by, payload={
        "contact_id": touchpoint.contact_id, "kind": touchpoint.kind, "channel": touchpoint.channel,
        "campaign_id": touchpoint.campaign_id, "changed": sorted(changes),
    })
    _queue_rescore([touchpoint.contact_id])
    return touchpoint
