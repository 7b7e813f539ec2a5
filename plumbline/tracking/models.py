"""Website tracking: the sites that embed /t.js, the raw hits their beacons deliver, and who a visitor turned out
to be. Hits are a durable log: every accepted event is kept (bots included, labelled), and the processor turns the
hits of known, human visitors into marketing touchpoints."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plumbline.core.models import TimeStamped
from plumbline.marketing.models import Channel


class HitKind(models.TextChoices):
    PAGE_VIEW = "page_view", "Page view"
    CUSTOM = "custom", "Custom event"
    IDENTIFY = "identify", "Identify"
    QR_SCAN = "qr_scan", "QR code scan"


class Site(TimeStamped):
    """A website that embeds the tracking snippet. Its public `key` names it in the snippet; beacons are accepted
    only from its `origins` (CORS); in GDPR mode the script sets no cookie before the visitor consents."""

    name = models.CharField(max_length=200)
    key = models.CharField(max_length=32, unique=True)
    # One origin a line, e.g. https://www.example.com (scheme, host and port, as browsers send Origin).
    origins = models.TextField(blank=True, max_length=5000)
    gdpr_mode = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")

    def __str__(self) -> str:
        return self.name

    @property
    def origin_list(self) -> list[str]:
        return [o.strip() for o in self.origins.splitlines() if o.strip()]


# What a bot label (Hit.bot, set by tracking.beacon) reads as on the pages.
BOT_LABELS = {
    "crawler": "Crawler", "headless": "Headless browser", "link_scanner": "Link scanner or preview",
    "automation": "Automated browser", "no_user_agent": "No user agent", "unknown_agent": "Unknown user agent",
}


def bot_label(code: str) -> str:
    return BOT_LABELS.get(code, code.replace("_", " ").capitalize())


class Hit(models.Model):
    """One accepted beacon event, never updated but for its stitching (contact, touchpoint) and processing marks.

    `event_id` is the client's idempotency key (unique per site): a replayed event is ignored. No raw IP is kept:
    `ip_hash` is an HMAC of the address with a salt that changes every day and is then destroyed."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="hits", db_index=False)
    event_id = models.CharField(max_length=64)
    visitor_id = models.CharField(max_length=22)
    session_id = models.CharField(max_length=22, blank=True)
    kind = models.CharField(max_length=20, choices=HitKind.choices)
    url = models.CharField(max_length=2000, blank=True)
    path = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=300, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=100, blank=True)  # a custom event's name
    props = models.JSONField(default=dict, blank=True)
    ua_family = models.CharField(max_length=60, blank=True)
    bot = models.CharField(max_length=30, blank=True)  # empty: a human as far as we can tell
    bot_reason = models.CharField(max_length=100, blank=True)
    ip_hash = models.CharField(max_length=32, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    campaign = models.ForeignKey("marketing.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", db_index=False)
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                db_index=False)
    touchpoint_id = models.BigIntegerField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "event_id"], name="hit_event_once")]
        indexes = [
            models.Index(fields=["visitor_id", "occurred_at"], name="hit_visitor_time"),
            models.Index(fields=["id"], condition=models.Q(processed_at__isnull=True), name="hit_pending"),
            models.Index(fields=["contact"], condition=models.Q(contact__isnull=False), name="hit_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.path}"

    @property
    def bot_display(self) -> str:
        return bot_label(self.bot) if self.bot else ""


class Visitor(models.Model):
    """A visitor id that became known: the contact its hits belong to, since when, and how we learned it."""

    visitor_id = models.CharField(max_length=22, primary_key=True)
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=50)
    identified_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.visitor_id


class DailySalt(models.Model):
    """The salt of one UTC day's IP hashes; older salts are deleted, so hashes cannot be linked across days."""

    day = models.DateField(primary_key=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.day)


class ChannelRule(TimeStamped):
    """A channel rule an admin adds: when a visit's UTM source, UTM medium or referrer host is `value`, its channel
    is `channel`. Admin rules are tried before the built-in ones (plumbline/tracking/channels.py), in order."""

    class Field(models.TextChoices):
        UTM_SOURCE = "utm_source", "UTM source is"
        UTM_MEDIUM = "utm_medium", "UTM medium is"
        REFERRER_HOST = "referrer_host", "Referrer is the site (or a subdomain of)"

    field = models.CharField(max_length=20, choices=Field.choices)
    value = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["field", "value"], name="channel_rule_once")]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.value}: {self.get_channel_display()}"
