"""What segments add to the CRM below it (crm.hooks): a merge step, and its part of the privacy export.

A merge moves every row that belongs to the merged contact to the survivor, Membership and MembershipChange
included. Membership allows one row per segment and contact, so the merge step first drops the merged contact's
memberships of segments the survivor is in already (the segment's count drops by one: two contacts became one),
and writes the survivor's entry (reason "Contact merged") into the segments only the merged contact was in. The
`contact.merged` event then re-evaluates the survivor for every dynamic segment (the feed consumer). Undoing a
merge moves the moved rows back; dynamic segments settle again from `contact.unmerged`, a static list keeps the
survivor only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F

from plumbline.crm.hooks import register_exporter, register_merge_step
from plumbline.segments.models import Membership, MembershipChange, Reason, Segment


def merge_memberships(survivor: Any, other: Any, by: Any, at: dt.datetime) -> None:
    ours = set(Membership.objects.filter(contact=survivor).values_list("segment_id", flat=True))
    theirs = set(Membership.objects.filter(contact=other).values_list("segment_id", flat=True))
    both = sorted(ours & theirs)
    if both:
        Membership.objects.filter(contact=other, segment_id__in=both).delete()
        Segment.objects.filter(pk__in=both, member_count__gt=0).update(member_count=F("member_count") - 1)
    MembershipChange.objects.bulk_create(
        [
            MembershipChange(
                segment_id=pk,
                contact=survivor,
                entered=True,
                reason=Reason.MERGED,
                occurred_at=at,
                by_id=getattr(by, "pk", by),
            )
            for pk in sorted(theirs - ours)
        ]
    )


def export_contact(contact: Any) -> dict:
    """The segments the contact is in and its membership history, for the privacy export."""
    return {
        "memberships": [
            {"segment": m.segment.name, "kind": m.segment.get_kind_display(), "since": m.since.isoformat()}
            for m in Membership.objects.filter(contact=contact)
            .select_related("segment")
            .order_by("segment__name")
        ],
        "history": [
            {
                "segment": c.segment.name,
                "entered": c.entered,
                "reason": c.get_reason_display(),
                "occurred_at": c.occurred_at.isoformat(),
            }
            for c in MembershipChange.objects.filter(contact=contact)
            .select_related("segment")
            .order_by("occurred_at", "pk")
        ],
    }


def register() -> None:
    register_merge_step("segments", merge_memberships)
    register_exporter("segments", export_contact)
