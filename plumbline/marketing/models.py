"""Campaigns and touchpoints: the raw material of scoring and attribution."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from plumbline.core.models import TimeStamped


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PAID_SEARCH = "paid_search", "Paid search"
    PAID_SOCIAL = "paid_social", "Paid social"
    ORGANIC_SOCIAL = "organic_social", "Organic social"
    SEO = "seo", "SEO"
    VIDEO = "video", "Video"
    PRINT = "print", "Print"
    EVENT = "event", "Event"
    WEBINAR = "webinar", "Webinar"
    OUTBOUND = "outbound", "Outbound"
    REFERRAL = "referral", "Referral"
    PARTNER = "partner", "Partner"
    DIRECT = "direct", "Direct"


class TouchpointKind(models.TextChoices):
    PAGE_VIEW = "page_view", "Page view"
    EMAIL_OPEN = "email_open", "Email open"
    EMAIL_CLICK = "email_click", "Email click"
    FORM_SUBMIT = "form_submit", "Form submit"
    DEMO_REQUEST = "demo_request", "Demo request"
    PRICING_VIEW = "pricing_view", "Pricing page view"
    CONTENT_DOWNLOAD = "content_download", "Content download"
    AD_CLICK = "ad_click", "Ad click"
    EVENT_ATTENDED = "event_attended", "Event attended"
    WEBINAR_REGISTERED = "webinar_registered", "Webinar registered"
    WEBINAR_ATTENDED = "webinar_attended", "Webinar attended"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    SALES_EMAIL = "sales_email", "Sales email"
    QR_SCAN = "qr_scan", "QR code scan"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribe"
    BOUNCE = "bounce", "Bounce"


class Campaign(TimeStamped):
    """A marketing effort on one channel with a cost; `utm_campaign` ties web traffic to it.

    Print campaigns get a vanity URL (/go/<vanity_slug>) and a QR code pointing at it.
    """

    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    utm_campaign = models.SlugField(max_length=100, unique=True)
    vanity_slug = models.SlugField(max_length=60, unique=True, null=True, blank=True)
    landing_url = models.URLField(max_length=500, blank=True)
    description = models.TextField(blank=True, max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_dates_ordered",
            ),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="campaign_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The date and cost constraints as field errors people can act on (full_clean then skips the raw
        "Constraint ... is violated" message for these fields)."""
        errors = {}
        if isinstance(self.starts_on, dt.date) and isinstance(self.ends_on, dt.date) and self.ends_on < self.starts_on:
            errors["ends_on"] = ValidationError("End date must be on or after the start date.", code="invalid")
        if isinstance(self.cost, int | Decimal) and self.cost < 0:
            errors["cost"] = ValidationError("Cost must not be negative.", code="invalid")
        if errors:
            raise ValidationError(errors)


class Touchpoint(models.Model):
    """One marketing or sales interaction with a contact that matters for attribution and scoring."""

    # No single-column indexes on the two foreign keys: (contact, occurred_at) and (campaign, occurred_at) below
    # serve every lookup by contact or campaign (their leading column), and each index costs every insert.
    contact = models.ForeignKey(
        "crm.Contact", on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="touchpoints", db_index=False
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    kind = models.CharField(max_length=30, choices=TouchpointKind.choices)
    source = models.CharField(max_length=100, blank=True)
    medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    content = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField()
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["contact", "occurred_at"], name="touchpoint_contact_time"),
            models.Index(fields=["campaign", "occurred_at"], name="touchpoint_campaign_time"),
            models.Index(fields=["occurred_at"], name="touchpoint_time"),
            # Segments count touchpoints of one kind in a recent window per contact ("3 page views in 14 days"):
            # this reads just those entries and their contacts from the index alone, on both databases, where
            # touchpoint_time would read every kind's rows of the window. docs/benchmarks.md, "Segments".
            models.Index(fields=["kind", "occurred_at", "contact"], name="touchpoint_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} via {self.channel}"


class FirstTouchpoint(models.Model):
    """A contact's first touchpoint (earliest `occurred_at`, ties to the lowest id): its id, time, channel and
    campaign, kept exact by the touchpoint actions (`plumbline.marketing.first_touch`) so that reports group
    contacts by first touch without reading every touchpoint. One row per contact that has touchpoints.
    Why a table of its own and not columns on the contact: docs/decisions/0003-first-touchpoint.md."""

    contact = models.OneToOneField(
        "crm.Contact", primary_key=True, on_delete=models.CASCADE, related_name="first_touchpoint"
    )
    # An id, not a foreign key: a key would make Django load every touchpoint of a deleted contact to cascade
    # through it; the actions rewrite this row whenever that touchpoint changes or goes.
    touchpoint_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # Deleting a campaign nulls it here as it does on the touchpoint itself.
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"first touch of contact {self.contact_id}: {self.channel}"
