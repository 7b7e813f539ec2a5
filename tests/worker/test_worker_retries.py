"""The worker's loop survives passing database errors instead of exiting (item 1 of issue 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from plumbline.worker.management.commands.worker import LeasedWorker
from tests.worker.tasks import locked_once, wait_for_file


def batch_worker(delays: list[float]) -> LeasedWorker:
    """A worker that runs what is ready and exits; its backoff waits are recorded instead of slept."""
    return LeasedWorker(
        lease=60, heartbeat=0, sleep=delays.append, queue_names=["default"], interval=0, batch=True,
        backend_name="default", startup_delay=False, max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )


# db_worker closes connections between tasks as Django does between requests, which a test transaction cannot survive
@pytest.mark.django_db(transaction=True)
def test_worker_waits_and_carries_on_after_a_lost_connection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Given a queued task, and a database that fails the worker's next two claims as if the server went away
    (tmp_path / "release").touch()
    task_id = wait_for_file.enqueue(str(tmp_path / "started"), str(tmp_path / "release")).id
    real_get_locked = DBTaskResultQuerySet.get_locked
    failures = iter([OperationalError("server closed the connection unexpectedly")] * 2)

    def flaky_get_locked(self: DBTaskResultQuerySet) -> DBTaskResult | None:
        if (error := next(failures, None)) is not None:
            raise error
        return real_get_locked(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", flaky_get_locked)
    delays: list[float] = []

    # When the worker runs
    batch_worker(delays).run()

    # Then it waited with growing delays and then ran the task
    assert delays == [0.5, 1.0]
    assert DBTaskResult.objects.get(pk=task_id).status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_task_failing_on_a_locked_database_runs_again_later(tmp_path: Path) -> None:
    # Given a task that meets "database is locked" the first time it runs
    marker = tmp_path / "tried"
    task_id = locked_once.enqueue(str(marker)).id
    before = timezone.now()

    # When a worker runs it
    batch_worker([]).run()

    # Then it is queued again for a little later, not failed for good
    task = DBTaskResult.objects.get(pk=task_id)
    assert (task.status, task.exception_class_path, len(task.worker_ids)) == ("READY", "", 1)
    assert task.run_after >= before + dt.timedelta(seconds=2)

    # And when that time comes, the next run completes it
    DBTaskResult.objects.filter(pk=task_id).update(run_after=timezone.now())
    batch_worker([]).run()
    task.refresh_from_db()
    assert (task.status, task.return_value, len(task.worker_ids)) == ("SUCCESSFUL", "done", 2)
