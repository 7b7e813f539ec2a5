"""Background processing of hits: `process_hits` runs batches until none is pending or its time is up, then queues
the next run itself if hits are still waiting. The collect path queues it (`kick`) at most once a second per
process; a run finds nothing to do when another got there first, so extra runs are harmless."""

from __future__ import annotations

import time

from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plumbline.tracking.actions import do_process_hits

BUDGET = 10.0  # seconds a run works, so other tasks get their turn
_last_kick = 0.0


@task()
def process_hits() -> int:
    done, end = 0, time.monotonic() + BUDGET
    while time.monotonic() < end:
        n = do_process_hits()
        done += n
        if n == 0:
            return done
    if not _queued():
        process_hits.enqueue()
    return done


def _queued() -> bool:
    return DBTaskResult.objects.filter(task_path=PATH, status=TaskResultStatus.READY).exists()


def kick() -> None:
    """Queue a processing run unless one is waiting; at most once a second per process."""
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < 1.0:
        return
    _last_kick = now
    if not _queued():
        process_hits.enqueue()


PATH = f"{__name__}.process_hits"
