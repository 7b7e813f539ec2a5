"""Webhook writes: subscriptions (admins only), the deliveries events become, test messages and redelivery.
Sending them, with retries, is `sending.py`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from plumbline.accounts.models import User
from plumbline.core.errors import Conflict, DomainError, ValidationFailed
from plumbline.core.permissions import check
from plumbline.webhooks import guard
from plumbline.webhooks.kinds import ALL, KINDS, TEST_KIND
from plumbline.webhooks.models import Delivery, Subscription
from plumbline.webhooks.sending import queue_send

RESOURCE = "webhook"
MAX_FILTER_KEYS = 20
FIELDS = ("url", "description", "events", "filter", "is_active")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(16)


# --- subscriptions -----------------------------------------------------------------------------------------


def _clean_events(events: Any) -> list[str]:
    if not isinstance(events, list) or not events:
        raise DomainError("Pick at least one event kind, or \"*\" for every kind.", field="events", code="required")
    errors = [DomainError(f"Unknown event kind {kind!r}.", field=f"events.{i}", code="invalid_choice")
              for i, kind in enumerate(events) if kind != ALL and kind not in KINDS]
    if errors:
        raise ValidationFailed(errors)
    return [ALL] if ALL in events else sorted(set(events))


def _clean_filter(value: Any) -> dict[str, Any]:
    if value in (None, {}):
        return {}
    if not isinstance(value, dict) or set(value) - {"subject_type", "payload"}:
        raise DomainError("The filter takes only subject_type and payload.", field="filter")
    out: dict[str, Any] = {}
    subject_type = value.get("subject_type")
    if subject_type not in (None, ""):
        if not isinstance(subject_type, str) or len(subject_type) > 50:
            raise DomainError("subject_type is a subject's type, such as contact.", field="filter.subject_type")
        out["subject_type"] = subject_type
    payload = value.get("payload") or {}
    if not isinstance(payload, dict) or len(payload) > MAX_FILTER_KEYS:
        raise DomainError(f"payload maps at most {MAX_FILTER_KEYS} keys to the values they must equal.",
                          field="filter.payload")
    for key, expected in payload.items():
        if not isinstance(expected, str | int | float | bool) and expected is not None:
            raise DomainError("Each payload value is text, a number, true, false or null.",
                              field=f"filter.payload.{key}")
    if payload:
        out["payload"] = payload
    return out


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in fields.items() if k in FIELDS}
    if "url" in out:
        out["url"] = (out["url"] or "").strip()
        if len(out["url"]) > 2000:
            raise DomainError("The URL is longer than 2,000 characters.", field="url")
        guard.check_url(out["url"])
    if "events" in out:
        out["events"] = _clean_events(out["events"])
    if "filter" in out:
        out["filter"] = _clean_filter(out["filter"])
    if "description" in out:
        out["description"] = (out["description"] or "").strip()
    return out


@transaction.atomic
def do_create_subscription(*, by: User | None, url: str, events: list[str], description: str = "",
                           filter: dict[str, Any] | None = None, is_active: bool = True) -> Subscription:
    """A new subscription with a fresh signing secret; the URL is refused (422) when it reaches inside."""
    check(by, "add", RESOURCE)
    fields = _clean({"url": url, "events": events, "description": description, "filter": filter or {},
                     "is_active": is_active})
    return Subscription.objects.create(**fields, secret=new_secret(), created_by=by)


@transaction.atomic
def do_update_subscription(*, by: User | None, subscription: Subscription, changes: dict[str, Any]) -> Subscription:
    check(by, "change", RESOURCE, subscription)
    fields = _clean(changes)
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.save(update_fields=[*fields, "updated_at"])
    return subscription


@transaction.atomic
def do_delete_subscription(*, by: User | None, subscription: Subscription) -> None:
    """Deletes the subscription and its delivery log; a message being sent right now may still arrive."""
    check(by, "delete", RESOURCE, subscription)
    subscription.delete()


# --- deliveries --------------------------------------------------------------------------------------------


def matches(subscription: Subscription, *, kind: str, subject_type: str, payload: dict[str, Any]) -> bool:
    """Whether an event of this kind, subject and payload goes to the subscription (its kinds and filter)."""
    if ALL not in subscription.events and kind not in subscription.events:
        return False
    wanted = subscription.filter or {}
    if wanted.get("subject_type") and wanted["subject_type"] != subject_type:
        return False
    return all(k in payload and payload[k] == v for k, v in (wanted.get("payload") or {}).items())


def message_body(*, kind: str, timestamp: dt.datetime, data: dict[str, Any]) -> str:
    """The Standard Webhooks body: {"type", "timestamp", "data"}."""
    return json.dumps({"type": kind, "timestamp": timestamp.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                       "data": data}, separators=(",", ":"), default=str)


def event_data(event: Any) -> dict[str, Any]:
    return {
        "id": event.id, "kind": event.kind, "subject_type": event.subject_type, "subject_id": event.subject_id,
        "payload": event.payload, "actor_id": event.actor_id,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }


def do_record_deliveries(*, events: Iterable[Any], now: dt.datetime | None = None) -> list[int]:
    """One delivery per event and matching active subscription, queued for sending in the caller's transaction.
    A subscription gets the events recorded after it was made (never the backlog of a feed it joins late). A
    replayed event adds nothing (one delivery per event and subscription). Returns the new deliveries' ids."""
    now = now or timezone.now()
    subscriptions = list(Subscription.objects.filter(is_active=True))
    if not subscriptions:
        return []
    rows = [
        Delivery(subscription=sub, event_id=event.id, kind=event.kind, message_id=new_message_id(),
                 body=message_body(kind=event.kind, timestamp=event.occurred_at, data=event_data(event)),
                 next_attempt_at=now, created_at=now)
        for event in events for sub in subscriptions
        if event.recorded_at >= sub.created_at
        and matches(sub, kind=event.kind, subject_type=event.subject_type, payload=event.payload or {})
    ]
    if not rows:
        return []
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        # The rows that were new are those with the message ids made here (a conflict kept the stored one); read in
        # chunks, as SQLite limits the parameters of one statement.
        message_ids = [r.message_id for r in rows]
        new = Delivery.objects.values_list("pk", flat=True)
        ids = [pk for start in range(0, len(message_ids), 500)
               for pk in new.filter(message_id__in=message_ids[start:start + 500])]
        queue_send(ids)
    return ids


@transaction.atomic
def do_send_test(*, by: User | None, subscription: Subscription, now: dt.datetime | None = None) -> Delivery:
    """Queue a test message to the subscription (sent even while it is paused), logged as a delivery."""
    check(by, "change", RESOURCE, subscription)
    now = now or timezone.now()
    data = {"subscription_id": subscription.pk, "message": "A test message from Plumbline."}
    delivery = Delivery.objects.create(
        subscription=subscription, kind=TEST_KIND, message_id=new_message_id(),
        body=message_body(kind=TEST_KIND, timestamp=now, data=data), next_attempt_at=now, created_at=now)
    queue_send([delivery.pk])
    return delivery


@transaction.atomic
def do_redeliver(*, by: User | None, delivery: Delivery, now: dt.datetime | None = None) -> Delivery:
    """Send a delivery again now, with a fresh round of retries and the same `webhook-id` (receivers that saw it
    already can tell)."""
    check(by, "change", RESOURCE, delivery.subscription)
    now = now or timezone.now()
    taken = Delivery.objects.filter(pk=delivery.pk).exclude(status=Delivery.Status.SENDING, next_attempt_at__gt=now)
    if not taken.update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=now, delivered_at=None):
        raise Conflict("This delivery is being sent right now; try again in a minute.", field="delivery")
    queue_send([delivery.pk])
    delivery.refresh_from_db()
    return delivery
