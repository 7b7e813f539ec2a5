"""Big segments are evaluated in the background; segments with time windows are re-evaluated every hour."""

from __future__ import annotations

import datetime as dt

from django_tasks_db.models import DBTaskResult

from plumbline.segments import actions
from plumbline.segments.actions import do_create_segment, do_request_refresh, do_update_segment
from plumbline.segments.models import Membership
from plumbline.segments.tasks import refresh_segment
from plumbline.worker import schedule
from plumbline.worker.schedule import queue_periodic

REFRESH = "plumbline.segments.tasks.refresh_segment"
MQL = {"field": "lifecycle_stage", "op": "eq", "value": "mql"}


def test_a_segment_over_many_contacts_is_evaluated_by_the_worker(users, people, monkeypatch):
    monkeypatch.setattr(actions, "INLINE_LIMIT", 2)  # three contacts: "many"

    segment = do_create_segment(by=users["marketing"], name="MQLs", predicate=MQL)

    segment.refresh_from_db()
    assert (segment.evaluated_at, segment.member_count, Membership.objects.count()) == (None, 0, 0)
    [task] = DBTaskResult.objects.filter(task_path=REFRESH)
    assert task.args_kwargs["args"] == [segment.pk]
    assert refresh_segment.call(segment.pk) == [1, 0]
    assert refresh_segment.call(segment.pk) == [0, 0]
    segment.refresh_from_db()
    assert segment.member_count == 1 and segment.evaluated_at is not None


def test_a_changed_predicate_of_a_big_segment_and_a_refresh_request_are_queued(users, people, monkeypatch):
    segment = do_create_segment(by=users["marketing"], name="MQLs", predicate=MQL)
    monkeypatch.setattr(actions, "INLINE_LIMIT", 2)

    do_update_segment(by=users["marketing"], segment=segment, predicate={"field": "email", "op": "is_set"})
    assert do_request_refresh(by=users["marketing"], segment=segment) is None

    assert DBTaskResult.objects.filter(task_path=REFRESH).count() == 2
    assert list(Membership.objects.values_list("contact__email", flat=True)) == ["ann@one.test"]


def test_a_deleted_segment_leaves_its_queued_refresh_nothing_to_do(users, people):
    segment = do_create_segment(by=users["marketing"], name="MQLs", predicate=MQL)
    pk = segment.pk
    segment.delete()

    assert refresh_segment.call(pk) == [0, 0]


def test_the_hourly_refresh_is_registered_with_the_scheduler(db, monkeypatch):
    monkeypatch.setattr(schedule, "_last_queued", {})  # whatever an earlier scheduler test queued
    start = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)
    assert "segments.refresh_relative" in queue_periodic(start)
    assert "segments.refresh_relative" not in queue_periodic(start + dt.timedelta(minutes=59))
    assert "segments.refresh_relative" in queue_periodic(start + dt.timedelta(minutes=60))
    assert DBTaskResult.objects.filter(task_path="plumbline.segments.tasks.refresh_relative").count() == 2
