"""The reads: a predicate's preview writes nothing and names bad paths; members, a contact's segments, the trend."""

from __future__ import annotations

import datetime as dt

import pytest

from plumbline.segments import queries
from plumbline.segments.models import Membership, MembershipChange, Segment, SegmentDailyCount
from plumbline.segments.predicate.schema import PredicateInvalid
from tests.segments.conftest import NOW


def test_preview_counts_and_samples_newest_first_without_writing(people):
    result = queries.preview({"field": "lifecycle_stage", "op": "in", "value": ["mql", "customer"]}, now=NOW)

    assert result.count == 2
    assert [c.email for c in result.sample] == ["cat@three.test", "ann@one.test"]
    assert Segment.objects.count() == 0 and Membership.objects.count() == 0


def test_preview_sample_is_capped(people):
    result = queries.preview({"field": "email", "op": "contains", "value": "."}, now=NOW, sample=1)

    assert result.count == 3
    assert [c.email for c in result.sample] == ["cat@three.test"]


def test_preview_of_a_bad_predicate_names_the_path(people):
    with pytest.raises(PredicateInvalid) as exc:
        queries.preview({"all": [{"field": "lifecycle_stage", "op": "gt", "value": "mql"}]})

    assert [e.field for e in exc.value.errors] == ["$.all[0].op"]


def test_trend_carries_the_last_count_forward(db):
    segment = Segment.objects.create(name="S", kind="static")
    SegmentDailyCount.objects.create(segment=segment, day=dt.date(2026, 5, 1), members=4)
    SegmentDailyCount.objects.create(segment=segment, day=dt.date(2026, 5, 30), members=7)

    assert queries.trend(segment, days=3, today=dt.date(2026, 5, 31)) == [
        (dt.date(2026, 5, 29), 4),
        (dt.date(2026, 5, 30), 7),
        (dt.date(2026, 5, 31), 7),
    ]


def test_members_and_segments_of_a_contact(people):
    ann, bob = people["ann"], people["bob"]
    segment = Segment.objects.create(name="Hand", kind="static")
    Membership.objects.create(segment=segment, contact=ann, since=NOW - dt.timedelta(days=1))
    Membership.objects.create(segment=segment, contact=bob, since=NOW)
    MembershipChange.objects.create(
        segment=segment, contact=ann, entered=True, reason="added", occurred_at=NOW
    )

    assert [c.email for c in queries.members(segment)] == ["bob@two.test", "ann@one.test"]
    assert [c.email for c in queries.members(segment, search="ann")] == ["ann@one.test"]
    assert [m.segment.name for m in queries.segments_of_contact(ann)] == ["Hand"]
    assert [(h.segment.name, h.entered) for h in queries.history_of_contact(ann)] == [("Hand", True)]
