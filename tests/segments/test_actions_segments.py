"""Creating, changing, deleting and refreshing segments through the actions."""

from __future__ import annotations

import pytest

from plumbline.core.errors import Conflict, DomainError, PermissionDenied
from plumbline.crm.actions import do_create_contact
from plumbline.crm.actions.contacts import do_change_lifecycle
from plumbline.events.models import Event
from plumbline.segments.actions import (
    do_create_segment,
    do_delete_segment,
    do_refresh_segment,
    do_update_segment,
)
from plumbline.segments.models import Membership, MembershipChange, SegmentDailyCount
from plumbline.segments.predicate.schema import PredicateInvalid

MQL = {"field": "lifecycle_stage", "op": "eq", "value": "mql"}
LEAD = {"field": "lifecycle_stage", "op": "eq", "value": "lead"}


def _emails(segment) -> list[str]:
    return sorted(Membership.objects.filter(segment=segment).values_list("contact__email", flat=True))


def test_a_new_dynamic_segment_is_evaluated_with_history_events_and_counts(users, people):
    segment = do_create_segment(by=users["marketing"], name="MQLs", kind="dynamic", predicate=MQL)

    segment.refresh_from_db()
    assert _emails(segment) == ["ann@one.test"]
    assert segment.member_count == 1 and segment.evaluated_at is not None
    assert segment.predicate == {"version": 1, **MQL} and segment.owner == users["marketing"]
    assert list(MembershipChange.objects.values_list("contact__email", "entered", "reason")) == [
        ("ann@one.test", True, "matched")
    ]
    assert list(Event.objects.filter(kind="segment.entered").values_list("subject_id", "payload")) == [
        (people["ann"].pk, {"segment": segment.pk})
    ]
    assert list(SegmentDailyCount.objects.values_list("members", flat=True)) == [1]


def test_a_bad_predicate_is_refused_with_its_path_and_nothing_is_written(users, people):
    with pytest.raises(PredicateInvalid) as exc:
        do_create_segment(
            by=users["marketing"],
            name="Bad",
            kind="dynamic",
            predicate={"any": [MQL, {"field": "lifecycle_stage", "op": "gt", "value": "x"}]},
        )

    assert exc.value.status == 422
    assert [e.field for e in exc.value.errors] == ["$.any[1].op"]
    assert Membership.objects.count() == 0


def test_a_dynamic_segment_needs_a_predicate_and_a_static_list_has_none(users, people):
    with pytest.raises(PredicateInvalid):
        do_create_segment(by=users["marketing"], name="Empty", kind="dynamic")
    with pytest.raises(DomainError) as exc:
        do_create_segment(by=users["marketing"], name="List", kind="static", predicate=MQL)
    assert exc.value.field == "predicate"
    with pytest.raises(DomainError) as exc:
        do_create_segment(by=users["marketing"], name="Snap", kind="snapshot")
    assert exc.value.field == "kind"


def test_names_are_unique(users, people):
    do_create_segment(by=users["marketing"], name="MQLs", kind="dynamic", predicate=MQL)

    with pytest.raises(Conflict) as exc:
        do_create_segment(by=users["marketing"], name=" MQLs ", kind="static")
    assert exc.value.field == "name"


def test_sales_may_not_create_segments(users, people):
    with pytest.raises(PermissionDenied):
        do_create_segment(by=users["rep1"], name="Mine", kind="static")


def test_a_changed_predicate_bumps_the_version_and_moves_members(users, people):
    segment = do_create_segment(by=users["marketing"], name="S", kind="dynamic", predicate=MQL)

    do_update_segment(by=users["marketing"], segment=segment, predicate=LEAD)

    segment.refresh_from_db()
    assert segment.predicate_version == 2
    assert _emails(segment) == ["bob@two.test"]
    assert list(MembershipChange.objects.order_by("pk").values_list("contact__email", "entered")) == [
        ("ann@one.test", True),
        ("bob@two.test", True),
        ("ann@one.test", False),
    ]


def test_the_same_predicate_again_changes_nothing(users, people):
    segment = do_create_segment(by=users["marketing"], name="S", kind="dynamic", predicate=MQL)

    do_update_segment(by=users["marketing"], segment=segment, predicate={"version": 1, **MQL}, name="S2")

    segment.refresh_from_db()
    assert (segment.name, segment.predicate_version) == ("S2", 1)


def test_a_static_list_has_no_predicate_to_change(users, people):
    segment = do_create_segment(by=users["marketing"], name="L", kind="static")

    with pytest.raises(DomainError) as exc:
        do_update_segment(by=users["marketing"], segment=segment, predicate=MQL)
    assert exc.value.field == "kind"


def test_refresh_brings_a_segment_up_to_date_and_is_idempotent(users, people):
    segment = do_create_segment(by=users["marketing"], name="Leads", kind="dynamic", predicate=LEAD)
    carl = do_create_contact(email="carl@x.test", lifecycle_stage="lead")
    do_change_lifecycle(contact=people["bob"], to_stage="sql")

    assert do_refresh_segment(segment=segment) == (1, 1)
    assert do_refresh_segment(segment=segment) == (0, 0)

    segment.refresh_from_db()
    assert _emails(segment) == [carl.email]
    assert segment.member_count == 1


def test_a_static_list_is_not_refreshed(users, people):
    segment = do_create_segment(by=users["marketing"], name="L", kind="static")

    with pytest.raises(DomainError):
        do_refresh_segment(segment=segment)


def test_delete_removes_the_segment_with_its_members(users, people):
    segment = do_create_segment(by=users["marketing"], name="MQLs", kind="dynamic", predicate=MQL)

    do_delete_segment(by=users["marketing"], segment=segment)

    assert Membership.objects.count() == 0 and MembershipChange.objects.count() == 0


def test_viewers_may_not_delete(users, people):
    segment = do_create_segment(by=users["marketing"], name="MQLs", kind="dynamic", predicate=MQL)

    with pytest.raises(PermissionDenied):
        do_delete_segment(by=users["viewer"], segment=segment)


def test_a_cycle_between_segments_is_refused_at_its_path(users, people):
    a = do_create_segment(by=users["marketing"], name="A", predicate=MQL)
    b = do_create_segment(by=users["marketing"], name="B", predicate={"segment": a.pk, "op": "member"})

    with pytest.raises(PredicateInvalid) as exc:
        do_update_segment(
            by=users["marketing"], segment=a, predicate={"any": [MQL, {"segment": b.pk, "op": "member"}]}
        )

    assert [(e.field, e.code) for e in exc.value.errors] == [("$.any[1].segment", "cycle")]
    a.refresh_from_db()
    assert a.predicate_version == 1


def test_a_segment_another_reads_cannot_be_deleted(users, people):
    a = do_create_segment(by=users["marketing"], name="A", predicate=MQL)
    do_create_segment(by=users["marketing"], name="Reads A", predicate={"segment": a.pk, "op": "not_member"})

    with pytest.raises(Conflict, match="Reads A refers to this segment"):
        do_delete_segment(by=users["marketing"], segment=a)
