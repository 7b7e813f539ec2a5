"""Running the consumers: claim a consumer, hand it the next batch of its events, advance its cursor.

A consumer is claimed with a conditional UPDATE of its lease (`lease_until` lapsed or ours): zero rows updated
means another worker holds it, so any number of workers can run the feed side by side on PostgreSQL, each consumer
in one worker at a time (SQLite runs one worker). For an atomic consumer the handler's writes and the cursor's
advance commit together, so a worker killed mid-batch leaves neither and the next worker runs the batch again:
exactly once in effect. A non-atomic consumer commits as it goes and is idempotent; its cursor moves after the
batch, so a crash repeats part of a batch, never skips one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from psycopg.types.datetime import TimestamptzLoader
from pydantic_core import from_json

from plumbline.events import registry
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.registry import Consumer

logger = logging.getLogger("plumbline.events")

LEASE = dt.timedelta(seconds=settings.EVENTS_LEASE_SECONDS)
MAX_RETRY_DELAY = dt.timedelta(minutes=10)
OWNER = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class FeedEvent:
    """An event as consumers see it: plain values, no model instance (a consumer may read 50,000 a second).

    The payload and the two times are decoded from the database's form when first read, so a consumer that looks
    only at `kind` and `subject_id` (most skip most events) does not pay for JSON and date parsing of every row."""

    __slots__ = ("id", "kind", "subject_type", "subject_id", "_payload", "_occurred_at", "_recorded_at", "actor_id")

    def __init__(
        self, id: int, kind: str, subject_type: str, subject_id: int, payload: Any, occurred_at: Any,
        recorded_at: Any, actor_id: int | None,
    ) -> None:
        self.id, self.kind, self.subject_type, self.subject_id = id, kind, subject_type, subject_id
        self._payload, self._occurred_at, self._recorded_at, self.actor_id = payload, occurred_at, recorded_at, actor_id

    @property
    def payload(self) -> dict[str, Any]:
        if isinstance(self._payload, str | bytes):
            self._payload = from_json(self._payload)  # pydantic's parser: five times json.loads' speed
        return self._payload

    @property
    def occurred_at(self) -> dt.datetime:
        self._occurred_at = _aware(self._occurred_at)
        return self._occurred_at

    @property
    def recorded_at(self) -> dt.datetime:
        self._recorded_at = _aware(self._recorded_at)
        return self._recorded_at

    def _key(self) -> tuple:
        return (self.id, self.kind, self.subject_type, self.subject_id, self.payload, self.occurred_at,
                self.recorded_at, self.actor_id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeedEvent) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FeedEvent(id={self.id}, kind={self.kind!r}, subject={self.subject_type}:{self.subject_id})"


def _aware(value: Any) -> dt.datetime:
    """A datetime column as stored: SQLite gives text in UTC, PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


FIELDS = ("id", "kind", "subject_type", "subject_id", "payload", "occurred_at", "recorded_at", "actor_id")


class LeaseLost(Exception):
    """Another worker took the consumer over (our lease had lapsed): our batch is rolled back."""


def head() -> int:
    """The id of the newest committed event (0 for an empty feed)."""
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


def _cursor(name: str) -> ConsumerCursor:
    cursor = ConsumerCursor.objects.filter(name=name).first()
    if cursor is None:
        with transaction.atomic():
            cursor, _ = ConsumerCursor.objects.get_or_create(name=name)
    return cursor


def claim(consumer: Consumer, *, now: dt.datetime, owner: str = OWNER) -> bool:
    _cursor(consumer.name)
    with transaction.atomic():
        return bool(
            ConsumerCursor.objects.filter(name=consumer.name)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
            .update(lease_owner=owner, lease_until=now + LEASE)
        )


def release(consumer: Consumer, *, owner: str = OWNER) -> None:
    with transaction.atomic():
        ConsumerCursor.objects.filter(name=consumer.name, lease_owner=owner).update(lease_owner="", lease_until=None)


def next_batch(consumer: Consumer, position: int, upto: int) -> list[FeedEvent]:
    """The consumer's next events after `position`, up to `upto`: one query, rows straight from the cursor (the
    ORM's per-value converters cost more than the read itself; FeedEvent decodes what the consumer reads)."""
    kinds = sorted(consumer.kinds) if consumer.kinds is not None else None
    sql = _batch_sql(len(kinds) if kinds is not None else None)
    with connection.cursor() as cursor:
        _plain_timestamps(cursor)
        cursor.execute(sql, [position, upto, *(kinds or ()), consumer.batch_size])
        return [FeedEvent(*row) for row in cursor.fetchall()]


def _batch_sql(kinds: int | None) -> str:
    """The batch query. On SQLite the times are read as text: Django's sqlite3 converters would parse every
    datetime column in Python as it is fetched (most of a batch's cost), and FeedEvent parses only those read."""
    if connection.vendor == "sqlite":
        times = "CAST(occurred_at AS TEXT), CAST(recorded_at AS TEXT)"
    else:
        times = "occurred_at, recorded_at"
    of_kinds = f" AND kind IN ({', '.join(['%s'] * kinds)})" if kinds is not None else ""
    return (
        f"SELECT id, kind, subject_type, subject_id, payload, {times}, actor_id FROM {Event._meta.db_table} "
        f"WHERE id > %s AND id <= %s{of_kinds} ORDER BY id LIMIT %s"
    )


def _plain_timestamps(cursor: Any) -> None:
    """Read timestamptz with psycopg's own (C) loader on this cursor. Django's is Python code wrapped around it
    (to attach its own tzinfo object) and made reading a batch five times slower; the instant is the same."""
    if connection.vendor == "postgresql":
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)


@dataclass
class Step:
    handled: int = 0  # events given to the handler
    advanced: bool = False  # the cursor moved (possibly past events of other kinds only)
    failed: bool = False
    position: int = 0  # where the cursor is after the step
    head: int = 0  # the newest event id the step knew of


def step(
    consumer: Consumer, *, owner: str = OWNER, now: dt.datetime | None = None, position: int | None = None,
    upto: int | None = None,
) -> Step:
    """One batch of one consumer that this worker has claimed. `position` (the cursor's, as this worker last
    left it) and `upto` (a head read earlier) save their queries when the caller knows them: while a consumer is
    behind a known head, a batch costs one read and one UPDATE."""
    if position is None:
        position = ConsumerCursor.objects.values_list("position", flat=True).get(name=consumer.name)
    if upto is None or position >= upto:
        upto = head()  # read before the batch: on PostgreSQL every event up to it has committed
    if position >= upto:
        return Step(position=position, head=upto)
    batch = next_batch(consumer, position, upto)
    new_position = batch[-1].id if len(batch) == consumer.batch_size else upto
    try:
        if consumer.atomic:
            with transaction.atomic():
                if batch:
                    consumer.handle(batch)
                _advance(consumer, position, new_position, len(batch), owner, caught_up=new_position >= upto)
        else:
            if batch:
                consumer.handle(batch)
            with transaction.atomic():
                _without_waiting_for_the_disk()
                _advance(consumer, position, new_position, len(batch), owner, caught_up=new_position >= upto)
    except LeaseLost:
        return Step(position=position, head=upto)
    except Exception as error:  # the consumer's failure is recorded and retried; it must not stop the others
        _record_failure(consumer, error, batch[0].id if batch else None, owner, now or timezone.now())
        return Step(failed=True, position=position, head=upto)
    return Step(handled=len(batch), advanced=True, position=new_position, head=upto)


def _without_waiting_for_the_disk() -> None:
    """On PostgreSQL, commit this transaction without waiting for its WAL flush: used for a cursor advance that
    commits alone (a non-atomic consumer's). Should the server crash, the advance may be lost, and the batch is
    handed over again: the same as a worker dying after the handler's commits, which idempotent handlers absorb.
    It saves a disk flush per batch, the largest single cost of reading the feed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _advance(consumer: Consumer, old: int, new: int, handled: int, owner: str, *, caught_up: bool) -> None:
    now = timezone.now()
    moved = ConsumerCursor.objects.filter(name=consumer.name, lease_owner=owner, position=old).update(
        position=new, processed=F("processed") + handled, failures=0, retry_at=None,
        lease_until=now + LEASE, updated_at=now, **({"caught_up_at": now} if caught_up else {}),
    )
    if not moved:
        raise LeaseLost(consumer.name)


def _record_failure(consumer: Consumer, error: Exception, event_id: int | None, owner: str, now: dt.datetime) -> None:
    logger.error("event consumer %s failed at event %s: %s", consumer.name, event_id, type(error).__name__)
    cursor = ConsumerCursor.objects.get(name=consumer.name)
    delay = min(dt.timedelta(seconds=2 ** min(cursor.failures, 20)), MAX_RETRY_DELAY)
    text = "".join(traceback.format_exception_only(type(error), error)).strip()[:2000]
    with transaction.atomic():
        ConsumerCursor.objects.filter(name=consumer.name, lease_owner=owner).update(
            failures=cursor.failures + 1, retry_at=now + delay, last_error=text, last_error_at=now,
            last_error_event=event_id, lease_owner="", lease_until=None, updated_at=now,
        )


def run_consumer(consumer: Consumer, *, budget: float = 5.0, owner: str = OWNER) -> tuple[int, bool]:
    """Run one consumer until it has caught up or `budget` seconds have passed. Returns (events handled,
    whether it is still behind)."""
    if not claim(consumer, now=timezone.now(), owner=owner):
        return 0, False
    handled, deadline = 0, time.monotonic() + budget
    position, upto = None, None
    try:
        while True:
            done = step(consumer, owner=owner, position=position, upto=upto)
            handled += done.handled
            if done.failed or not done.advanced:
                return handled, False
            position, upto = done.position, done.head
            if time.monotonic() >= deadline:
                return handled, True
    finally:
        release(consumer, owner=owner)


def run_all(*, budget: float = 10.0, owner: str = OWNER) -> tuple[int, bool]:
    """Run every consumer in turn, again while any of them handled something (a consumer's handler writes
    events that others read), until all have caught up or `budget` seconds have passed."""
    total, deadline = 0, time.monotonic() + budget
    while True:
        handled_pass, behind = 0, False
        for consumer in registry.consumers():
            left = deadline - time.monotonic()
            if left <= 0:
                return total, True
            handled, still_behind = run_consumer(consumer, budget=left, owner=owner)
            handled_pass += handled
            behind = behind or still_behind
        total += handled_pass
        if not handled_pass and not behind:
            return total, False


def drain(*, max_passes: int = 100) -> int:
    """Run the feed until every consumer has caught up (tests and the CLI; the worker runs `run_all` in a task)."""
    total = 0
    for _ in range(max_passes):
        handled, behind = run_all(budget=60.0)
        total += handled
        if not behind and not handled:
            return total
    return total
