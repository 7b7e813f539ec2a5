"""Dynamic segments follow the change feed: entries and exits through the real actions and the pump."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from plumbline.crm.actions import do_create_contact, do_merge_contacts
from plumbline.crm.actions.contacts import do_change_lifecycle
from plumbline.events.actions import do_replay
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.runner import FeedEvent, drain
from plumbline.marketing.actions import do_delete_touchpoint, do_record_touchpoints
from plumbline.marketing.models import Touchpoint
from plumbline.segments.actions import do_add_to_list, do_create_segment, do_remove_from_list
from plumbline.segments.consumers import _interested, _key, membership
from plumbline.segments.models import Membership, MembershipChange
from plumbline.segments.references import compiled
from plumbline.segments.tasks import refresh_relative

HAND_RAISERS = {"touchpoints": {"kind": "demo_request"}, "op": "gte", "value": 1, "within_days": 30}


def _members(segment) -> list[str]:
    return sorted(Membership.objects.filter(segment=segment).values_list("contact__email", flat=True))


@pytest.fixture
def hand_raisers(users):
    segment = do_create_segment(
        by=users["marketing"], name="Hand-raisers", kind="dynamic", predicate=HAND_RAISERS
    )
    drain()
    return segment


def _demo_request(contact, *, days_ago: float = 0) -> None:
    do_record_touchpoints(
        items=[
            {
                "contact_id": contact.pk,
                "kind": "demo_request",
                "channel": "direct",
                "occurred_at": timezone.now() - dt.timedelta(days=days_ago),
            }
        ]
    )


def test_a_touchpoint_enters_the_contact_through_the_feed(users, hand_raisers):
    dana = do_create_contact(email="dana@x.test")
    _demo_request(dana)

    assert _members(hand_raisers) == []
    drain()

    hand_raisers.refresh_from_db()
    assert _members(hand_raisers) == ["dana@x.test"] and hand_raisers.member_count == 1
    assert list(MembershipChange.objects.values_list("contact__email", "entered", "reason")) == [
        ("dana@x.test", True, "matched")
    ]
    assert list(Event.objects.filter(kind="segment.entered").values_list("subject_id", "payload")) == [
        (dana.pk, {"segment": hand_raisers.pk})
    ]


def test_a_deleted_touchpoint_takes_the_contact_out(users, hand_raisers):
    dana = do_create_contact(email="dana@x.test")
    _demo_request(dana)
    drain()

    do_delete_touchpoint(touchpoint=Touchpoint.objects.get(contact=dana))
    drain()

    hand_raisers.refresh_from_db()
    assert _members(hand_raisers) == [] and hand_raisers.member_count == 0
    assert list(MembershipChange.objects.order_by("pk").values_list("entered", "reason")) == [
        (True, "matched"),
        (False, "unmatched"),
    ]
    assert Event.objects.filter(kind="segment.left", subject_id=dana.pk).count() == 1


def test_a_replayed_batch_changes_nothing(users, hand_raisers):
    dana = do_create_contact(email="dana@x.test")
    _demo_request(dana)
    drain()
    events = Event.objects.count()

    do_replay(name="segments.membership", from_event=Event.objects.order_by("pk").first().pk)
    drain()

    assert (
        ConsumerCursor.objects.get(name="segments.membership").position == Event.objects.order_by("-pk")[0].pk
    )
    assert Event.objects.count() == events
    assert MembershipChange.objects.count() == 1 and Membership.objects.count() == 1


def test_a_lifecycle_change_enters_the_contact_and_leaves_other_segments_alone(users, hand_raisers):
    mqls = do_create_segment(
        by=users["marketing"],
        name="MQLs",
        kind="dynamic",
        predicate={"field": "lifecycle_stage", "op": "eq", "value": "mql"},
    )
    erin = do_create_contact(email="erin@x.test", lifecycle_stage="lead")
    drain()

    do_change_lifecycle(contact=erin, to_stage="mql")
    drain()

    assert _members(mqls) == ["erin@x.test"] and _members(hand_raisers) == []


def test_time_windows_move_with_the_hourly_refresh(users, hand_raisers):
    dana = do_create_contact(email="dana@x.test")
    _demo_request(dana, days_ago=29.99)
    drain()
    assert _members(hand_raisers) == ["dana@x.test"]

    Touchpoint.objects.filter(contact=dana).update(occurred_at=timezone.now() - dt.timedelta(days=31))
    assert refresh_relative.call() == 1

    assert _members(hand_raisers) == []


def test_a_merged_contact_keeps_one_membership(users, people):
    booth = do_create_segment(by=users["marketing"], name="Booth", kind="static")
    ann, bob = people["ann"], people["bob"]
    do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[ann.pk, bob.pk])
    other = do_create_segment(by=users["marketing"], name="Only Bob", kind="static")
    do_add_to_list(by=users["marketing"], segment=other, contact_ids=[bob.pk])

    do_merge_contacts(survivor=ann, other=bob)
    drain()

    booth.refresh_from_db()
    other.refresh_from_db()
    assert _members(booth) == ["ann@one.test"] and booth.member_count == 1
    assert _members(other) == ["ann@one.test"] and other.member_count == 1
    assert MembershipChange.objects.filter(segment=other, contact=ann, reason="merged").count() == 1


def test_the_consumer_does_nothing_without_dynamic_segments(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        membership([])


def test_a_segment_reading_a_list_follows_its_entries_and_exits(users, people):
    booth = do_create_segment(by=users["marketing"], name="Booth", kind="static")
    leads_at_booth = do_create_segment(
        by=users["marketing"],
        name="Leads at the booth",
        predicate={
            "all": [
                {"segment": booth.pk, "op": "member"},
                {"field": "lifecycle_stage", "op": "eq", "value": "lead"},
            ]
        },
    )
    drain()

    do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[people["ann"].pk, people["bob"].pk])
    drain()
    assert _members(leads_at_booth) == ["bob@two.test"]

    do_remove_from_list(by=users["marketing"], segment=booth, contact_ids=[people["bob"].pk])
    drain()
    assert _members(leads_at_booth) == []
    assert list(
        MembershipChange.objects.filter(segment=leads_at_booth).values_list("entered", flat=True)
    ) == [True, False]


def test_a_chain_of_segments_settles_in_one_pass_in_dependency_order(users, people):
    mqls = do_create_segment(
        by=users["marketing"], name="MQLs", predicate={"field": "lifecycle_stage", "op": "eq", "value": "sql"}
    )
    not_mqls = do_create_segment(
        by=users["marketing"], name="Others", predicate={"segment": mqls.pk, "op": "not_member"}
    )
    drain()
    assert _members(not_mqls) == ["ann@one.test", "bob@two.test", "cat@three.test"]

    do_change_lifecycle(contact=people["bob"], to_stage="sql")
    drain()

    assert _members(mqls) == ["bob@two.test"]
    assert _members(not_mqls) == ["ann@one.test", "cat@three.test"]
    assert MembershipChange.objects.filter(segment=not_mqls, entered=False).count() == 1


def _event(kind: str, payload: dict) -> FeedEvent:
    return FeedEvent(1, kind, "contact", 1, payload, timezone.now(), timezone.now(), None)


def test_a_touchpoint_only_wakes_the_segments_that_count_its_kind_channel_and_campaign(users, hand_raisers):
    by_channel = do_create_segment(by=users["marketing"], name="Paid page views", kind="dynamic", predicate={
        "touchpoints": {"kind": "page_view", "channel": "paid_search"}, "op": "gte", "value": 2})
    page_view = _event("touchpoint.recorded", {"kind": "page_view", "channel": "seo", "contact_id": 1})
    paid_view = _event("touchpoint.recorded", {"kind": "page_view", "channel": "paid_search", "contact_id": 1})
    demo = _event("touchpoint.recorded", {"kind": "demo_request", "channel": "direct", "contact_id": 1})
    old_shape = _event("touchpoint.recorded", {"contact_id": 1})  # no kind in the payload: every reader wakes

    woken = {name: [_interested(compiled(s), _key(e)) for e in (page_view, paid_view, demo, old_shape)]
             for name, s in (("hand-raisers", hand_raisers), ("paid", by_channel))}

    assert woken == {"hand-raisers": [False, False, True, True], "paid": [False, True, False, True]}


def test_a_score_change_wakes_a_fit_segment_only_when_fit_or_grade_moved(users):
    fit = do_create_segment(by=users["marketing"], name="Grade A", kind="dynamic",
                            predicate={"field": "score.fit_grade", "op": "eq", "value": "A"})
    engaged = do_create_segment(by=users["marketing"], name="Engaged", kind="dynamic",
                                predicate={"field": "score.engagement", "op": "gte", "value": 50})
    engagement_only = _event("score.changed", {"fit": [40, 40], "grade": ["B", "B"], "engagement": [3, 4]})
    regraded = _event("score.changed", {"fit": [40, 65], "grade": ["B", "A"], "engagement": [3, 3]})

    assert [_interested(compiled(fit), _key(e)) for e in (engagement_only, regraded)] == [False, True]
    assert [_interested(compiled(engaged), _key(e)) for e in (engagement_only, regraded)] == [True, True]
