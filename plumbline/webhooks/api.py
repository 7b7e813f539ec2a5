"""/webhooks: outbound webhook subscriptions (admins only), their delivery log, test messages and redelivery."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from plumbline.core.api_helpers import IdParam, In, Limit, QueryText, can_view, fresh, get_or_404, text
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.webhooks import queries
from plumbline.webhooks.actions import (
    RESOURCE,
    do_create_subscription,
    do_delete_subscription,
    do_redeliver,
    do_send_test,
    do_update_subscription,
)
from plumbline.webhooks.kinds import ALL, KINDS
from plumbline.webhooks.models import Delivery, Subscription

router = Router(tags=["webhooks"])

DELIVERY_SORTS = ("created_at",)
SUBSCRIPTION_SORTS = ("created_at", "updated_at")
# Port 1-65535.
_PORT = r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
# An http(s) URL whose host is a name or an IPv4 address, with an optional port, path and query. The server also
# refuses hosts that resolve to loopback, private, link-local or metadata addresses (422, code unsafe_target).
WEBHOOK_URL_PATTERN = (
    r"^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    + _PORT + r"(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?(\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$"
)
WebhookUrl = Annotated[str, StringConstraints(strict=True, max_length=2000, pattern=WEBHOOK_URL_PATTERN)]
EventKind = Literal[(ALL, *KINDS)]  # type: ignore[valid-type]
Events = Annotated[list[EventKind], Field(min_length=1, max_length=len(KINDS) + 1)]
PayloadValue = Annotated[str, StringConstraints(strict=True, max_length=200)] | int | bool | None
DeliveryStatus = Literal[tuple(Delivery.Status.values)]  # type: ignore[valid-type]
SubjectType = Annotated[str, StringConstraints(strict=True, max_length=50, pattern=r"^[a-z_]*$")]


class FilterIn(In):
    """Keep only events about this subject type, and/or whose payload has each key equal to the value given."""

    subject_type: SubjectType | None = None
    payload: Annotated[dict[Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\u0000]+$")], PayloadValue],
                       Field(max_length=20)] | None = None


class SubscriptionIn(In):
    url: WebhookUrl
    events: Events = Field(description='Event kinds to send, or ["*"] for every kind.')
    description: text(200) = ""
    filter: FilterIn | None = None
    is_active: bool = True


class SubscriptionPatch(In):
    url: WebhookUrl = None
    events: Events = None
    description: text(200) = None
    filter: FilterIn | None = None
    is_active: bool = None


class SubscriptionOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    filter: dict[str, Any]
    is_active: bool
    secret: str = Field(description="The Standard Webhooks signing secret (whsec_...): verify each message with it.")
    created_at: dt.datetime
    updated_at: dt.datetime


class SubscriptionPage(Schema):
    items: list[SubscriptionOut]
    next_cursor: str | None


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: int | None
    kind: str
    message_id: str = Field(description="The webhook-id header: the same on every retry of this delivery.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    response_status: int | None
    last_error: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_next_attempt_at(obj: Delivery) -> dt.datetime | None:
        return obj.next_attempt_at if obj.status in (Delivery.Status.PENDING, Delivery.Status.SENDING) else None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


def _changes(payload: In) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True)
    if "filter" in changes:
        changes["filter"] = {k: v for k, v in (changes["filter"] or {}).items() if v is not None}
    return changes


@router.get("/webhooks", response=SubscriptionPage, summary="List webhook subscriptions")
def list_subscriptions(
    request: HttpRequest, sort: Literal["created_at", "-created_at", "updated_at", "-updated_at"] = "-created_at",
    cursor: QueryText | None = None, limit: Limit = DEFAULT_LIMIT,
) -> dict:
    can_view(request, RESOURCE)
    items, next_cursor = paginate(queries.subscriptions(), sort=sort, allowed=SUBSCRIPTION_SORTS, cursor=cursor,
                                  limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/webhooks", response={201: SubscriptionOut}, summary="Subscribe a URL to events")
@idempotent
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> Status:
    """The answer holds the signing `secret`. A URL whose host resolves to a loopback, private, link-local,
    multicast or metadata address is refused (422 on `url`, code `unsafe_target`) unless the host is listed in the
    server's WEBHOOK_ALLOWED_HOSTS."""
    return Status(201, do_create_subscription(by=request.user, **_changes(payload)))


@router.get("/webhooks/{webhook_id}", response=SubscriptionOut, summary="Read a webhook subscription")
def get_subscription(request: HttpRequest, webhook_id: IdParam) -> Subscription:
    can_view(request, RESOURCE)
    return get_or_404(queries.subscriptions(), webhook_id, "webhook subscription")


@router.patch("/webhooks/{webhook_id}", response=SubscriptionOut, summary="Change a webhook subscription")
def update_subscription(request: HttpRequest, webhook_id: IdParam, payload: SubscriptionPatch) -> Subscription:
    can_view(request, RESOURCE)
    subscription = get_or_404(queries.subscriptions(), webhook_id, "webhook subscription")
    return fresh(do_update_subscription(by=request.user, subscription=subscription, changes=_changes(payload)))


@router.delete("/webhooks/{webhook_id}", response={204: None}, summary="Delete a webhook subscription")
def delete_subscription(request: HttpRequest, webhook_id: IdParam) -> Status:
    can_view(request, RESOURCE)
    subscription = get_or_404(queries.subscriptions(), webhook_id, "webhook subscription")
    do_delete_subscription(by=request.user, subscription=subscription)
    return Status(204, None)


@router.get("/webhooks/{webhook_id}/deliveries", response=DeliveryPage, summary="The subscription's delivery log")
def list_deliveries(
    request: HttpRequest, webhook_id: IdParam, status: DeliveryStatus | None = None,
    sort: Literal["created_at", "-created_at"] = "-created_at", cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    can_view(request, RESOURCE)
    subscription = get_or_404(queries.subscriptions(), webhook_id, "webhook subscription")
    qs = queries.deliveries(subscription)
    if status is not None:
        qs = qs.filter(status=status)
    items, next_cursor = paginate(qs, sort=sort, allowed=DELIVERY_SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/webhooks/{webhook_id}/test", response={201: DeliveryOut}, summary="Send a test message")
@idempotent
def send_test(request: HttpRequest, webhook_id: IdParam) -> Status:
    """Queues a `webhook.test` message to the URL (even while the subscription is paused); follow it in the log."""
    can_view(request, RESOURCE)
    subscription = get_or_404(queries.subscriptions(), webhook_id, "webhook subscription")
    return Status(201, do_send_test(by=request.user, subscription=subscription))


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", response=DeliveryOut,
             summary="Send a delivery again")
def redeliver(request: HttpRequest, webhook_id: IdParam, delivery_id: IdParam) -> Delivery:
    """Sends the same message (same `webhook-id`) again now, with a fresh round of retries."""
    can_view(request, RESOURCE)
    subscription = get_or_404(queries.subscriptions(), webhook_id, "webhook subscription")
    delivery = get_or_404(queries.deliveries(subscription), delivery_id, "delivery of this subscription")
    return do_redeliver(by=request.user, delivery=delivery)
