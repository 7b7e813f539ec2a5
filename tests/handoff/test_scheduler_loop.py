"""The scheduler survives passing database errors instead of exiting (item 1 of issue 10)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db.utils import OperationalError
from django_tasks_db.models import DBTaskResult

from plumbline.handoff import tasks as handoff_tasks
from plumbline.handoff.management.commands import scheduler as scheduler_module
from plumbline.handoff.management.commands.scheduler import Scheduler


@pytest.mark.django_db(transaction=True)  # the scheduler drops its connection after an error, as it must
def test_scheduler_retries_with_backoff_when_the_database_is_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a database whose write lock stays taken for the scheduler's first three attempts to queue the SLA check
    real_enqueue = handoff_tasks.check_slas.enqueue
    attempts = []

    def locked_then_free() -> object:
        attempts.append(1)
        if len(attempts) <= 3:
            raise OperationalError("database is locked")
        return real_enqueue()

    monkeypatch.setattr(scheduler_module, "check_slas", SimpleNamespace(enqueue=locked_then_free))
    waits: list[float] = []
    scheduler = Scheduler(sla_interval=60, rescore_hour=99, sleep=waits.append)

    def sleep_and_stop_after_a_normal_tick(seconds: float) -> None:
        waits.append(seconds)
        scheduler.stopping = len(attempts) > 3

    scheduler.sleep = sleep_and_stop_after_a_normal_tick

    # When it runs
    scheduler.run()

    # Then it waited 0.5, 1 and 2 s, then queued the check once and went back to its one-second tick
    assert waits == [0.5, 1.0, 2.0, 1]
    assert DBTaskResult.objects.filter(task_path="plumbline.handoff.tasks.check_slas").count() == 1


@pytest.mark.django_db
def test_scheduler_lets_a_programming_error_through(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a bug rather than a passing database error
    def broken() -> None:
        raise TypeError("a bug")

    monkeypatch.setattr(scheduler_module, "check_slas", SimpleNamespace(enqueue=broken))
    scheduler = Scheduler(sla_interval=60, rescore_hour=99, sleep=lambda _s: None)

    # When it runs, then the bug ends it (the supervisor logs it and starts it again)
    with pytest.raises(TypeError):
        scheduler.run()
