"""Coalescing queued tasks that do the same work for lists of ids.

A touchpoint batch of ten rows queues one rescore task for its ten contacts; under load thousands of such tasks
queue up for a few hundred distinct contacts, and a worker running them one by one rescores each contact many
times over. A running task can instead take over the tasks of its kind still waiting in the queue and do their
ids with its own, once. That is safe because a waiting task row is visible only after the transaction that
queued it (and wrote the data it is about) has committed, so the work done after taking it over sees that data.

Taken-over rows are marked RUNNING under the taking worker's id, so if that worker dies before finishing, the
lease reclaimer (`leases.do_reclaim_stale_tasks`) puts them back in the queue like any task it was running.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult


@dataclass
class Absorbed:
    """Queued tasks a running task took over: their row ids and the ids they asked to be worked on."""

    task_ids: list[str] = field(default_factory=list)
    item_ids: set[int] = field(default_factory=set)


def do_absorb_queued(
    *, task_path: str, rest_args: list, own_task_id: str, worker_id: str, max_items: int, scan: int = 200
) -> Absorbed:
    """Take over waiting tasks of `task_path` whose arguments after the first (a list of ids) equal `rest_args`,
    until `max_items` ids are gathered. Each row is claimed by an UPDATE guarded by its status, so a row another
    worker claimed meanwhile is left to it."""
    absorbed = Absorbed()
    now = timezone.now()
    with transaction.atomic():
        candidates = (
            DBTaskResult.objects.ready().filter(task_path=task_path).exclude(pk=own_task_id)
            .select_for_update(skip_locked=True).order_by("enqueued_at").only("id", "args_kwargs", "worker_ids")[:scan]
        )
        for row in candidates:
            args = row.args_kwargs.get("args") or []
            if not args or list(args[1:]) != list(rest_args) or row.args_kwargs.get("kwargs"):
                continue
            ids = [int(i) for i in args[0]]
            if absorbed.item_ids and len(absorbed.item_ids | set(ids)) > max_items:
                break
            claimed = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.READY).update(
                status=TaskResultStatus.RUNNING, started_at=now, worker_ids=[*row.worker_ids, worker_id],
            )
            if claimed:
                absorbed.task_ids.append(str(row.pk))
                absorbed.item_ids.update(ids)
    return absorbed


def do_finish_absorbed(*, absorbed: Absorbed, by_task_id: str, succeeded: bool) -> None:
    """Close the taken-over rows with the outcome of the task that did their work: done, or back in the queue."""
    if not absorbed.task_ids:
        return
    rows = DBTaskResult.objects.filter(pk__in=absorbed.task_ids, status=TaskResultStatus.RUNNING)
    if succeeded:
        rows.update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now(),
                    return_value={"done_by_task": by_task_id})
    else:
        rows.update(status=TaskResultStatus.READY)
