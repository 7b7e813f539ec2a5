"""What the apps built on the CRM add to it. crm sits below them and imports none of them; each fills these
registries from its AppConfig.ready():

- timeline sources: another kind of row on a contact's, company's or deal's timeline (marketing: touchpoints);
- contact filters: another filter of the contact list (marketing: `campaign`, the contacts a campaign touched);
- the duplicate scanner: what finds likely duplicate contacts (analytics, on its record-linkage engine);
- privacy rights: erasers and exporters of each app's personal data of a contact (consent, tracking, webforms);
- merge steps: what an app does inside a merge before the rows move (consent: the narrower consent is kept).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet


@dataclass(frozen=True)
class TimelineEntry:
    """One row of a timeline: what happened, when, and the object behind it."""

    kind: str  # the TimelineSource's kind: activity | touchpoint | lifecycle | deal_stage | merge
    occurred_at: dt.datetime
    title: str
    detail: str
    obj: Any


@dataclass(frozen=True)
class TimelineSource:
    """One kind of timeline row. `rows(contact=, company=, deal=)` gives the rows of the one record named (with
    what `entry` reads selected, and an `occurred_at` field or alias), or None when the kind has none there.
    Entries at the same instant are ordered by `rank` and then by id, so every entry has one place in the
    timeline and a page can end between two entries of one instant; ranks are part of page cursors: keep them."""

    kind: str
    rank: int
    rows: Callable[..., QuerySet | None]
    entry: Callable[[Any], TimelineEntry]


_timeline_sources: dict[str, TimelineSource] = {}


def register_timeline_source(source: TimelineSource) -> None:
    clash = next((s for s in _timeline_sources.values() if s.rank == source.rank and s.kind != source.kind), None)
    if clash is not None:
        raise ValueError(f"timeline sources {clash.kind!r} and {source.kind!r} share rank {source.rank}")
    _timeline_sources[source.kind] = source


def timeline_sources() -> list[TimelineSource]:
    """Every registered source, in rank order."""
    return sorted(_timeline_sources.values(), key=lambda s: s.rank)


def timeline_source(kind: str) -> TimelineSource | None:
    return _timeline_sources.get(kind)


ContactFilter = Callable[[QuerySet, Any], QuerySet]
_contact_filters: dict[str, ContactFilter] = {}


def register_contact_filter(name: str, apply: ContactFilter) -> None:
    _contact_filters[name] = apply


def contact_filter(name: str) -> ContactFilter:
    try:
        return _contact_filters[name]
    except KeyError:
        raise ImproperlyConfigured(f"No app registered the contact filter {name!r}.") from None


@dataclass(frozen=True)
class DuplicateScanner:
    """Finds likely duplicate contacts and stores them (crm.actions.duplicates.do_save_duplicate_scan).
    `scan(threshold)` scans now and returns the DuplicateScan; `queue()` queues a scan for the worker unless one
    is waiting (its task id, and whether this call queued it); `waiting()` is the id of a queued or running one."""

    scan: Callable[[float | None], Any]
    queue: Callable[[], tuple[str, bool]]
    waiting: Callable[[], str | None]


_scanner: list[DuplicateScanner] = []


def register_duplicate_scanner(scanner: DuplicateScanner) -> None:
    _scanner[:] = [scanner]


def duplicate_scanner() -> DuplicateScanner:
    if not _scanner:
        raise ImproperlyConfigured("No app registered a duplicate scanner (plumbline.analytics does).")
    return _scanner[0]


# Privacy rights. An eraser removes or anonymises its app's personal data of the contacts named, inside the
# erasure's transaction (crm.actions.contacts.do_erase_contact); an exporter gives its app's data of a contact
# for the privacy export (crm.queries.privacy_export). Apps register theirs from AppConfig.ready().
Eraser = Callable[[list[int]], None]
Exporter = Callable[[Any], Any]
_erasers: dict[str, Eraser] = {}
_exporters: dict[str, Exporter] = {}


def register_eraser(name: str, fn: Eraser) -> None:
    _erasers[name] = fn


def erasers() -> dict[str, Eraser]:
    return dict(sorted(_erasers.items()))


def register_exporter(name: str, fn: Exporter) -> None:
    _exporters[name] = fn


def exporters() -> dict[str, Exporter]:
    return dict(sorted(_exporters.items()))


# A merge step runs inside a merge's transaction before the other contact's rows move to the survivor:
# `fn(survivor, other, by, at)`. Consent uses it to keep the narrower consent of the two on its ledger.
MergeStep = Callable[[Any, Any, Any, Any], None]
_merge_steps: dict[str, MergeStep] = {}


def register_merge_step(name: str, fn: MergeStep) -> None:
    _merge_steps[name] = fn


def merge_steps() -> list[MergeStep]:
    return [fn for _, fn in sorted(_merge_steps.items())]


# Panels of the contact page: `fn(request, contact) -> str`, HTML (rendered from the app's own template) shown in
# the page's side column, or "" for none. Consent shows the contact's consent and the privacy buttons.
ContactPanel = Callable[[Any, Any], str]
_contact_panels: dict[str, ContactPanel] = {}


def register_contact_panel(name: str, fn: ContactPanel) -> None:
    _contact_panels[name] = fn


def contact_panels() -> list[ContactPanel]:
    return [fn for _, fn in sorted(_contact_panels.items())]
