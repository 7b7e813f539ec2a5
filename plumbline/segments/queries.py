"""Reads of segments: a predicate's preview (count and a sample, writing nothing), a segment's members, a contact's
segments and membership history, and a segment's member count per day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from plumbline.crm.models import Contact
from plumbline.crm.queries import search_contacts
from plumbline.segments.models import Membership, MembershipChange, Segment, SegmentDailyCount
from plumbline.segments.predicate.compile import compile_predicate
from plumbline.segments.predicate.schema import custom_specs, parse


@dataclass
class Preview:
    """How many contacts a predicate selects now, and a few of them: the newest contacts first (created_at, then
    id, descending), so a builder sees the people who just arrived."""

    count: int
    sample: list[Contact] = field(default_factory=list)


def preview(predicate: dict[str, Any], *, now: dt.datetime | None = None, sample: int = 20) -> Preview:
    """Evaluate a predicate's JSON over all contacts without saving anything. Raises schema.PredicateInvalid
    (a 422 naming each error's JSON path) when the predicate is not valid."""
    custom = custom_specs()
    parsed = parse(predicate, custom=custom)
    qs = Contact.objects.filter(compile_predicate(parsed, now or timezone.now(), custom=custom))
    count = qs.count()
    rows = (
        list(qs.select_related("company", "owner").order_by("-created_at", "-pk")[:sample]) if count else []
    )
    return Preview(count=count, sample=rows)


def segments() -> QuerySet[Segment]:
    """All segments by name, with the owner and the source of a snapshot."""
    return Segment.objects.select_related("owner", "source").order_by("name")


def members(segment: Segment, *, search: str | None = None) -> QuerySet[Contact]:
    """The segment's contacts now, the latest to enter first (then id), each annotated with `member_since`;
    `search` is crm's contact search (name, email, company prefix)."""
    qs = (
        Contact.objects.filter(segment_memberships__segment=segment)
        .annotate(member_since=F("segment_memberships__since"))
        .select_related("company", "owner")
    )
    if search:
        qs = search_contacts(qs, search)
    return qs.order_by("-member_since", "-pk")


def member_ids(segment: Segment) -> QuerySet:
    """The ids of the segment's contacts (a values_list, for subqueries and exports)."""
    return Membership.objects.filter(segment=segment).values_list("contact_id", flat=True)


def segments_of_contact(contact: Contact) -> list[Membership]:
    """The segments the contact is in now, by segment name."""
    return list(
        Membership.objects.filter(contact=contact).select_related("segment").order_by("segment__name")
    )


def history_of_contact(contact: Contact, limit: int = 50) -> list[MembershipChange]:
    """The contact's entries into and exits from segments, newest first."""
    return list(
        MembershipChange.objects.filter(contact=contact)
        .select_related("segment", "by")
        .order_by("-occurred_at", "-pk")[:limit]
    )


def history_of_segment(segment: Segment, limit: int = 50) -> list[MembershipChange]:
    """Who entered and left the segment lately, newest first."""
    return list(
        MembershipChange.objects.filter(segment=segment)
        .select_related("contact", "by")
        .order_by("-occurred_at", "-pk")[:limit]
    )


def trend(segment: Segment, *, days: int = 30, today: dt.date | None = None) -> list[tuple[dt.date, int]]:
    """The member count at the end of each of the last `days` days (today included), oldest first. A day without
    a count of its own carries the last count before it (counts are written when membership changes); a day
    before any count is 0."""
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    counts = dict(
        SegmentDailyCount.objects.filter(segment=segment, day__range=(first, today)).values_list(
            "day", "members"
        )
    )
    before = (
        SegmentDailyCount.objects.filter(segment=segment, day__lt=first)
        .order_by("-day")
        .values_list("members", flat=True)
        .first()
    )
    current = before or 0
    out = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        current = counts.get(day, current)
        out.append((day, current))
    return out
