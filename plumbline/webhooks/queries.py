"""Webhook reads: subscriptions, each one's delivery log, and the last delivery of each for the list page."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from plumbline.webhooks.models import Delivery, Subscription


def subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.all()


def with_last_delivery(qs: QuerySet[Subscription]) -> QuerySet[Subscription]:
    """Each subscription with the status and time of its latest delivery (one query for the whole list)."""
    latest = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at", "-pk")
    return qs.annotate(last_status=Subquery(latest.values("status")[:1]),
                       last_attempts=Subquery(latest.values("attempts")[:1]),
                       last_created_at=Subquery(latest.values("created_at")[:1]))


def deliveries(subscription: Subscription) -> QuerySet[Delivery]:
    return Delivery.objects.filter(subscription=subscription)
