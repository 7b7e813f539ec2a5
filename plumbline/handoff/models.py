"""Routing rules, lead assignments with their SLA clocks, and sales' verdicts."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Territory(models.Model):
    """A routing rule: leads whose company matches go to `rep`, or round robin among `team`'s reps."""

    name = models.CharField(max_length=100, unique=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower numbers are tried first.")
    countries = models.JSONField(default=list, blank=True, help_text="ISO codes; empty matches any.")
    industries = models.JSONField(default=list, blank=True, help_text="Empty matches any.")
    min_employees = models.PositiveIntegerField(null=True, blank=True)
    max_employees = models.PositiveIntegerField(null=True, blank=True)
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class RoundRobinState(models.Model):
    """Who in a team was assigned last, so the next lead goes to the next rep."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, primary_key=True)
    last_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")


class Assignment(models.Model):
    """One handoff of an MQL to a rep, with the SLA clock and the rep's verdict."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the rep"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        REASSIGNED = "reassigned", "Reassigned"

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="assignments")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    method = models.CharField(max_length=20)  # company_owner | territory | round_robin | manual | reassigned
    reason = models.CharField(max_length=300)
    definition_version = models.PositiveIntegerField()
    assigned_at = models.DateTimeField(db_index=True)
    sla_due_at = models.DateTimeField()
    escalate_at = models.DateTimeField()
    first_touch_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reject_reason = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    campaign = models.ForeignKey(
        "marketing.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments",
        help_text="The campaign of the last touchpoint before the MQL, for lead-quality reports.",
    )
    channel = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=models.Q(status="open"), name="one_open_assignment_per_contact"
            )
        ]
        indexes = [models.Index(fields=["rep", "status"], name="assignment_rep_status")]

    def __str__(self) -> str:
        return f"{self.contact} → {self.rep}"


class WaitingLead(models.Model):
    """An MQL that routing could not give to any rep, and why, from the last attempt. Only meaningful while the
    contact is still an MQL without an open assignment and `since` is not older than its becoming an MQL (an older
    row is from an earlier time it waited); the backlog reads it that way and replaces it on the next attempt."""

    class Reason(models.TextChoices):
        CAPACITY = "capacity", "Every rep who could take it is at capacity"
        NO_TERRITORY = "no_territory", "No company owner, territory or sales team covers it"
        NO_SELLER = "no_seller", "No seller is active and in the office"

    contact = models.OneToOneField("crm.Contact", on_delete=models.CASCADE, primary_key=True, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    since = models.DateTimeField(help_text="The first routing attempt that found nobody for it.")
    checked_at = models.DateTimeField(help_text="The last routing attempt.")

    class Meta:
        indexes = [models.Index(fields=["reason"], name="waitinglead_reason")]

    def __str__(self) -> str:
        return f"{self.contact_id} waits: {self.reason}"
