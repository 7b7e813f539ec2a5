"""Background handoff work; every task is safe to run twice. New MQLs are routed from the change feed
(handoff.consumers); rescoring is scoring's (scoring.consumers, scoring.tasks)."""

from __future__ import annotations

from django_tasks import task

from plumbline.handoff.actions import do_check_all_slas
from plumbline.handoff.backlog import do_route_waiting


@task()
def check_slas() -> int:
    """Advance the SLA clocks, then hand waiting MQLs to reps who have freed capacity."""
    checked = do_check_all_slas()
    do_route_waiting()
    return checked
