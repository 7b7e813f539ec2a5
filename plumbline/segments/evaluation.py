"""Set-based evaluation of segments and the one way memberships are written.

Every change of membership goes through `write_changes`: in one short transaction per chunk it locks the segment
row, keeps only the changes still true of the rows as they are then (idempotent: a contact already in is not
entered twice), inserts or deletes Membership rows, writes their MembershipChange history and their
`segment.entered` / `segment.left` events, and moves `member_count` and today's SegmentDailyCount with them.

A dynamic segment is evaluated against candidates: `reconcile` re-evaluates the predicate for the candidate
contacts inside each chunk's transaction, so what is written is what holds at that moment, whoever computed the
candidates earlier (the feed consumer: the contacts an event batch touched; a full refresh: the difference between
the predicate's result and the current members, read outside any transaction so that SQLite's write lock is held
only for the short writes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plumbline.crm.models import Contact
from plumbline.events.actions import EventSpec, emit_many
from plumbline.segments.models import Kind, Membership, MembershipChange, Reason, Segment, SegmentDailyCount
from plumbline.segments.predicate.compile import compile_predicate
from plumbline.segments.predicate.schema import FieldSpec, custom_specs
from plumbline.segments.references import compiled

CHUNK = 2000  # contacts per write transaction: a few hundred milliseconds of SQLite's write lock at most


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _locked(segment: Segment) -> Segment | None:
    return Segment.objects.select_for_update().filter(pk=segment.pk).first()


def _record_count(segment: Segment, now: dt.datetime) -> None:
    SegmentDailyCount.objects.update_or_create(
        segment=segment, day=timezone.localdate(now), defaults={"members": segment.member_count}
    )


def _apply(
    segment: Segment,
    enter: list[int],
    leave: list[int],
    *,
    reason_in: str,
    reason_out: str,
    by: Any,
    now: dt.datetime,
) -> tuple[int, int]:
    """Inside the chunk's transaction, with the segment locked: the writes of entries and exits known to hold."""
    by_id = getattr(by, "pk", by)
    if leave:
        Membership.objects.filter(segment=segment, contact_id__in=leave).delete()
    if enter:
        Membership.objects.bulk_create(
            [Membership(segment=segment, contact_id=pk, since=now) for pk in enter]
        )
    changes = [
        MembershipChange(
            segment=segment, contact_id=pk, entered=True, reason=reason_in, occurred_at=now, by_id=by_id
        )
        for pk in enter
    ]
    changes += [
        MembershipChange(
            segment=segment, contact_id=pk, entered=False, reason=reason_out, occurred_at=now, by_id=by_id
        )
        for pk in leave
    ]
    MembershipChange.objects.bulk_create(changes)
    segment.member_count = max(0, segment.member_count + len(enter) - len(leave))
    Segment.objects.filter(pk=segment.pk).update(
        member_count=segment.member_count
    )  # not an edit: updated_at stays
    _record_count(segment, now)
    emit_many(
        [
            EventSpec(
                kind="segment.entered" if c.entered else "segment.left",
                subject_type="contact",
                subject_id=c.contact_id,
                payload={"segment": segment.pk},
                occurred_at=now,
                actor_id=by_id,
            )
            for c in changes
        ]
    )
    return len(enter), len(leave)


def write_changes(
    segment: Segment,
    *,
    enter: Iterable[int] = (),
    leave: Iterable[int] = (),
    reason_in: str,
    reason_out: str,
    by: Any = None,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Enter and remove contacts by hand (static lists, snapshots, imports): those already in (or out) are skipped,
    and ids of contacts that no longer exist are ignored. Returns (entered, left)."""
    now = now or timezone.now()
    entered = left = 0
    for ids, entering in ((sorted(set(enter)), True), (sorted(set(leave)), False)):
        for chunk in _chunks(ids):
            with transaction.atomic():
                locked = _locked(segment)
                if locked is None:
                    return entered, left
                members = set(
                    Membership.objects.filter(segment=locked, contact_id__in=chunk).values_list(
                        "contact_id", flat=True
                    )
                )
                if entering:
                    existing = set(Contact.objects.filter(pk__in=chunk).values_list("pk", flat=True))
                    e, _ = _apply(
                        locked,
                        sorted(existing - members),
                        [],
                        reason_in=reason_in,
                        reason_out=reason_out,
                        by=by,
                        now=now,
                    )
                    entered += e
                else:
                    _, lft = _apply(
                        locked,
                        [],
                        sorted(members),
                        reason_in=reason_in,
                        reason_out=reason_out,
                        by=by,
                        now=now,
                    )
                    left += lft
                segment.member_count = locked.member_count
    return entered, left


def reconcile(
    segment: Segment,
    candidates: Iterable[int],
    *,
    now: dt.datetime | None = None,
    custom: dict[str, FieldSpec] | None = None,
) -> tuple[int, int]:
    """Make a dynamic segment's membership of the candidate contacts what its predicate says now: those that match
    and are out enter, those in that do not match (or no longer exist) leave. Returns (entered, left)."""
    now = now or timezone.now()
    custom = custom if custom is not None else custom_specs()
    entered = left = 0
    for chunk in _chunks(sorted(set(candidates))):
        with transaction.atomic():
            locked = _locked(segment)
            if locked is None or locked.kind != Kind.DYNAMIC or locked.predicate is None:
                return entered, left
            q = compile_predicate(compiled(locked, custom).predicate, now, custom=custom, contacts=chunk)
            matched = set(Contact.objects.filter(pk__in=chunk).filter(q).values_list("pk", flat=True))
            members = set(
                Membership.objects.filter(segment=locked, contact_id__in=chunk).values_list(
                    "contact_id", flat=True
                )
            )
            if matched == members:
                continue
            e, lft = _apply(
                locked,
                sorted(matched - members),
                sorted(members - matched),
                reason_in=Reason.MATCHED,
                reason_out=Reason.UNMATCHED,
                by=None,
                now=now,
            )
            entered, left = entered + e, left + lft
            segment.member_count = locked.member_count
    return entered, left


def difference(segment: Segment, q: Q) -> tuple[list[int], list[int]]:
    """Who would enter (matches, not in) and who would leave (in, does not match): two set-based reads."""
    members = Membership.objects.filter(segment=segment).values("contact_id")
    entering = list(Contact.objects.filter(q).exclude(pk__in=members).values_list("pk", flat=True))
    leaving = list(
        Membership.objects.filter(segment=segment)
        .exclude(contact_id__in=Contact.objects.filter(q).values("pk"))
        .values_list("contact_id", flat=True)
    )
    return entering, leaving


def refresh(segment: Segment, *, now: dt.datetime | None = None) -> tuple[int, int]:
    """A full evaluation of a dynamic segment (see the module's docstring); sets `evaluated_at` and the exact
    member count. Static lists and snapshots are not evaluated: (0, 0)."""
    if segment.kind != Kind.DYNAMIC or segment.predicate is None:
        return 0, 0
    now = now or timezone.now()
    custom = custom_specs()
    q = compile_predicate(compiled(segment, custom).predicate, now, custom=custom)
    entering, leaving = difference(segment, q)
    entered, left = reconcile(segment, [*entering, *leaving], now=now, custom=custom)
    with transaction.atomic():
        locked = _locked(segment)
        if locked is not None:
            locked.member_count = Membership.objects.filter(segment=locked).count()
            locked.evaluated_at = now
            Segment.objects.filter(pk=locked.pk).update(member_count=locked.member_count, evaluated_at=now)
            _record_count(locked, now)
            segment.member_count, segment.evaluated_at = locked.member_count, now
    return entered, left
