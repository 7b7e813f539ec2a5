"""The scheduler queues the feed's prune nightly, and the worker's run of it deletes what the retention allows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from plumbline.events.models import Event
from plumbline.events.retention import prune_events
from plumbline.events.runner import drain
from plumbline.handoff.management.commands import scheduler as scheduler_module
from plumbline.handoff.management.commands.scheduler import Scheduler
from tests.events.conftest import write

PRUNE_PATH = "plumbline.events.retention.prune_events"


@pytest.mark.django_db
def test_the_scheduler_queues_the_prune_once_a_night_at_the_rescore_hour(monkeypatch):
    clock = {"now": dt.datetime(2026, 12, 5, 1, 59, tzinfo=dt.UTC)}
    monkeypatch.setattr(scheduler_module, "timezone", SimpleNamespace(now=lambda: clock["now"]))
    scheduler = Scheduler(sla_interval=60, rescore_hour=2, sleep=lambda _s: None)
    scheduler.tick()
    assert not DBTaskResult.objects.filter(task_path=PRUNE_PATH).exists()  # not yet the hour
    clock["now"] = dt.datetime(2026, 12, 5, 2, 0, 30, tzinfo=dt.UTC)
    scheduler.tick()
    clock["now"] = dt.datetime(2026, 12, 5, 2, 40, tzinfo=dt.UTC)
    scheduler.tick()
    assert DBTaskResult.objects.filter(task_path=PRUNE_PATH).count() == 1
    clock["now"] = dt.datetime(2026, 12, 6, 2, 1, tzinfo=dt.UTC)
    scheduler.tick()
    assert DBTaskResult.objects.filter(task_path=PRUNE_PATH).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_s_prune_deletes_old_events_every_consumer_has_passed(seen, settings):
    for n in range(1, 4):
        write(subject_id=n)
    drain()
    Event.objects.filter(subject_id__in=[1, 2]).update(recorded_at=timezone.now() - dt.timedelta(days=31))
    settings.EVENTS_RETENTION_DAYS = 30
    DBTaskResult.objects.all().delete()  # the pumps the writes queued have nothing left to do
    prune_events.enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    done = DBTaskResult.objects.get(task_path=PRUNE_PATH)
    assert (done.status, done.return_value) == ("SUCCESSFUL", 2)
    assert list(Event.objects.values_list("subject_id", flat=True)) == [3]
