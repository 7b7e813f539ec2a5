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
    def state(self) -> str:
        if self.failures:
            return "Failing"
        return "Behind" if self.lag else "Caught up"


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
