"""Background analytics work; every task is safe to run twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_tasks import task

if TYPE_CHECKING:
    from plumbline.crm.models import DuplicateScan


@task()
def scan_duplicates(threshold: float | None = None) -> int:
    """Find likely duplicate contacts and replace the open suggestions; returns how many were found."""
    from plumbline.analytics.contact_duplicates import scan

    return scan(threshold).found


def scan_now(threshold: float | None = None) -> DuplicateScan:
    """Scan for duplicates in this process (`plumbline contacts duplicates --scan`) and return the stored scan."""
    from plumbline.analytics.contact_duplicates import scan  # loads pandas and Ibis: not at start-up

    return scan(threshold)


def waiting_scan_id() -> str | None:
    """The id of a duplicates scan queued or running now, if any."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=scan_duplicates.module_path,
                                          status__in=["READY", "RUNNING"]).values_list("pk", flat=True).first()
    return None if waiting is None else str(waiting)


def queue_scan() -> tuple[str, bool]:
    """Queue a duplicates scan unless one is waiting or running (a second would only repeat it): the task's id,
    and whether this call queued it."""
    waiting = waiting_scan_id()
    return (waiting, False) if waiting else (str(scan_duplicates.enqueue().id), True)
