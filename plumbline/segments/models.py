"""Segments: named sets of contacts. A dynamic segment is a predicate (plumbline.segments.predicate) kept current
through the change feed; a static list is kept by hand, import or API; a snapshot freezes a segment's members at
one moment. `Membership` holds who is in a segment now; `MembershipChange` is the history of who entered and left,
and why; `SegmentDailyCount` the member count per day for the trend."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plumbline.core.models import TimeStamped


class Kind(models.TextChoices):
    DYNAMIC = "dynamic", "Dynamic"
    STATIC = "static", "Static list"
    SNAPSHOT = "snapshot", "Snapshot"


class Segment(TimeStamped):
    """A named set of contacts. `predicate` is the predicate's JSON form (with its `version`): the rule of a
    dynamic segment, the rule a snapshot was taken with (kept for the record, never re-evaluated), None for a
    static list. `predicate_version` counts edits of the rule. `member_count` is kept by whoever changes
    memberships, in the same transaction; `evaluated_at` is the end of the last full evaluation."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(max_length=2000, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DYNAMIC)
    predicate = models.JSONField(null=True, blank=True)
    predicate_version = models.PositiveIntegerField(default=1)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    source = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="snapshots",
                               help_text="The segment a snapshot was taken of.")
    snapshot_at = models.DateTimeField(null=True, blank=True)
    member_count = models.PositiveIntegerField(default=0)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A contact in a segment now. `since` is when it entered."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="segment_memberships")
    since = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "contact"], name="segment_membership_unique")]
        indexes = [models.Index(fields=["contact", "segment"], name="segment_membership_contact")]


class Reason(models.TextChoices):
    MATCHED = "matched", "Matched the conditions"
    UNMATCHED = "unmatched", "Stopped matching the conditions"
    ADDED = "added", "Added by hand"
    REMOVED = "removed", "Removed by hand"
    IMPORTED = "imported", "Imported"
    SNAPSHOT = "snapshot", "In the segment when the snapshot was taken"
    MERGED = "merged", "Contact merged"


class MembershipChange(models.Model):
    """One entry into or exit from a segment: the contact's membership history."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="changes")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="segment_changes")
    entered = models.BooleanField(help_text="True for an entry, False for an exit.")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    occurred_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["segment", "occurred_at"], name="segment_change_segment"),
            models.Index(fields=["contact", "occurred_at"], name="segment_change_contact"),
        ]


class SegmentDailyCount(models.Model):
    """A segment's member count at the end of a day (the last count written that day): the trend."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="daily_counts")
    day = models.DateField()
    members = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "day"], name="segment_daily_count_unique")]
