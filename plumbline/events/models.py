"""The change feed: one append-only table of domain events, and a durable cursor per consumer.

An action writes its events in its own transaction (a transactional outbox), so an event exists exactly when the
change it describes was committed. Consumers (scoring, handoff, webhooks, and the marketing apps to come) read the
feed in id order from their cursor and are idempotent: delivery is at least once (docs/architecture.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Event(models.Model):
    """Something that happened to a record, in the order it was committed.

    `id` increases in commit order (on PostgreSQL the writers of events take a transaction-level advisory lock, so
    a consumer that has read up to id N never later finds a committed event below N; SQLite has a single writer and
    AUTOINCREMENT, which never reuses an id). `occurred_at` is when it happened (a touchpoint's own time);
    `recorded_at` is when it was written. `actor` is who did it (none for the system, an import or a visitor)."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["kind", "id"], name="event_kind_id"),
            models.Index(fields=["subject_type", "subject_id", "id"], name="event_subject_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.subject_type} {self.subject_id}"


class ConsumerCursor(models.Model):
    """How far one named consumer has read the feed, who holds it now, and how it last failed.

    `position` is the id of the last event the consumer has finished with. A worker claims the consumer with a
    conditional UPDATE of the lease (0 rows updated: another worker holds it), so several workers may run side
    by side, each consumer in one of them at a time."""

    name = models.CharField(max_length=64, primary_key=True)
    position = models.BigIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    processed = models.BigIntegerField(default=0)  # events handled since the cursor was made (replays included)
    caught_up_at = models.DateTimeField(null=True, blank=True)
    failures = models.IntegerField(default=0)  # consecutive failed batches; 0 once a batch succeeds
    retry_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error_event = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at #{self.position}"
