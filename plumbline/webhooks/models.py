"""Outbound webhook subscriptions and the deliveries of events to them (Standard Webhooks)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plumbline.core.models import TimeStamped


class Subscription(TimeStamped):
    """A target URL that receives the events of the chosen kinds (or every kind: "*"), signed with `secret`.

    `filter` narrows them further: {"subject_type": "contact", "payload": {"stage": "mql"}} keeps the events about a
    contact whose payload has stage = "mql"; both parts are optional, an empty filter keeps everything."""

    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text='Dotted event kinds, or ["*"] for every kind.')
    filter = models.JSONField(default=dict, blank=True)
    secret = models.CharField(max_length=100, help_text="Standard Webhooks signing secret, whsec_<base64>.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description or self.url


class Delivery(models.Model):
    """One message to one subscription: an event (or a test), its fixed body and `message_id` (the `webhook-id`
    header, the same on every retry), and where its sending stands.

    A sender claims a delivery by moving `next_attempt_at` past a lease (status "sending"); a sender killed
    mid-request leaves the claim to lapse, and the delivery is sent again, with the same id (at least once)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField(null=True, blank=True, help_text="The event's id; none for a test message.")
    kind = models.CharField(max_length=100)
    message_id = models.CharField(max_length=40, unique=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"],
                                    name="one_delivery_per_event_and_subscription"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["subscription", "created_at"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.subscription_id}"

    @property
    def status_label(self) -> str:
        if self.status == self.Status.PENDING and self.attempts:
            return "Retrying"
        return self.get_status_display()
