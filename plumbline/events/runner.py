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
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from plumbline.events import registry
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.registry import Consumer

logger = logging.getLogger("plumbline.events")

LEASE = dt.timedelta(seconds=60)
MAX_RETRY_DELAY = dt.timedelta(minutes=10)
OWNER = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class FeedEvent(NamedTuple):
    """An event as consumers see it: plain values, no model instance (a consumer may read 50,000 a second)."""

    id: int
    kind: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    actor_id: int | None


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
    events = Event.objects.filter(id__gt=position, id__lte=upto)
    if consumer.kinds is not None:
        events = events.filter(kind__in=consumer.kinds)
    return [FeedEvent(*row) for row in events.order_by("id").values_list(*FIELDS)[: consumer.batch_size]]


@dataclass
class Step:
    handled: int = 0  # events given to the handler
    advanced: bool = False  # the cursor moved (possibly past events of other kinds only)
    failed: bool = False


def step(consumer: Consumer, *, owner: str = OWNER, now: dt.datetime | None = None) -> Step:
    """One batch of one consumer that this worker has claimed."""
    cursor = ConsumerCursor.objects.get(name=consumer.name)
    upto = head()
    if cursor.position >= upto:
        return Step()
    batch = next_batch(consumer, cursor.position, upto)
    new_position = batch[-1].id if len(batch) == consumer.batch_size else upto
    try:
        if consumer.atomic:
            with transaction.atomic():
                if batch:
                    consumer.handle(batch)
                _advance(consumer, cursor.position, new_position, len(batch), owner)
        else:
            if batch:
                consumer.handle(batch)
            with transaction.atomic():
                _advance(consumer, cursor.position, new_position, len(batch), owner)
    except LeaseLost:
        return Step()
    except Exception as error:  # the consumer's failure is recorded and retried; it must not stop the others
        _record_failure(consumer, error, batch[0].id if batch else None, owner, now or timezone.now())
        return Step(failed=True)
    return Step(handled=len(batch), advanced=True)


def _advance(consumer: Consumer, old: int, new: int, handled: int, owner: str) -> None:
    now = timezone.now()
    caught_up = {"caught_up_at": now} if new >= head() else {}
    moved = ConsumerCursor.objects.filter(name=consumer.name, lease_owner=owner, position=old).update(
        position=new, processed=F("processed") + handled, failures=0, retry_at=None,
        lease_until=now + LEASE, updated_at=now, **caught_up,
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
    try:
        while True:
            done = step(consumer, owner=owner)
            handled += done.handled
            if done.failed or not done.advanced:
                return handled, False
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
