"""Leases and the reclaiming of tasks that lost their worker.

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again, so a worker killed
mid-task leaves it RUNNING for ever. Each of our workers renews a lease (`WorkerLease`) from a heartbeat thread;
a RUNNING task whose worker's lease has lapsed, and which started longer than a lease ago, goes back to READY and
runs again (every task of ours is safe to run twice). A task that has already cost `MAX_ATTEMPTS` workers fails
instead, so a task that kills its worker each time (out of memory, say) cannot loop for ever."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plumbline.worker.models import WorkerLease

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FORGET_AFTER = 10  # leases lapsed for this many lease lengths are deleted: that worker is long gone


class WorkerLost(Exception):
    """Recorded as the failure of a task whose workers kept dying under it."""


def do_renew_lease(*, worker_id: str, now: dt.datetime | None = None) -> None:
    """Say this worker is alive: one UPDATE, or one INSERT the first time."""
    now = now or timezone.now()
    if WorkerLease.objects.filter(pk=worker_id).update(renewed_at=now) == 0:
        WorkerLease.objects.create(
            worker_id=worker_id, host=socket.gethostname()[:255], pid=os.getpid(), started_at=now, renewed_at=now,
        )


def do_end_lease(*, worker_id: str) -> None:
    """A worker stopping cleanly gives its lease up (any task it was running was already finished or failed)."""
    WorkerLease.objects.filter(pk=worker_id).delete()


def do_reclaim_stale_tasks(*, lease: dt.timedelta, now: dt.datetime | None = None) -> list[str]:
    """Put RUNNING tasks that lost their worker back to READY (or fail them after MAX_ATTEMPTS workers); returns
    their ids. Each row is changed by one UPDATE guarded by its status and start time, so a task another worker
    has just reclaimed and claimed again is left alone."""
    now = now or timezone.now()
    cutoff = now - lease
    alive = set(WorkerLease.objects.filter(renewed_at__gte=cutoff).values_list("worker_id", flat=True))
    reclaimed = []
    for row in DBTaskResult.objects.running().filter(started_at__lt=cutoff).only("id", "started_at", "worker_ids"):
        if row.worker_ids and row.worker_ids[-1] in alive:
            continue
        if _release(row, now=now):
            reclaimed.append(str(row.pk))
    WorkerLease.objects.filter(renewed_at__lt=now - lease * FORGET_AFTER).delete()
    return reclaimed


def _release(row: DBTaskResult, *, now: dt.datetime) -> bool:
    same = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at)
    attempts = len(row.worker_ids)
    if attempts >= MAX_ATTEMPTS:
        message = f"{WorkerLost.__name__}: its worker stopped while running it, {attempts} times; not retried.\n"
        if same.update(
            status=TaskResultStatus.FAILED, finished_at=now, return_value=None,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}", traceback=message,
        ):
            logger.error("task %s failed: its worker stopped under it %d times", row.pk, attempts)
            return True
        return False
    if same.update(status=TaskResultStatus.READY):
        logger.warning("task %s lost its worker (attempt %d of %d); queued again", row.pk, attempts, MAX_ATTEMPTS)
        return True
    return False


def do_release_tasks(*, task_ids: list[str]) -> int:
    """Put tasks this worker claimed but could not finish (the database went away under it) back to READY."""
    return DBTaskResult.objects.filter(pk__in=task_ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY
    )


def do_retry_later(*, task_id: str, delay: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """A task that failed on a passing database error runs again after `delay` (up to MAX_ATTEMPTS in all)."""
    now = now or timezone.now()
    return bool(
        DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=now + delay, finished_at=None, exception_class_path="",
            traceback="",
        )
    )
