"""Writing to the change feed, and what operators do to consumers (replay, prune).

`emit` and `emit_many` run inside the caller's transaction (the transactional outbox): the event commits with
the change or not at all. Call them as late in the transaction as you can: on PostgreSQL the first emit takes a
transaction-level advisory lock, held to the commit, so that event ids follow commit order (a consumer that has
read up to id N never later sees a committed event below N). Emitting early and then locking rows invites
deadlocks with other writers; writing the events last keeps the serialised part to the commit itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Min
from django.utils import timezone

from plumbline.core import bulk
from plumbline.core.errors import DomainError
from plumbline.events import registry
from plumbline.events.kinds import KINDS
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.tasks import pump, pump_is_queued

FEED_LOCK = 0x706C756D  # "plum": the advisory lock that orders event writers on PostgreSQL
COLUMNS = ("kind", "subject_type", "subject_id", "payload", "occurred_at", "recorded_at", "actor_id")


@dataclass(frozen=True)
class EventSpec:
    """One event to write with `emit_many`."""

    kind: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    occurred_at: dt.datetime | None = None
    actor_id: int | None = None


def subject_of(subject: models.Model | tuple[str, int]) -> tuple[str, int]:
    if isinstance(subject, tuple):
        return subject[0], int(subject[1])
    return subject._meta.model_name or type(subject).__name__.lower(), int(subject.pk)


def emit(
    *, kind: str, subject: models.Model | tuple[str, int], payload: dict[str, Any] | None = None,
    actor: Any = None, occurred_at: dt.datetime | None = None,
) -> None:
    """Write one event in the current transaction. `actor` is a user (or None for the system)."""
    subject_type, subject_id = subject_of(subject)
    emit_many([EventSpec(
        kind=kind, subject_type=subject_type, subject_id=subject_id, payload=payload or {},
        occurred_at=occurred_at, actor_id=getattr(actor, "pk", actor),
    )])


def emit_many(specs: Iterable[EventSpec]) -> int:
    """Write many events in the current transaction (bulk writes: batch ingest, imports, demo load)."""
    now = timezone.now()
    rows = []
    for spec in specs:
        if spec.kind not in KINDS:
            raise ValueError(f"Unknown event kind {spec.kind!r}: add it to plumbline/events/kinds.py")
        rows.append((spec.kind, spec.subject_type, spec.subject_id, spec.payload, spec.occurred_at or now, now,
                     spec.actor_id))
    if not rows:
        return 0
    if not connection.in_atomic_block:
        raise RuntimeError("Events are written inside the transaction of the change they describe")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
    bulk.insert_rows(Event, COLUMNS, rows)
    _wake_the_worker()
    return len(rows)


def _wake_the_worker() -> None:
    """Queue the feed pump unless one is already waiting (in this transaction: it commits with the events)."""
    if not pump_is_queued():
        pump.enqueue()


def do_replay(*, name: str, from_event: int, by: Any = None) -> ConsumerCursor:
    """Make consumer `name` read the feed again from event id `from_event` (inclusive). Its handler is
    idempotent, so events it had already applied change nothing the second time."""
    if registry.get(name) is None:
        raise DomainError(f"No consumer is named {name}.", field="name")
    if from_event < 1:
        raise DomainError("Replay from event 1 or later.", field="from_event")
    with transaction.atomic():
        cursor, _ = ConsumerCursor.objects.get_or_create(name=name)
        cursor.position = from_event - 1
        cursor.failures, cursor.retry_at = 0, None
        cursor.caught_up_at = None
        cursor.save(update_fields=["position", "failures", "retry_at", "caught_up_at", "updated_at"])
        _wake_the_worker()
    return cursor


@dataclass(frozen=True)
class Pruned:
    deleted: int
    below: int  # events with a smaller id and older than the retention period are gone


def do_prune(*, now: dt.datetime | None = None, retention_days: int | None = None, chunk: int = 10_000) -> Pruned:
    """Delete events older than the retention period that every registered consumer has passed, in short
    transactions of `chunk` events."""
    now = now or timezone.now()
    days = settings.EVENTS_RETENTION_DAYS if retention_days is None else retention_days
    names = [c.name for c in registry.consumers()]
    positions = dict(ConsumerCursor.objects.filter(name__in=names).values_list("name", "position"))
    passed_by_all = min((positions.get(name, 0) for name in names), default=None)
    if passed_by_all is None:
        passed_by_all = Event.objects.aggregate(m=models.Max("id"))["m"] or 0
    cutoff = now - dt.timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            Event.objects.filter(id__lte=passed_by_all, recorded_at__lt=cutoff).order_by("id")
            .values_list("id", flat=True)[:chunk]
        )
        if not ids:
            break
        with transaction.atomic():
            deleted += Event.objects.filter(id__gte=ids[0], id__lte=ids[-1], recorded_at__lt=cutoff).delete()[0]
    return Pruned(deleted=deleted, below=passed_by_all)


def oldest_event_id() -> int | None:
    return Event.objects.aggregate(m=Min("id"))["m"]
