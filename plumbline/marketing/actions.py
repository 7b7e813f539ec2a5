"""Every write to campaigns and touchpoints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.permissions import check, default_owner
from plumbline.core.validation import apply_changes, full_clean
from plumbline.crm.models import Contact
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
    check(by, "delete", "campaign", campaign)
    campaign.delete()


# --- touchpoints -------------------------------------------------------------------------------------------

_TEXT_LIMITS = {
    "source": 100, "medium": 100, "utm_campaign": 100, "utm_content": 200, "utm_term": 200, "content": 300,
}
_KNOWN_KEYS = {
    "contact_id", "contact_email", "campaign_id", "channel", "kind", "occurred_at", "value", *_TEXT_LIMITS,
}


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


def clean_touchpoint(item: dict[str, Any], campaigns: dict[Any, Campaign]) -> tuple[dict[str, Any], list[DomainError]]:
    """Validate one touchpoint; returns the cleaned fields and its errors (empty when valid).

    The one definition of a valid touchpoint: the batch API, single records and the CSV importer all use it.
    """
    errors: list[DomainError] = []
    clean: dict[str, Any] = {}
    for key in sorted(set(item) - _KNOWN_KEYS):
        errors.append(DomainError(f"Unknown field {key!r}.", field=key))
    campaign = None
    if item.get("campaign_id") is not None:
        campaign = campaigns.get(item["campaign_id"]) if _is_id(item["campaign_id"]) else None
        if campaign is None:
            errors.append(DomainError(f"No campaign with id {item['campaign_id']}.", field="campaign_id"))
    elif item.get("utm_campaign"):
        campaign = campaigns.get(("utm", str(item["utm_campaign"])))
    clean["campaign"] = campaign
    channel = item.get("channel") or (campaign.channel if campaign else None)
    if channel not in Channel.values:
        errors.append(DomainError(f"Unknown channel {channel!r}.", field="channel"))
    clean["channel"] = channel
    kind = item.get("kind")
    if kind not in TouchpointKind.values:
        errors.append(DomainError(f"Unknown touchpoint kind {kind!r}.", field="kind"))
    clean["kind"] = kind
    try:
        clean["occurred_at"] = _parse_when(item.get("occurred_at") or timezone.now())
    except ValueError as exc:
        errors.append(DomainError(f"occurred_at {exc}.", field="occurred_at"))
    try:
        value = Decimal(str(item.get("value") if item.get("value") is not None else 0))
        if not value.is_finite() or abs(value) >= Decimal("1e12"):
            raise InvalidOperation
        clean["value"] = value.quantize(Decimal("0.01"))
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


@transaction.atomic
def do_record_touchpoints(*, by: Any = None, items: list[dict[str, Any]]) -> list[Touchpoint]:
    """Record up to 1,000 touchpoints, all or nothing. Contacts are matched by `contact_id` or `contact_email`."""
    check(by, "add", "touchpoint")
    if not items:
        raise DomainError("Send at least one touchpoint.", field="items", code="required")
    if len(items) > MAX_BATCH:
        raise DomainError(f"Send at most {MAX_BATCH} touchpoints per batch.", field="items", code="max_length")
    objects = [i for i in items if isinstance(i, dict)]
    by_id, by_email = _resolve_contacts(objects)
    campaigns = _load_campaigns(objects)
    rows: list[Touchpoint] = []
    item_errors: list[tuple[int, DomainError]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            item_errors.append((index, DomainError("Each item must be an object.", field=None)))
            continue
        clean, errors = clean_touchpoint(item, campaigns)
        contact_pk = None
        if item.get("contact_id") is not None:
            contact_pk = by_id.get(item["contact_id"]) if _is_id(item["contact_id"]) else None
            if contact_pk is None:
                errors.append(DomainError(f"No contact with id {item['contact_id']}.", field="contact_id"))
        elif item.get("contact_email"):
            contact_pk = by_email.get(str(item["contact_email"]).strip().lower())
            if contact_pk is None:
                errors.append(DomainError(f"No contact with email {item['contact_email']}.", field="contact_email"))
        else:
            errors.append(DomainError("Give contact_id or contact_email.", field="contact_id", code="required"))
        item_errors.extend((index, e) for e in errors)
        if not errors:
            rows.append(Touchpoint(contact_id=contact_pk, **clean))
    if item_errors:
        raise BatchRejected(item_errors)
    created = Touchpoint.objects.bulk_create(rows, batch_size=500)
    _queue_rescore(sorted({row.contact_id for row in created}))
    return created


def _queue_rescore(contact_ids: list[int]) -> None:
    """Scores follow touchpoints: rescore the contacts once the touchpoints are committed."""
    from plumbline.handoff.tasks import process_contacts

    for start in range(0, len(contact_ids), 200):
        chunk = contact_ids[start : start + 200]
        transaction.on_commit(lambda chunk=chunk: process_contacts.enqueue(chunk))


def do_record_touchpoint(*, by: Any = None, **fields: Any) -> Touchpoint:
    """Record one touchpoint (the batch path with one item, so validation is identical)."""
    try:
        return do_record_touchpoints(by=by, items=[fields])[0]
    except BatchRejected as exc:
        raise ValidationFailed([e for _, e in exc.item_errors]) from None


@transaction.atomic
def do_delete_touchpoint(*, by: Any = None, touchpoint: Touchpoint) -> None:
    check(by, "delete", "touchpoint", touchpoint)
    touchpoint.delete()


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
    return touchpoint
