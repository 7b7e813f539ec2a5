"""Sending deliveries, at least once, with Standard Webhooks retries.

A sender claims a delivery with one conditional UPDATE (status "sending", the next attempt moved past CLAIM_LEASE),
posts it, then records the outcome only if its claim still holds. A sender killed between the two (kill -9 of the
worker) leaves the claim to lapse; the delivery is then due again and goes out with the same `webhook-id`, which
is how receivers recognise a repeat. Each failed attempt queues the next one (a task with `run_after`) in the
transaction that records it, so a retry is never lost; `send_due` picks up anything due (the sweeper task)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from plumbline.webhooks import guard, sender
from plumbline.webhooks.models import Delivery

logger = logging.getLogger(__name__)

# Standard Webhooks / Svix: after the first attempt, retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later
# (about 28 hours in all); a delivery that fails all eight attempts is given up (dead-lettered).
RETRY_DELAYS = (
    dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
    dt.timedelta(hours=5), dt.timedelta(hours=10), dt.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Longer than one attempt can take (sender.TOTAL_TIMEOUT), so a live sender's claim never lapses under it.
CLAIM_LEASE = dt.timedelta(seconds=60)

# --- claim, send, record -----------------------------------------------------------------------------------


def claim(delivery_id: int, now: dt.datetime) -> int | None:
    """Take a due delivery for one attempt: its attempt number, or None when it is not due or someone has it."""
    with transaction.atomic():
        taken = Delivery.objects.filter(
            pk=delivery_id, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING], next_attempt_at__lte=now,
        ).update(status=Delivery.Status.SENDING, next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1,
                 last_attempt_at=now)
        if not taken:
            return None
        return Delivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)


def attempt(delivery_id: int, *, now: dt.datetime | None = None) -> Delivery.Status | None:
    """Claim the delivery if it is due, send it, record what happened; None when it was not ours to send."""
    now = now or timezone.now()
    number = claim(delivery_id, now)
    if number is None:
        return None
    delivery = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return None  # its subscription was deleted meanwhile
    try:
        outcome = _send(delivery, now)
    except Exception as exc:  # recorded and retried like any failure, never a claim left to lapse by a crash
        logger.exception("webhook delivery %s failed unexpectedly", delivery_id)
        outcome = sender.Outcome(None, f"internal error: {type(exc).__name__}")
    return _record(delivery, number, outcome, now)


def _send(delivery: Delivery, now: dt.datetime) -> sender.Outcome:
    subscription = delivery.subscription
    if not subscription.is_active and delivery.event_id is not None:
        return sender.Outcome(None, "the subscription is paused")
    try:
        target = guard.target(subscription.url)
    except guard.UnsafeTarget as exc:
        return sender.Outcome(None, f"refused: {exc.message}"[:500])
    except OSError as exc:
        return sender.Outcome(None, f"cannot resolve the host: {exc}"[:500])
    headers = sender.signed_headers(secret=subscription.secret, message_id=delivery.message_id, body=delivery.body,
                                    now=now)
    return sender.post(target, delivery.body, headers)


def _record(delivery: Delivery, number: int, outcome: sender.Outcome, now: dt.datetime) -> Delivery.Status | None:
    """Store the outcome if our claim still holds (attempt `number`, still "sending"); queue the retry with it."""
    fields: dict[str, Any] = {"response_status": outcome.status, "last_error": outcome.error[:500]}
    if outcome.ok:
        fields.update(status=Delivery.Status.DELIVERED, delivered_at=now)
    elif number >= MAX_ATTEMPTS or (not delivery.subscription.is_active and delivery.event_id is not None):
        fields.update(status=Delivery.Status.FAILED)
    else:
        fields.update(status=Delivery.Status.PENDING, next_attempt_at=now + RETRY_DELAYS[number - 1])
    with transaction.atomic():
        ours = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, attempts=number)
        if not ours.update(**fields):
            return None  # the claim lapsed and another sender took over: its outcome counts
        if fields["status"] == Delivery.Status.PENDING:
            queue_send([delivery.pk], at=fields["next_attempt_at"])
    return fields["status"]


def send_due(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Attempt every delivery due at `now` (retries, and claims whose sender died), oldest first; how many were
    attempted."""
    now = now or timezone.now()
    due = Delivery.objects.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING], next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    return sum(attempt(pk, now=now) is not None for pk in list(due))


# --- the task ----------------------------------------------------------------------------------------------


@task()
def send_delivery(delivery_id: int) -> str:
    """Attempt one delivery if it is due. When another sender holds it (or held it and died), look again when its
    claim lapses, so a claim left by a killed worker is always picked up."""
    outcome = attempt(delivery_id)
    if outcome is not None:
        return outcome
    held = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).values_list(
        "next_attempt_at", flat=True).first()
    if held is not None:
        queue_send([delivery_id], at=held)
    return "not due"


def queue_send(delivery_ids: Iterable[int], *, at: dt.datetime | None = None) -> None:
    """Queue the sending of these deliveries (at `at`, or now), in the caller's transaction: the database task
    backend stores the task rows with the deliveries, so both commit or neither."""
    queued = send_delivery if at is None else send_delivery.using(run_after=at)
    for delivery_id in delivery_ids:
        queued.enqueue(delivery_id)
