"""Every tracking read that matters: sites (cached for the collect path), visitor ids of requests, hit counts."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from plumbline.tracking.beacon import VISITOR_ID
from plumbline.tracking.models import Hit, HitKind, Site, Visitor, bot_label

COOKIE = "_pl_vid"  # the first-party visitor cookie the script sets (and /go/ sets on Plumbline's own domain)
SITE_CACHE_SECONDS = 5.0  # how long a process trusts what it read of a site (a change reaches all within this)


@dataclass(frozen=True)
class SiteInfo:
    id: int
    origins: frozenset[str]
    gdpr_mode: bool


_sites: dict[str, tuple[float, SiteInfo | None]] = {}
_origins: tuple[float, frozenset[str]] = (0.0, frozenset())


def site_for_key(key: str) -> SiteInfo | None:
    """The active site with this public key, read at most every few seconds per process."""
    now = time.monotonic()
    hit = _sites.get(key)
    if hit is not None and now - hit[0] < SITE_CACHE_SECONDS:
        return hit[1]
    row = Site.objects.filter(key=key, active=True).values_list("pk", "origins", "gdpr_mode").first()
    info = None if row is None else SiteInfo(row[0], frozenset(o.strip().lower() for o in row[1].splitlines()
                                                                 if o.strip()), row[2])
    if len(_sites) > 10_000:
        _sites.clear()
    _sites[key] = (now, info)
    return info


def known_origin(origin: str) -> bool:
    """Whether any active site registers `origin` (a CORS preflight names no site)."""
    global _origins
    now = time.monotonic()
    if now - _origins[0] >= SITE_CACHE_SECONDS:
        found = set()
        for origins in Site.objects.filter(active=True).values_list("origins", flat=True):
            found.update(o.strip().lower() for o in origins.splitlines() if o.strip())
        _origins = (now, frozenset(found))
    return origin.lower() in _origins[1]


def forget_cached_sites() -> None:
    global _origins
    _sites.clear()
    _origins = (0.0, frozenset())


def visitor_id_from_request(request: HttpRequest) -> str | None:
    """The visitor id a request carries: the hidden `plumbline_visitor` field the snippet fills in forms, else the
    first-party cookie. None when absent or not well-formed."""
    for value in (request.POST.get("plumbline_visitor") if request.method == "POST" else None,
                  request.COOKIES.get(COOKIE)):
        if value and VISITOR_ID.match(value):
            return value
    return None


def snippet(site: Site) -> str:
    """The one line a site embeds."""
    extra = ' data-consent="required"' if site.gdpr_mode else ""
    return f'<script async src="{settings.PUBLIC_BASE_URL.rstrip("/")}/t.js" data-site="{site.key}"{extra}></script>'


def sites() -> QuerySet[Site]:
    return Site.objects.order_by("name", "pk")


def hit_counts(site: Site | None = None) -> list[dict]:
    """Hits per kind, humans and bots apart: [{"kind", "human", "bot"}]."""
    qs = Hit.objects.all() if site is None else Hit.objects.filter(site=site)
    rows = qs.values("kind").annotate(human=Count("pk", filter=Q(bot="")), bot=Count("pk", filter=~Q(bot="")))
    return [{**row, "label": HitKind(row["kind"]).label if row["kind"] in HitKind.values else row["kind"]}
            for row in rows.order_by("kind")]


def bot_counts(site: Site | None = None) -> list[tuple[str, int]]:
    qs = Hit.objects.exclude(bot="") if site is None else Hit.objects.filter(site=site).exclude(bot="")
    return [(bot_label(code), n) for code, n in qs.values_list("bot").annotate(n=Count("pk")).order_by("-n", "bot")]


def contact_id_of_visitor(visitor_id: str) -> int | None:
    """The contact a visitor id has been stitched to, if any."""
    return Visitor.objects.filter(visitor_id=visitor_id).values_list("contact_id", flat=True).first()


def visitors_of(contact_id: int) -> list[str]:
    return list(Visitor.objects.filter(contact_id=contact_id).values_list("visitor_id", flat=True))


HITS_PAGE = 50


def recent_hits(site: Site, *, before: int | None = None) -> tuple[list[Hit], int | None]:
    """A page of the site's hits, newest first, and the id to page on from (None on the last page)."""
    qs = Hit.objects.filter(site=site).select_related("contact").order_by("-pk")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs[:HITS_PAGE + 1])
    return rows[:HITS_PAGE], (rows[HITS_PAGE - 1].pk if len(rows) > HITS_PAGE else None)
