"""Every write to campaigns and touchpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from pydantic import ValidationError

from plumbline.core import bulk
from plumbline.core.errors import DomainError, MissingReferences, ValidationFailed
from plumbline.core.permissions import check, default_owner
from plumbline.core.validation import apply_changes, full_clean
from plumbline.crm.actions.imports import NO_JOURNAL, Journal, RowResult
from plumbline.crm.models import Contact
from plumbline.events.actions import EventSpec, emit, emit_many
from plumbline.marketing import first_touch
from plumbline.marketing.models import Campaign, Channel, Touchpoint
from plumbline.marketing.schemas import (
    TOUCHPOINT_FIELDS,
    TOUCHPOINTS,
    TouchpointFields,
    TouchpointIn,
    field_errors,
)

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

# The columns written for a touchpoint, in the order of the row tuples below.
COLUMNS = ("contact_id", "campaign_id", "channel", "kind", "source", "medium", "utm_campaign", "utm_content",
           "utm_term", "content", "occurred_at", "value", "created_at")
_CHANNELS = frozenset(Channel.values)  # computed once: `Channel.values` builds a new list on every access


class BatchRejected(ValidationFailed):
    """A batch with at least one bad item; nothing was written. `item_errors` has (index, error) pairs."""

    status = 422

    def __init__(self, item_errors: list[tuple[int, DomainError]]) -> None:
        super().__init__([e for _, e in item_errors])
        self.item_errors = item_errors
        self.message = f"{len({i for i, _ in item_errors})} of the items are invalid; nothing was recorded."


def validate_touchpoints(items: Sequence[Any]) -> list[TouchpointIn]:
    """Check the shape of every item of a batch with the one touchpoint schema; raises `BatchRejected`."""
    if not items:
        raise DomainError("Send at least one touchpoint.", field="items", code="required")
    if len(items) > MAX_BATCH:
        raise DomainError(f"Send at most {MAX_BATCH} touchpoints per batch.", field="items", code="max_length")
    try:
        return TOUCHPOINTS.validate_python(items)
    except ValidationError as exc:
        raise BatchRejected(field_errors(exc, nested=True)) from None


def _contacts_by_email(emails: set[str]) -> dict[str, int]:
    if not emails:
        return {}
    if connection.vendor != "postgresql":
        return dict(Contact.objects.filter(email__in=emails).values_list("email", "pk"))
    with connection.cursor() as cursor:  # one array parameter: no statement of 1,000 placeholders to parse
        cursor.execute("SELECT email, id FROM crm_contact WHERE email = ANY(%s)", [list(emails)])
        return dict(cursor.fetchall())


def _resolve_contacts(items: Sequence[TouchpointIn]) -> tuple[set[int], dict[str, int]]:
    ids = {i.contact_id for i in items if i.contact_id is not None}
    emails = {i.contact_email.strip().lower() for i in items if i.contact_id is None and i.contact_email}
    found = set(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return found, _contacts_by_email(emails)


def _load_campaigns(items: Sequence[TouchpointFields]) -> dict[Any, Campaign]:
    """Campaigns named by id, or (without an id) by the UTM key, keyed by id and by ("utm", key)."""
    ids = {i.campaign_id for i in items if i.campaign_id is not None}
    utms = {i.utm_campaign for i in items if i.campaign_id is None and i.utm_campaign}
    found: dict[Any, Campaign] = {}
    if ids or utms:
        for c in Campaign.objects.filter(pk__in=ids) | Campaign.objects.filter(utm_campaign__in=utms):
            found[c.pk] = c
            found[("utm", c.utm_campaign)] = c
    return found


def _contact_of(item: TouchpointIn, ids: set[int], by_email: dict[str, int], errors: list[DomainError]) -> int | None:
    if item.contact_id is not None:
        if item.contact_id not in ids:
            errors.append(DomainError(f"No contact with id {item.contact_id}.", field="contact_id",
                                      code="does_not_exist"))
            return None
        return item.contact_id
    if item.contact_email:
        contact_pk = by_email.get(item.contact_email.strip().lower())
        if contact_pk is None:
            errors.append(DomainError(f"No contact with email {item.contact_email}.", field="contact_email",
                                      code="does_not_exist"))
        return contact_pk
    errors.append(DomainError("Give contact_id or contact_email.", field="contact_id", code="required"))
    return None


class _Completer:
    """What a touchpoint takes from the records it names, once its shape is valid: its campaign (by id, or by UTM
    key when it names none), the campaign's channel and UTM key when it gives none, its time in UTC (now when it
    gives none). One per batch: instants are converted once per distinct value."""

    def __init__(self, campaigns: dict[Any, Campaign], now: dt.datetime) -> None:
        self.campaigns, self.now = campaigns, now
        self.times: dict[dt.datetime, dt.datetime] = {}

    def __call__(self, item: TouchpointFields, errors: list[DomainError]) -> tuple[Any, ...] | None:
        """(campaign, channel, kind, texts..., occurred_at, value) or None when `errors` got something."""
        campaign = None
        if item.campaign_id is not None:
            campaign = self.campaigns.get(item.campaign_id)
            if campaign is None:
                errors.append(DomainError(f"No campaign with id {item.campaign_id}.", field="campaign_id",
                                          code="does_not_exist"))
        elif item.utm_campaign:
            campaign = self.campaigns.get(("utm", item.utm_campaign))
        channel = item.channel or (campaign.channel if campaign else None)
        if channel is None and item.campaign_id is None:  # a missing campaign's error already says why
            errors.append(DomainError("Give a channel or a campaign_id (a campaign gives its channel).",
                                      field="channel", code="required"))
        elif channel is not None and channel not in _CHANNELS:  # a campaign's channel from before a rename
            errors.append(DomainError(f"Unknown channel {channel!r}.", field="channel"))
        when = self._utc(item.occurred_at, errors)
        if errors:
            return None
        utm = item.utm_campaign.strip() or (campaign.utm_campaign if campaign else "")
        return (campaign, channel, item.kind, item.source.strip(), item.medium.strip(), utm,
                item.utm_content.strip(), item.utm_term.strip(), item.content.strip(), when, item.value)

    def _utc(self, when: dt.datetime | None, errors: list[DomainError]) -> dt.datetime | None:
        if when is None:
            return self.now
        utc = self.times.get(when)
        if utc is None:
            # PostgreSQL refuses offsets beyond +-15:59 that ISO 8601 allows, and an instant such as year 1 east
            # of UTC has no UTC value at all.
            try:
                utc = self.times[when] = when.astimezone(dt.UTC)
            except OverflowError:
                errors.append(DomainError("occurred_at is outside the supported range of dates.", field="occurred_at"))
        return utc


def _rows(items: list[TouchpointIn]) -> tuple[list[tuple[Any, ...]], dict[Any, Campaign]]:
    """The rows of a valid-shaped batch in `COLUMNS` order: references resolved with one query per kind, then
    one pass; raises `BatchRejected` naming every item with a missing contact or campaign."""
    ids, by_email = _resolve_contacts(items)
    campaigns = _load_campaigns(items)
    now = timezone.now()
    complete = _Completer(campaigns, now)
    rows: list[tuple[Any, ...]] = []
    item_errors: list[tuple[int, DomainError]] = []
    for index, item in enumerate(items):
        errors: list[DomainError] = []
        contact_pk = _contact_of(item, ids, by_email, errors)
        done = complete(item, errors)
        if errors:
            item_errors.extend((index, e) for e in errors)
        elif not item_errors:
            campaign = done[0]
            rows.append((contact_pk, campaign.pk if campaign else None, *done[1:], now))
    if item_errors:
        raise BatchRejected(item_errors)
    return rows, campaigns


def _write_batch(by: Any, items: Sequence[Any]) -> tuple[list[int], list[tuple[Any, ...]], dict[Any, Campaign]]:
    check(by, "add", "touchpoint")
    rows, campaigns = _rows(validate_touchpoints(items))
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
    first_touch.note_rows((contact_id, pk, when, channel, campaign_id)
                          for pk, contact_id, _, channel, campaign_id, when in recorded)
    actor_id = getattr(actor, "pk", None)
    emit_many(
        EventSpec(
            kind="touchpoint.recorded", subject_type="touchpoint", subject_id=pk, occurred_at=when, actor_id=actor_id,
            payload={"contact_id": contact_id, "kind": kind, "channel": channel, "campaign_id": campaign_id,
                     "reason": reason},
        )
        for pk, contact_id, kind, channel, campaign_id, when in recorded
    )


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


@transaction.atomic
def do_record_touchpoint_batch(*, by: Any = None, items: Sequence[Any]) -> list[int]:
    """Record up to 1,000 touchpoints, all or nothing, and return their ids in the order of `items`.

    Items are dicts (or `TouchpointIn`), checked with the touchpoint schema in one call; the errors name each
    item's index and field. The same rules as `do_record_touchpoints`, without building a model object per row
    (the batch API answers with ids only). On PostgreSQL the rows are written with COPY.
    """
    return _write_batch(by, items)[0]


@transaction.atomic
def do_record_touchpoints(*, by: Any = None, items: Sequence[Any]) -> list[Touchpoint]:
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


@transaction.atomic
def do_import_touchpoints(
    *, by: Any = None, rows: Sequence[dict[str, Any]], journal: Journal = NO_JOURNAL,
) -> list[RowResult]:
    """Record imported touchpoints: each row names its contact by `contact_email`, maybe its campaign by UTM key
    (`campaign`), and gives the touchpoint's own fields, checked with the touchpoint schema. A row already recorded
    (same contact, kind, channel, time and campaign) is not recorded twice. Each row gets every error it has;
    first touches and scores follow the new rows as they follow a batch."""
    check(by, "add", "touchpoint")
    contacts = _contacts_by_email({str(r.get("contact_email") or "").strip().lower() for r in rows})
    keys = {r["campaign"] for r in rows if r.get("campaign")}
    campaigns = {c.utm_campaign: c for c in Campaign.objects.filter(utm_campaign__in=keys)}
    complete = _Completer({c.pk: c for c in campaigns.values()}, timezone.now())
    results, cleaned = [], []
    for row in rows:
        result = RowResult()
        results.append(result)
        fields = {k: v for k, v in row.items() if k not in ("contact_email", "campaign")}
        if row.get("campaign"):
            campaign = campaigns.get(row["campaign"])
            if campaign is None:
                result.refuse("campaign", f"No campaign with UTM key {row['campaign']!r}.")
            else:
                fields["campaign_id"] = campaign.pk
        contact = contacts.get(str(row.get("contact_email") or "").strip().lower())
        if contact is None:
            result.refuse("contact_email", f"No contact with email {row.get('contact_email')!r}.")
        try:
            item = TOUCHPOINT_FIELDS.validate_python(fields)
        except ValidationError as exc:
            result.errors += [e for _, e in field_errors(exc, nested=False)]
            if not fields.get("channel") and "campaign_id" not in fields:
                result.refuse("channel", "Give a channel or a campaign (a campaign gives its channel).")
            continue
        done = complete(item, result.errors)
        if not result.errors:
            cleaned.append((result, (contact, done[0].pk if done[0] else None, *done[1:])))
    _write_imported_touchpoints(cleaned, journal, by)
    return results


def _write_imported_touchpoints(cleaned: list[tuple[RowResult, tuple[Any, ...]]], journal: Journal, by: Any) -> None:
    existing = set()
    if cleaned:
        existing = set(Touchpoint.objects.filter(
            contact_id__in={r[0] for _, r in cleaned}, occurred_at__in={r[10] for _, r in cleaned},
        ).values_list("contact_id", "kind", "channel", "occurred_at", "campaign_id"))
    now = timezone.now()
    rows = []
    for result, row in cleaned:
        key = (row[0], row[3], row[2], row[10], row[1])
        result.outcome = "unchanged" if key in existing else "create"
        result.shown = {"kind": row[3], "channel": row[2], "occurred_at": row[10].isoformat()}
        if key not in existing:
            existing.add(key)
            rows.append((*row, now))
    ids = bulk.insert_rows(Touchpoint, COLUMNS, rows)
    journal.created(Touchpoint, ids)
    touchpoints_inserted([(pk, row[0], row[3], row[2], row[1], row[10]) for pk, row in zip(ids, rows, strict=True)],
                         "import", actor=by)


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


_UPDATABLE_KEYS = frozenset(TouchpointFields.model_fields)


@transaction.atomic
def do_update_touchpoint(*, by: Any = None, touchpoint: Touchpoint, changes: dict[str, Any]) -> Touchpoint:
    """Correct a touchpoint (its campaign, channel, kind, UTM fields, time, value); the contact stays. The result
    is checked as a whole with the touchpoint schema, as a new one would be."""
    check(by, "change", "touchpoint", touchpoint)
    unknown = sorted(set(changes) - _UPDATABLE_KEYS)
    if unknown:
        raise ValidationFailed([DomainError(f"Unknown or read-only field {k!r}.", field=k) for k in unknown])
    current = {key: getattr(touchpoint, key) for key in _UPDATABLE_KEYS}
    try:
        item = TouchpointFields.model_validate({**current, **changes})
    except ValidationError as exc:
        raise ValidationFailed([e for _, e in field_errors(exc, nested=False)]) from None
    errors: list[DomainError] = []
    done = _Completer(_load_campaigns([item]), timezone.now())(item, errors)
    if errors:
        raise ValidationFailed(errors)
    campaign = done[0]
    touchpoint.campaign = campaign
    for key, value in zip(COLUMNS[2:12], done[1:], strict=True):
        setattr(touchpoint, key, value)
    touchpoint.save()
    # Recomputed whatever changed: the row just saved is whole, so this holds even if `touchpoint` was stale.
    first_touch.refresh([touchpoint.contact_id])
    emit(kind="touchpoint.corrected", subject=touchpoint, actor=by, payload={
        "contact_id": touchpoint.contact_id, "kind": touchpoint.kind, "channel": touchpoint.channel,
        "campaign_id": touchpoint.campaign_id, "changed": sorted(changes),
    })
    return touchpoint
