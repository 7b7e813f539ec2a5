"""Every write of website tracking: sites, the collect path's bulk insert, QR scans, identity stitching and the
processing of hits into touchpoints (through marketing's batch verb, never by writing touchpoints here)."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError, ValidationFailed
from plumbline.core.permissions import check
from plumbline.core.validation import apply_changes, full_clean
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact
from plumbline.events.actions import emit
from plumbline.marketing.models import Campaign
from plumbline.tracking import beacon, channels, processing
from plumbline.tracking.models import ChannelRule, DailySalt, Hit, HitKind, Site, Visitor

SITE_FIELDS = ("name", "origins", "gdpr_mode", "active")
ORIGIN_PATTERN = r"^https?://[A-Za-z0-9.:\[\]-]+$"  # scheme, host (punycode, as browsers send it), port
ORIGIN = re.compile(ORIGIN_PATTERN)


# --- sites -------------------------------------------------------------------------------------------------

def _clean_origins(origins: str) -> str:
    """One origin a line, each `scheme://host[:port]` with nothing after it (what browsers send as Origin)."""
    out, errors = [], []
    for line in (origins or "").replace(",", "\n").splitlines():
        origin = line.strip().rstrip("/")
        if not origin:
            continue
        if not ORIGIN.match(origin):
            errors.append(origin)
        elif origin.lower() not in out:
            out.append(origin.lower())
    if errors:
        raise ValidationFailed([DomainError(
            f"{', '.join(errors[:3])}: give origins as scheme and host, e.g. https://www.example.com.",
            field="origins")])
    return "\n".join(out)


@transaction.atomic
def do_create_site(*, by: Any = None, name: str, origins: str = "", gdpr_mode: bool = False) -> Site:
    """Register a website; its public key (for the snippet) is made here and never changes."""
    check(by, "add", "site")
    site = Site(key=secrets.token_urlsafe(12), owner=by if getattr(by, "pk", None) else None)
    apply_changes(site, {"name": (name or "").strip(), "origins": _clean_origins(origins), "gdpr_mode": gdpr_mode},
                  SITE_FIELDS)
    full_clean(site)
    site.save()
    return site


@transaction.atomic
def do_update_site(*, by: Any = None, site: Site, changes: dict[str, Any]) -> Site:
    check(by, "change", "site", site)
    if "origins" in changes:
        changes = {**changes, "origins": _clean_origins(changes["origins"])}
    if apply_changes(site, changes, SITE_FIELDS):
        full_clean(site)
        site.save()
    return site


@transaction.atomic
def do_delete_site(*, by: Any = None, site: Site) -> None:
    """Delete a site and its raw hits (touchpoints already made from them stay)."""
    check(by, "delete", "site", site)
    site.delete()


# --- channel rules -----------------------------------------------------------------------------------------

@transaction.atomic
def do_add_channel_rule(*, by: Any = None, field: str, value: str, channel: str) -> ChannelRule:
    """An admin rule, tried before the built-in ones: visits whose `field` is `value` come through `channel`.
    Applies to hits processed from now on."""
    check(by, "change", "site")
    value = (value or "").strip().lower()
    if field == ChannelRule.Field.REFERRER_HOST:
        value = channels.host_of(value if "//" in value else f"https://{value}")
    if ChannelRule.objects.filter(field=field, value=value).exists():
        raise Conflict("There is already a rule for this value.", field="value")
    rule = ChannelRule(field=field, value=value, channel=channel)
    full_clean(rule)
    rule.save()
    return rule


@transaction.atomic
def do_delete_channel_rule(*, by: Any = None, rule: ChannelRule) -> None:
    check(by, "change", "site")
    rule.delete()


# --- collecting --------------------------------------------------------------------------------------------

_salts: dict[dt.date, str] = {}


def salt_of(day: dt.date) -> str:
    """The day's IP salt: made on first use, and yesterday's and older are deleted then (in their own short
    transaction, so the collect path's transaction stays one insert)."""
    salt = _salts.get(day)
    if salt is None:
        with transaction.atomic():
            row, created = DailySalt.objects.get_or_create(day=day, defaults={"salt": secrets.token_hex(32)})
            if created:
                DailySalt.objects.filter(day__lt=day).delete()
        _salts.clear()
        salt = _salts[day] = row.salt
    return salt


_PG_TYPES = {"site_id": "bigint", "props": "text", "occurred_at": "timestamptz", "received_at": "timestamptz"}


def _insert_sql(n: int) -> str:
    """PostgreSQL: one short statement whatever the batch size (one array per column, so the driver has no long
    statement to parse); SQLite: a multi-row VALUES. Either way an event id already stored is skipped."""
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in beacon.COLUMNS)
    tail = "ON CONFLICT (site_id, event_id) DO NOTHING"
    if connection.vendor == "postgresql":
        names = [f"c{i}" for i in range(len(beacon.COLUMNS))]
        picks = [f"{n}::jsonb" if c == "props" else n for n, c in zip(names, beacon.COLUMNS, strict=True)]
        arrays = ", ".join(f"%s::{_PG_TYPES.get(c, 'text')}[]" for c in beacon.COLUMNS)
        return (f"INSERT INTO {quote(Hit._meta.db_table)} ({cols}) SELECT {', '.join(picks)} "
                f"FROM unnest({arrays}) AS t({', '.join(names)}) {tail}")
    marks = "(" + ", ".join(["%s"] * len(beacon.COLUMNS)) + ")"
    return f"INSERT INTO {quote(Hit._meta.db_table)} ({cols}) VALUES {', '.join([marks] * n)} {tail}"


_PROPS_AT = beacon.COLUMNS.index("props")
_TIMES_AT = (beacon.COLUMNS.index("occurred_at"), beacon.COLUMNS.index("received_at"))


def _db_values(rows: Sequence[Sequence[Any]]) -> list[Any]:
    sqlite = connection.vendor == "sqlite"
    values = [list(row) for row in rows]
    for row in values:
        row[_PROPS_AT] = json.dumps(row[_PROPS_AT], separators=(",", ":"))
        if sqlite:  # Django's SQLite storage of an aware instant: naive UTC text
            for i in _TIMES_AT:
                row[i] = row[i].astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if sqlite:
        return [v for row in values for v in row]
    return [list(column) for column in zip(*values, strict=True)]


def do_collect(*, rows: Sequence[Sequence[Any]]) -> int:
    """Insert hit rows (`beacon.COLUMNS` order) with one statement, which is its own transaction (autocommit: one
    round trip, no BEGIN/COMMIT); an event id already recorded for the site is skipped. Returns how many rows
    were new; when this returns they are committed."""
    if not rows:
        return 0
    # Outside a transaction Django's connection is in autocommit mode; inside one (a test, a caller's atomic)
    # the rows commit with it.
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(len(rows)), _db_values(rows))
        return cursor.rowcount


@transaction.atomic
def do_record_scan(*, campaign: Campaign, visitor_id: str, site: Site | None, user_agent: str, ip: str,
                   at: dt.datetime | None = None) -> int:
    """A scan of a print campaign's QR code (a visit to its /go/ link): a `qr_scan` hit of the visitor with the
    campaign, stitched and processed like any other hit. Returns the hit's id."""
    if not beacon.VISITOR_ID.match(visitor_id or ""):
        raise ValidationFailed([DomainError("This is not a visitor id.", field="visitor_id")])
    now = at or timezone.now()
    family, bot, reason = beacon.classify_agent(user_agent)
    hit = Hit.objects.create(
        site=site or default_site(), event_id=f"scan-{secrets.token_urlsafe(16)}", visitor_id=visitor_id,
        kind=HitKind.QR_SCAN, url=campaign.landing_url[:2000], path=f"/go/{campaign.vanity_slug}",
        utm_source="print", utm_medium="qr", utm_campaign=campaign.utm_campaign, ua_family=family, bot=bot,
        bot_reason=reason, ip_hash=beacon.hash_ip(ip, salt_of(now.date())) if ip else "", occurred_at=now,
        received_at=now, campaign=campaign,
    )
    return hit.pk


def default_site() -> Site:
    """The site of hits Plumbline records itself (its own /go/ links): made on first use."""
    return Site.objects.get_or_create(key="plumbline-own",
                                      defaults={"name": "Plumbline's own links (QR codes)"})[0]


# --- identity ----------------------------------------------------------------------------------------------

@transaction.atomic
def do_identify(*, visitor_id: str, contact: Contact, source: str, at: dt.datetime | None = None,
                by: Any = None) -> int:
    """The visitor is `contact`: every hit of the visitor not yet stitched becomes the contact's (earlier hits
    retroactively, with their own times) and later hits go to the contact as they are processed. Returns how many
    hits became touchpoints now. A visitor id that is not well-formed is refused (ValidationFailed)."""
    if not isinstance(visitor_id, str) or not beacon.VISITOR_ID.match(visitor_id):
        raise ValidationFailed([DomainError("This is not a visitor id: it may have been altered.",
                                            field="visitor_id", code="invalid")])
    now = at or timezone.now()
    visitor = Visitor.objects.select_for_update().filter(visitor_id=visitor_id).first()
    if visitor is None:
        Visitor.objects.create(visitor_id=visitor_id, contact=contact, source=source[:50], identified_at=now)
    elif visitor.contact_id != contact.pk:
        # The browser changed hands (or the person used another email): later hits go to the new contact; hits
        # already stitched stay with the contact they were stitched to.
        visitor.contact, visitor.source, visitor.identified_at = contact, source[:50], now
        visitor.save(update_fields=["contact", "source", "identified_at"])
    made = processing.stitch(visitor_ids=[visitor_id], contacts={visitor_id: contact.pk}, now=now, by=by)
    emit(kind="visitor.identified", subject=contact, actor=by, occurred_at=now,
         payload={"visitor_id": visitor_id, "source": source, "touchpoints": made})
    return made


def identify_by_email(*, visitor_id: str, email: str, source: str, at: dt.datetime | None = None) -> Contact:
    """The contact of `email` (created through crm's actions when unknown), identified with the visitor."""
    email = email.strip().lower()
    contact = Contact.objects.filter(email=email).first()
    if contact is None:
        contact = do_create_contact(email=email, source="website", transition_source="website")
    do_identify(visitor_id=visitor_id, contact=contact, source=source, at=at)
    return contact


# --- processing --------------------------------------------------------------------------------------------

BATCH = 5000


def do_process_hits(*, limit: int = BATCH, now: dt.datetime | None = None) -> int:
    """Process up to `limit` pending hits in one transaction: identify beacons find or create their contact, hits
    of known visitors become touchpoints (humans only), every hit is marked processed. Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = processing.claim(limit)
        if not pending:
            return 0
        identified: set[str] = set()
        earlier: dict[str, int] = {}  # contacts each address named before this batch
        named: dict[str, set[str]] = {}  # emails each address names in this batch
        for visitor_id, email, ip_hash in processing.identifies(pending):
            if ip_hash:
                if ip_hash not in earlier:
                    earlier[ip_hash] = processing.identified_from(ip_hash)
                seen = named.setdefault(ip_hash, set())
                if email not in seen and earlier[ip_hash] + len(seen) >= settings.TRACKING_IDENTIFY_PER_ADDRESS_PER_DAY:
                    continue  # a public beacon names any email: one address may not claim contacts without end
                seen.add(email)
            try:
                with transaction.atomic():
                    identify_by_email(visitor_id=visitor_id, email=email, source="identify", at=now)
                identified.add(visitor_id)
            except DomainError:
                continue  # an address crm refuses: the hit stays, unstitched
        # An identified visitor's hits of this batch were stitched (and marked) by do_identify just now.
        rest = [h for h in pending if h[1] not in identified]
        processing.apply(rest, processing.known({h[1] for h in rest}), now)
        return len(pending)
