"""Collect queues the processing task (once, however many batches arrive), and the task processes every hit."""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from plumbline.tracking import tasks
from plumbline.tracking.models import Hit
from tests.tracking.helpers import batch, event, post


def test_collect_queues_one_processing_run_which_processes_every_hit(site):
    tasks._last_kick = 0.0
    post(batch(site.key, [event(), event()]))
    tasks._last_kick = 0.0  # a second later: the run queued above is still waiting, so none is added
    post(batch(site.key, [event()]))
    assert DBTaskResult.objects.filter(task_path=tasks.PATH).count() == 1
    assert tasks.process_hits.call() == 3
    assert Hit.objects.filter(processed_at__isnull=True).count() == 0
