"""The worker's side of the feed: the pump task runs every consumer until they have caught up.

`emit` queues the pump in the writer's transaction unless one is already waiting, so any worker
(`plumbline worker`, or django-tasks-db's `db_worker --batch` in tests) runs the feed soon after a commit. A pump
that runs out of time, or leaves a failed consumer waiting for its retry, queues the next one itself."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plumbline.events import registry
from plumbline.events.models import ConsumerCursor
from plumbline.events.runner import head, run_all

PUMP_BUDGET = 10.0  # seconds of feed work per task, so other tasks get their turn


@task()
def pump() -> int:
    handled, behind = run_all(budget=PUMP_BUDGET)
    if behind:
        if not pump_is_queued():
            pump.enqueue()
        return handled
    _queue_retry_of_failed()
    return handled


def pump_is_queued() -> bool:
    return DBTaskResult.objects.filter(task_path=PUMP_PATH, status=TaskResultStatus.READY).exists()


def _queue_retry_of_failed() -> None:
    """A consumer whose batch failed waits for `retry_at`: make sure a pump runs then."""
    names = [c.name for c in registry.consumers()]
    waiting = (
        ConsumerCursor.objects.filter(name__in=names, retry_at__gt=timezone.now(), position__lt=head())
        .order_by("retry_at").values_list("retry_at", flat=True).first()
    )
    if waiting is not None and not pump_is_queued():
        pump.using(run_after=waiting).enqueue()


PUMP_PATH = f"{__name__}.pump"
