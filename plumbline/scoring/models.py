"""Scores per contact, their history, and why each score is what it is."""

from __future__ import annotations

from django.db import models


class ContactScore(models.Model):
    """The current fit and engagement scores of one contact, with the definitions version that produced them."""

    contact = models.OneToOneField("crm.Contact", on_delete=models.CASCADE, primary_key=True, related_name="score")
    fit_score = models.IntegerField(default=0)
    fit_grade = models.CharField(max_length=1, default="D", db_index=True)
    engagement_score = models.FloatField(default=0, db_index=True)
    engagement_floor_at = models.DateTimeField(
        null=True, blank=True, help_text="Touchpoints before this moment no longer count (set by recycling)."
    )
    definition_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField()
    explanation = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.fit_grade}/{self.engagement_score:.0f}"


class ScoreHistory(models.Model):
    """A score as it was: appended whenever fit, grade or (rounded) engagement changes. Append-only."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="score_history")
    fit_score = models.IntegerField()
    fit_grade = models.CharField(max_length=1)
    engagement_score = models.FloatField()
    definition_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField()
    reason = models.CharField(max_length=100)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["contact", "computed_at"], name="scorehistory_contact_time")]
