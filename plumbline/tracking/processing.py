"""Set-based processing of hits: claim a batch of pending hits, stitch the hits of known visitors to their contact,
and make touchpoints of the human ones through marketing's batch verb. Bot-labelled hits are stitched (they are the
contact's raw data) but never become touchpoints, so scoring and attribution never see them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from plumbline.marketing.actions import MAX_BATCH, do_record_touchpoint_batch
from plumbline.marketing.models import Campaign, TouchpointKind
from plumbline.tracking import channels
from plumbline.tracking.models import ChannelRule, Hit, Visitor

PRICING_PATH = re.compile(r"(^|/)(pricing|prices|plans)(/|$|\.)", re.I)
# Custom event names that are a touchpoint kind of their own; other custom events stay hits only.
CUSTOM_KINDS = {
    "pricing_viewed": TouchpointKind.PRICING_VIEW, "pricing_view": TouchpointKind.PRICING_VIEW,
    "demo_requested": TouchpointKind.DEMO_REQUEST, "demo_request": TouchpointKind.DEMO_REQUEST,
    "download": TouchpointKind.CONTENT_DOWNLOAD, "content_download": TouchpointKind.CONTENT_DOWNLOAD,
    "webinar_registered": TouchpointKind.WEBINAR_REGISTERED, "ad_click": TouchpointKind.AD_CLICK,
}


def touchpoint_kind(kind: str, path: str, name: str) -> str | None:
    """The touchpoint a hit becomes, or None (identify beacons; custom events without a touchpoint kind)."""
    if kind == "page_view":
        return TouchpointKind.PRICING_VIEW if PRICING_PATH.search(path) else TouchpointKind.PAGE_VIEW
    if kind == "qr_scan":
        return TouchpointKind.QR_SCAN
    if kind == "custom":
        return CUSTOM_KINDS.get(name.lower())
    return None


FIELDS = ("pk", "visitor_id", "kind", "path", "name", "url", "referrer", "utm_source", "utm_medium", "utm_campaign",
          "utm_content", "utm_term", "occurred_at", "bot", "campaign_id", "props", "ip_hash")
Row = tuple[Any, ...]  # a hit's FIELDS


def claim(limit: int) -> list[Row]:
    """The oldest pending hits, locked for this transaction (PostgreSQL skips rows another processor holds;
    SQLite has one writer at a time anyway)."""
    qs = Hit.objects.filter(processed_at__isnull=True).order_by("pk")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True)
    return list(qs.values_list(*FIELDS)[:limit])


def identifies(pending: Iterable[Row]) -> list[tuple[str, str, str]]:
    """(visitor id, email, address hash) of the human identify beacons among `pending`, in order."""
    return [(h[1], h[15]["email"], h[16]) for h in pending
            if h[2] == "identify" and not h[13] and isinstance(h[15], dict) and h[15].get("email")]


def identified_from(ip_hash: str) -> int:
    """How many contacts identify beacons from one address have been stitched to. The address hash changes
    with the day's salt, so this counts the contacts of one address and one day."""
    if not ip_hash:
        return 0
    return (Hit.objects.filter(kind="identify", ip_hash=ip_hash, contact__isnull=False)
            .values("contact_id").distinct().count())


def known(visitor_ids: set[str]) -> dict[str, int]:
    """The contact of each known visitor among `visitor_ids`."""
    if not visitor_ids:
        return {}
    if connection.vendor == "postgresql":  # one array parameter: no statement of thousands of placeholders
        with connection.cursor() as cursor:
            cursor.execute("SELECT visitor_id, contact_id FROM tracking_visitor WHERE visitor_id = ANY(%s)",
                           [list(visitor_ids)])
            return dict(cursor.fetchall())
    return dict(Visitor.objects.filter(visitor_id__in=visitor_ids).values_list("visitor_id", "contact_id"))


def stitch(*, visitor_ids: Sequence[str], contacts: dict[str, int], now: dt.datetime, by: Any = None) -> int:
    """Give the unstitched hits of `visitor_ids` to their contact (`contacts`), make touchpoints of the human
    ones, mark them processed. Returns how many touchpoints were made."""
    if not visitor_ids:
        return 0
    qs = Hit.objects.filter(visitor_id__in=visitor_ids, contact__isnull=True)
    if connection.vendor == "postgresql":
        qs = qs.select_for_update()
    return apply(list(qs.order_by("occurred_at", "pk").values_list(*FIELDS)), contacts, now, by=by)


def apply(hits: list[Row], contacts: dict[str, int], now: dt.datetime, *, by: Any = None) -> int:
    """Hits of known visitors go to their contact and the human ones become touchpoints; every hit is marked
    processed (those of unknown visitors stay anonymous until `stitch`). Returns the touchpoints made."""
    if not hits:
        return 0
    campaigns = _campaigns({h[9] for h in hits if h[9]}, {h[14] for h in hits if h[14]})
    rules = admin_rules()
    items, counted = [], []
    for h in hits:
        contact_id = contacts.get(h[1])
        item = None if contact_id is None else _touchpoint(h, contact_id, campaigns, rules)
        if item is not None:
            items.append(item)
            counted.append(h[0])
    touchpoint_ids = record_touchpoints(items, by=by)
    made = dict(zip(counted, touchpoint_ids, strict=True))
    _mark([(h[0], contacts.get(h[1]), made.get(h[0])) for h in hits], now)
    return len(touchpoint_ids)


def _campaigns(utms: set[str], ids: set[int]) -> dict[Any, Campaign]:
    found: dict[Any, Campaign] = {}
    if utms or ids:
        for c in Campaign.objects.filter(utm_campaign__in=utms) | Campaign.objects.filter(pk__in=ids):
            found[("utm", c.utm_campaign)] = found[c.pk] = c
    return found


def admin_rules() -> tuple[channels.AdminRule, ...]:
    return tuple(channels.AdminRule(f, v, c) for f, v, c in
                 ChannelRule.objects.order_by("pk").values_list("field", "value", "channel"))


def _touchpoint(h: tuple[Any, ...], contact_id: int, campaigns: dict[Any, Campaign],
                rules: tuple[channels.AdminRule, ...] = ()) -> dict[str, Any] | None:
    (_, _, kind, path, name, url, referrer, source, medium, utm, utm_content, utm_term, when, bot, campaign_id,
     _, _) = h
    tp_kind = None if bot else touchpoint_kind(kind, path, name)
    if tp_kind is None:
        return None
    campaign = campaigns.get(campaign_id) if campaign_id else campaigns.get(("utm", utm))
    channel = channels.classify_with(channels.visit(url=url, referrer=referrer, source=source, medium=medium,
                                                    campaign_channel=campaign.channel if campaign else ""), rules)
    return {
        "contact_id": contact_id, "kind": tp_kind, "channel": channel,
        "campaign_id": campaign.pk if campaign else None, "source": (source or channels.host_of(referrer))[:100],
        "medium": medium[:100], "utm_campaign": utm[:100], "utm_content": utm_content[:200],
        "utm_term": utm_term[:200], "content": (name if kind == "custom" else path)[:300], "occurred_at": when,
    }


def record_touchpoints(items: list[dict[str, Any]], by: Any = None) -> list[int]:
    """Marketing's batch verb, at most its 1,000 items a call."""
    ids: list[int] = []
    for start in range(0, len(items), MAX_BATCH):
        ids += do_record_touchpoint_batch(by=by, items=items[start:start + MAX_BATCH])
    return ids


def _mark(updates: list[tuple[int, int, int | None]], now: dt.datetime) -> None:
    """Set (hit id, contact id, touchpoint id) on the hits and mark them processed, in one statement."""
    table = Hit._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, contacts, tps = zip(*updates, strict=True)
            cursor.execute(
                f"UPDATE {table} h SET contact_id = v.c, touchpoint_id = v.t, "
                "processed_at = COALESCE(h.processed_at, %s) "
                "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::bigint[]) AS c, unnest(%s::bigint[]) AS t) v "
                "WHERE h.id = v.id", [now, list(ids), list(contacts), list(tps)])
        else:
            stamp = now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
            cursor.executemany(
                f"UPDATE {table} SET contact_id = %s, touchpoint_id = %s, processed_at = COALESCE(processed_at, %s) "
                "WHERE id = %s", [(c, t, stamp, pk) for pk, c, t in updates])
