"""Reading the feed's state: where each consumer is, how far behind, and how it last failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from plumbline.events import registry
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.runner import head

LAG_COUNT_CAP = 1_000_000  # counting further than this tells an operator nothing more, and costs a scan


@dataclass(frozen=True)
class ConsumerStatus:
    name: str
    label: str
    kinds: list[str] | None
    position: int
    head: int
    lag: int  # events of its kinds not yet handled (capped at LAG_COUNT_CAP)
    oldest_pending_at: dt.datetime | None  # when the oldest of them was recorded
    lag_seconds: float  # how long the oldest of them has waited (0 when caught up)
    processed: int
    failures: int
    retry_at: dt.datetime | None
    last_error: str
    last_error_at: dt.datetime | None
    last_error_event: int | None
    running_in: str  # the worker holding it now, if any
    caught_up_at: dt.datetime | None

    @property
    def waiting(self) -> str:
        """How long the oldest pending event has waited, for people: "<1 s", "40 s", "12 min", "3 h", "2 days"."""
        return duration_label(self.lag_seconds) if self.lag else ""

    @property
    def state_code(self) -> str:
        if self.failures:
            return "failing"
        return "behind" if self.lag else "caught_up"

    @property
    def state(self) -> str:
        return STATE_LABELS[self.state_code]


def duration_label(seconds: float) -> str:
    if seconds < 1:
        return "<1 s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} days"


STATE_LABELS = {"caught_up": "Caught up", "behind": "Behind", "failing": "Failing"}


def consumer_status(*, now: dt.datetime | None = None) -> list[ConsumerStatus]:
    now = now or timezone.now()
    top = head()
    cursors = {c.name: c for c in ConsumerCursor.objects.all()}
    out = []
    for consumer in registry.consumers():
        cursor = cursors.get(consumer.name) or ConsumerCursor(name=consumer.name)
        pending = Event.objects.filter(id__gt=cursor.position, id__lte=top)
        if consumer.kinds is not None:
            pending = pending.filter(kind__in=consumer.kinds)
        lag = pending.order_by("id")[:LAG_COUNT_CAP].count() if cursor.position < top else 0
        oldest = pending.order_by("id").values_list("recorded_at", flat=True).first() if lag else None
        held = cursor.lease_owner if cursor.lease_until and cursor.lease_until > now else ""
        out.append(ConsumerStatus(
            name=consumer.name, label=consumer.label, kinds=sorted(consumer.kinds) if consumer.kinds else None,
            position=cursor.position, head=top, lag=lag, oldest_pending_at=oldest,
            lag_seconds=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0, processed=cursor.processed,
            failures=cursor.failures, retry_at=cursor.retry_at, last_error=cursor.last_error,
            last_error_at=cursor.last_error_at, last_error_event=cursor.last_error_event, running_in=held,
            caught_up_at=cursor.caught_up_at,
        ))
    return out


def recent_events(*, kind: str | None = None, subject_type: str | None = None, subject_id: int | None = None):
    """The newest events first, filtered; a queryset for paging."""
    events = Event.objects.select_related("actor").order_by("-id")
    if kind:
        events = events.filter(kind=kind)
    if subject_type:
        events = events.filter(subject_type=subject_type)
    if subject_id is not None:
        events = events.filter(subject_id=subject_id)
    return events


def events_before(events, *, before: int | None, limit: int) -> tuple[list[Event], int | None]:
    """One page of `recent_events` (newest first) below event id `before`, and the id to ask for the next page
    below (None on the last page): keyset paging, so an old page costs what the first does and nothing counts
    the whole feed."""
    if before is not None:
        events = events.filter(id__lt=before)
    rows = list(events[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], rows[limit - 1].pk


def tail(*, kind: str | None = None, count: int = 20) -> list[Event]:
    """The last `count` events (of `kind`), oldest of them first, as a log reads."""
    return list(reversed(recent_events(kind=kind)[:count]))


SUBJECT_PAGES = {"contact": "contact_detail", "company": "company_detail", "deal": "deal_detail"}


def subject_page(subject_type: str) -> str | None:
    """The name of the URL of a subject's own page, where it has one."""
    return SUBJECT_PAGES.get(subject_type)
