"""Scores per contact, their history, why each score is what it is, and the versioned predictive model."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ContactScore(models.Model):
    """The current fit and engagement scores of one contact, with the definitions version that produced them."""

    contact = models.OneToOneField("crm.Contact", on_delete=models.CASCADE, primary_key=True, related_name="score")
    fit_score = models.IntegerField(default=0)
    # Not indexed: a full rescore rewrites these columns on every contact each night, and without an index on
    # them PostgreSQL updates the row in place (a HOT update) instead of touching every index.
    fit_grade = models.CharField(max_length=1, default="D")
    engagement_score = models.FloatField(default=0)
    engagement_floor_at = models.DateTimeField(
        null=True, blank=True, help_text="Touchpoints before this moment no longer count (set by recycling)."
    )
    # What lets a nightly rescore decay a score without reading its touchpoints again: every counted event decays
    # by the same factor, so the decayed points at `decay_basis_at` times 0.5^(elapsed / half-life) are the decayed
    # points now, as long as no event is newer than the basis (or than now) and the definitions are the same.
    decay_basis_at = models.DateTimeField(null=True, blank=True, help_text="When engagement_decaying was computed.")
    engagement_decaying = models.FloatField(
        null=True, blank=True, help_text="Decayed event points at decay_basis_at, unrounded, constants excluded."
    )
    last_event_at = models.DateTimeField(null=True, blank=True, help_text="The latest event that counted.")
    rule_kinds = models.CharField(
        max_length=400, blank=True, default="",
        help_text="The hand-raiser kinds named by the MQL rule that this contact has, as ',kind,kind,'.",
    )
    definition_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField()
    explanation = models.JSONField(default=dict)
    predictive_probability = models.FloatField(
        null=True, blank=True, help_text="Chance of becoming a customer from the active predictive model."
    )
    model_version = models.PositiveIntegerField(null=True, blank=True, help_text="The model that gave the probability.")

    def __str__(self) -> str:
        return f"{self.fit_grade}/{self.engagement_score:.0f}"


class ScoreHistory(models.Model):
    """A score as it was: appended whenever fit, grade or (rounded) engagement changes. Append-only."""

    # A nightly rescore appends hundreds of thousands of rows, so each costs as little as it can: no index of its
    # own ((contact, computed_at) below serves every lookup by contact) and no database-level foreign key, whose
    # check locks the contact row of every appended score (FOR KEY SHARE). Django still deletes a contact's history
    # with the contact (on_delete), and rows are only ever appended by the scoring actions for existing contacts.
    contact = models.ForeignKey(
        "crm.Contact", on_delete=models.CASCADE, related_name="score_history", db_index=False, db_constraint=False
    )
    fit_score = models.IntegerField()
    fit_grade = models.CharField(max_length=1)
    engagement_score = models.FloatField()
    definition_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField()
    reason = models.CharField(max_length=100)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["contact", "computed_at"], name="scorehistory_contact_time")]


class RescoreRun(models.Model):
    """One full rescore (`plumbline score --all`, the nightly task): what it did and the newest touchpoint and
    activity it had seen, so the next run recomputes from their events only the contacts with anything newer and
    decays the rest in place."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    definition_version = models.PositiveIntegerField()
    full = models.BooleanField(help_text="Every contact recomputed from its events (first run, new definitions).")
    scored = models.PositiveIntegerField()
    recomputed = models.PositiveIntegerField(help_text="Contacts recomputed from their events.")
    changed = models.PositiveIntegerField(help_text="Scores that changed enough to enter the history.")
    touchpoint_mark = models.BigIntegerField(help_text="The highest touchpoint id this run had seen.")
    activity_mark = models.BigIntegerField(help_text="The highest activity id this run had seen.")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"rescore {self.started_at:%Y-%m-%d %H:%M} ({self.recomputed}/{self.scored} recomputed)"


class PredictiveModel(models.Model):
    """One trained version of the predictive model: the stored artifact and its cross-validated figures.

    `cut_at` is the time cut of its training rows: features come from before it, the label (became a customer)
    from between it and `trained_until`. Exactly one version is active: the one scoring uses.
    """

    number = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cut_at = models.DateTimeField()
    trained_until = models.DateTimeField()
    rows = models.PositiveIntegerField()
    positives = models.PositiveIntegerField()
    positive_rate = models.FloatField()
    kind = models.CharField(max_length=20, help_text="lightgbm or logistic, chosen by inner cross-validation.")
    artifact = models.BinaryField()
    metrics = models.JSONField(default=dict, help_text="Cross-validated figures of the model and naive Bayes.")
    metadata = models.JSONField(default=dict, help_text="Features, column handling and library versions.")
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="predictivemodel_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"model v{self.number}"


class TrainingRun(models.Model):
    """One request to train the predictive model from the model page or the API, carried out by the worker.

    queued -> running -> done (with the version it stored) or failed (with the reason). At most one run is
    queued or running at a time (`trainingrun_one_in_progress`), so two requests never train twice; the worker
    claims a run with one UPDATE from queued to running. The command line trains in place, without a run.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    IN_PROGRESS = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cut = models.DateField(null=True, blank=True, help_text="Time cut asked for; empty: horizon_days before the run.")
    horizon_days = models.PositiveIntegerField(null=True, blank=True)
    folds = models.PositiveSmallIntegerField(default=5)
    seed = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, default="auto")
    model = models.ForeignKey(
        PredictiveModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The version a done run stored.",
    )
    error = models.TextField(blank=True, help_text="Why a failed run failed.")
    error_field = models.CharField(max_length=30, blank=True, help_text="The option the failure is about, if any.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # NULL for finished runs (NULLs never clash), 1 for the run in progress: at most one such row.
            models.UniqueConstraint(
                models.Case(models.When(status__in=["queued", "running"], then=models.Value(1))),
                name="trainingrun_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"training run {self.pk} ({self.status})"
