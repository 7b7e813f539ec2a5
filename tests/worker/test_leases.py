"""Which RUNNING tasks are taken back: those whose worker's lease lapsed, never those of a living worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from plumbline.worker.leases import MAX_ATTEMPTS, do_reclaim_stale_tasks, do_renew_lease
from plumbline.worker.models import WorkerLease
from tests.worker.tasks import wait_for_file

LEASE = dt.timedelta(seconds=60)
T0 = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


def running_task(*, worker_ids: list[str], started_at: dt.datetime) -> DBTaskResult:
    task_id = wait_for_file.enqueue("/nonexistent/started", "/nonexistent/release").id
    DBTaskResult.objects.filter(pk=task_id).update(status="RUNNING", worker_ids=worker_ids, started_at=started_at)
    return DBTaskResult.objects.get(pk=task_id)


@pytest.mark.django_db
def test_task_of_a_worker_whose_lease_lapsed_is_ready_again() -> None:
    # Given a task started by worker "dead", whose last heartbeat is older than a lease
    do_renew_lease(worker_id="dead", now=T0)
    task = running_task(worker_ids=["dead"], started_at=T0)

    # When another worker looks for stale tasks a lease and a second later
    reclaimed = do_reclaim_stale_tasks(lease=LEASE, now=T0 + LEASE + dt.timedelta(seconds=1))

    # Then the task is READY again, with its history of workers kept
    task.refresh_from_db()
    assert reclaimed == [str(task.pk)]
    assert (task.status, task.worker_ids) == ("READY", ["dead"])


@pytest.mark.django_db
def test_task_of_a_living_worker_is_left_alone() -> None:
    # Given a task started long ago by a worker that renewed its lease just now
    task = running_task(worker_ids=["alive"], started_at=T0)
    do_renew_lease(worker_id="alive", now=T0 + dt.timedelta(hours=2))

    # When stale tasks are looked for
    reclaimed = do_reclaim_stale_tasks(lease=LEASE, now=T0 + dt.timedelta(hours=2, seconds=5))

    # Then the long task keeps running where it is
    task.refresh_from_db()
    assert (reclaimed, task.status) == ([], "RUNNING")


@pytest.mark.django_db
def test_task_started_within_a_lease_is_left_alone_even_without_a_lease_row() -> None:
    # Given a task claimed a moment ago by a worker whose first heartbeat is not written yet
    task = running_task(worker_ids=["new"], started_at=T0)

    # When stale tasks are looked for within the lease
    reclaimed = do_reclaim_stale_tasks(lease=LEASE, now=T0 + dt.timedelta(seconds=30))

    # Then it is not taken
    task.refresh_from_db()
    assert (reclaimed, task.status) == ([], "RUNNING")


@pytest.mark.django_db
def test_task_that_lost_its_worker_too_often_fails_with_the_reason() -> None:
    # Given a task that has already been claimed by MAX_ATTEMPTS workers, all dead
    task = running_task(worker_ids=[f"w{n}" for n in range(MAX_ATTEMPTS)], started_at=T0)

    # When stale tasks are looked for
    do_reclaim_stale_tasks(lease=LEASE, now=T0 + dt.timedelta(hours=1))

    # Then it fails, saying why, instead of running a sixth time
    task.refresh_from_db()
    assert task.status == "FAILED"
    assert task.exception_class_path == "plumbline.worker.leases.WorkerLost"
    assert f"{MAX_ATTEMPTS} times" in task.traceback


@pytest.mark.django_db
def test_leases_lapsed_long_ago_are_forgotten() -> None:
    # Given a worker that stopped renewing ten leases ago and one that renewed now
    do_renew_lease(worker_id="gone", now=T0)
    do_renew_lease(worker_id="here", now=T0 + LEASE * 11)

    # When stale tasks are looked for
    do_reclaim_stale_tasks(lease=LEASE, now=T0 + LEASE * 11)

    # Then only the living worker's lease is kept
    assert list(WorkerLease.objects.values_list("worker_id", flat=True)) == ["here"]
