"""Qualification frameworks and deal answers, objections, and the messaging library."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plumbline.core.models import TimeStamped


class Framework(TimeStamped):
    """An editable qualification framework (BANT, MEDDIC ... or home-made).

    `criteria` is a list of {"key", "label", "question", "guide": [str], "answer_type", "weight"}; answers on a
    deal are stored under the criterion's key, so renaming a label keeps the answers.
    """

    name = models.CharField(max_length=100, unique=True)
    template = models.CharField(max_length=20, blank=True, help_text="The shipped template it was copied from.")
    description = models.TextField(blank=True, max_length=2000)
    criteria = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.name


class PipelineFramework(models.Model):
    """The one framework a pipeline's deals are qualified with."""

    pipeline = models.OneToOneField("crm.Pipeline", on_delete=models.CASCADE, related_name="qualification_framework")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="pipeline_links")
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    chosen_at = models.DateTimeField()


class AnswerStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    PARTIAL = "partial", "Partial"
    CONFIRMED = "confirmed", "Confirmed"


class DealQualification(models.Model):
    """A deal's answer to one criterion: what the rep learnt and how sure it is."""

    deal = models.ForeignKey("crm.Deal", on_delete=models.CASCADE, related_name="qualification_answers")
    criterion = models.CharField(max_length=50)
    value = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=AnswerStatus.choices, default=AnswerStatus.UNKNOWN)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "criterion"], name="dealqualification_unique")]


class ObjectionCategory(models.TextChoices):
    PRICE = "price", "Price"
    TIMING = "timing", "Timing"
    AUTHORITY = "authority", "Authority"
    NEED = "need", "Need"
    COMPETITOR = "competitor", "Competitor"
    TRUST = "trust", "Trust"
    FEATURE_GAP = "feature_gap", "Feature gap"
    CONTRACT = "contract", "Contract"
    OTHER = "other", "Other"


class Objection(TimeStamped):
    """An objection a buyer raised, in their words, on a deal and/or contact.

    The stage, campaign, channel and segment are captured when it is logged, so the report shows where the
    objection came up then, not where the record is now.
    """

    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        LOST_DEAL = "lost_deal", "Lost the deal"

    deal = models.ForeignKey("crm.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="objections")
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="objections")
    category = models.CharField(max_length=20, choices=ObjectionCategory.choices)
    verbatim = models.TextField(max_length=2000)
    deal_stage = models.CharField(max_length=100, blank=True)
    lifecycle_stage = models.CharField(max_length=20, blank=True)
    campaign = models.ForeignKey("marketing.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="objections")
    channel = models.CharField(max_length=20, blank=True)
    segment = models.CharField(max_length=100, blank=True, help_text="The company's industry at the time.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    outcome_note = models.CharField(max_length=500, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="objections")
    occurred_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(deal__isnull=False) | models.Q(contact__isnull=False),
                                   name="objection_has_deal_or_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.verbatim[:60]}"

    @property
    def owner_id(self) -> int | None:
        """Whoever logged it owns it (for the "own" permission level)."""
        return self.logged_by_id

    @property
    def stage(self) -> str:
        return self.deal_stage or self.lifecycle_stage


class FunnelStage(models.TextChoices):
    AWARENESS = "awareness", "Awareness"
    CONSIDERATION = "consideration", "Consideration"
    DECISION = "decision", "Decision"
    RETENTION = "retention", "Retention"


class MessagingItem(TimeStamped):
    """One piece of the messaging library: a value proposition, a persona, an objection response or an asset.

    `persona` points at an item of kind persona (empty: for every persona); `funnel_stage` empty: any stage;
    `objection_category` is set on objection responses only.
    """

    class Kind(models.TextChoices):
        VALUE_PROPOSITION = "value_proposition", "Value proposition"
        PERSONA = "persona", "Persona"
        OBJECTION_RESPONSE = "objection_response", "Objection response"
        CONTENT_ASSET = "content_asset", "Content asset"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=10000)
    url = models.URLField(max_length=500, blank=True)
    funnel_stage = models.CharField(max_length=15, choices=FunnelStage.choices, blank=True)
    persona = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    objection_category = models.CharField(max_length=20, choices=ObjectionCategory.choices, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="messaging_items")

    class Meta:
        indexes = [models.Index(fields=["kind", "objection_category"], name="messaging_kind_category")]

    def __str__(self) -> str:
        return self.title
