"""`plumbline worker`: django-tasks-db's `db_worker`, made to last.

- A passing database error (SQLite locked past its busy timeout, a lost PostgreSQL connection) no longer ends the
  process: the worker drops its connections, waits with capped exponential backoff and carries on. A task it had
  claimed but could not record goes back to the queue; a task that itself failed on such an error runs again
  after a delay (up to `leases.MAX_ATTEMPTS` attempts).
- A heartbeat thread renews this worker's lease and, at start and every few heartbeats, puts back to READY the
  RUNNING tasks of workers whose lease lapsed (killed mid-task), so they run again (`plumbline.worker.leases`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import threading
import time
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker, valid_interval
from django_tasks_db.models import DBTaskResult

from plumbline.core.backoff import TRANSIENT_DB_ERRORS, Backoff, drop_connections
from plumbline.worker.leases import (
    MAX_ATTEMPTS,
    do_end_lease,
    do_reclaim_stale_tasks,
    do_release_tasks,
    do_renew_lease,
    do_retry_later,
)

logger = logging.getLogger("plumbline.worker")

TRANSIENT_PATHS = {f"{cls.__module__}.{cls.__qualname__}" for cls in TRANSIENT_DB_ERRORS}
HEALTHY_AFTER = 60.0  # seconds without a database error after which the backoff starts again from the shortest


class LeasedWorker(Worker):
    """db_worker's loop inside a retry loop, with a lease kept by a heartbeat thread."""

    def __init__(
        self, *, lease: float, heartbeat: float, sleep: Callable[[float], None] = time.sleep, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.lease, self.heartbeat = dt.timedelta(seconds=lease), heartbeat
        self.sleep = sleep
        self.unrecorded: list[str] = []  # claimed, then the database went away before the outcome was written
        self._stop = threading.Event()

    def run(self) -> None:
        beat = None
        if self.heartbeat:
            self._with_retry(self.beat, reclaim=True)  # the lease exists before the first claim
            beat = threading.Thread(target=self._heartbeat_loop, name="worker-heartbeat", daemon=True)
            beat.start()
        try:
            self._with_retry(super().run)
        finally:
            self._stop.set()
            if beat is not None:
                beat.join(timeout=self.heartbeat + 5)
                self._best_effort(lambda: do_end_lease(worker_id=self.worker_id))

    def _with_retry(self, step: Callable[..., None], **kwargs: Any) -> None:
        backoff, last_error = Backoff(), 0.0
        while self.running:
            try:
                if self.unrecorded:
                    do_release_tasks(task_ids=self.unrecorded)
                    self.unrecorded = []
                step(**kwargs)
                return
            except TRANSIENT_DB_ERRORS as exc:
                if time.monotonic() - last_error > HEALTHY_AFTER:
                    backoff.reset()
                last_error = time.monotonic()
                delay = backoff.next_delay()
                logger.warning("worker: database error (%s: %s); retrying in %.1f s", type(exc).__name__, exc, delay)
                drop_connections()
                self.startup_delay = False
                self.sleep(delay)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except TRANSIENT_DB_ERRORS:
            self.unrecorded.append(str(db_task_result.pk))
            raise
        attempts = len(db_task_result.worker_ids)
        if (
            db_task_result.status == TaskResultStatus.FAILED
            and db_task_result.exception_class_path in TRANSIENT_PATHS
            and attempts < MAX_ATTEMPTS
        ):
            delay = dt.timedelta(seconds=min(60, 2**attempts))
            if do_retry_later(task_id=str(db_task_result.pk), delay=delay):
                logger.warning(
                    "task %s failed on a database error (attempt %d of %d); runs again in %d s",
                    db_task_result.pk, attempts, MAX_ATTEMPTS, delay.total_seconds(),
                )

    def beat(self, *, reclaim: bool = False) -> None:
        do_renew_lease(worker_id=self.worker_id)
        if reclaim:
            for task_id in do_reclaim_stale_tasks(lease=self.lease):
                logger.info("worker %s queued task %s again: its worker had stopped", self.worker_id, task_id)

    def _heartbeat_loop(self) -> None:
        """Renew the lease every `heartbeat` seconds and look for lapsed ones every fourth beat; a database error
        here only delays the next beat (the lease is several beats long)."""
        beats = 0
        while not self._stop.wait(self.heartbeat):
            beats += 1
            self._best_effort(functools.partial(self.beat, reclaim=beats % 4 == 0))
        drop_connections()

    def _best_effort(self, step: Callable[[], None]) -> None:
        try:
            step()
        except TRANSIENT_DB_ERRORS as exc:
            logger.warning("worker heartbeat: database error (%s: %s)", type(exc).__name__, exc)
            drop_connections()


class Command(DbWorkerCommand):
    help = "Run the background task worker (django-tasks-db's db_worker, with retries and leases)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--lease", type=valid_interval, default=60.0,
            help="Seconds without a heartbeat after which this worker's running task may be run by another (default: 60).",
        )
        parser.add_argument(
            "--heartbeat", type=valid_interval, default=10.0,
            help="Seconds between lease renewals; 0 turns leases and reclaiming off (default: 10).",
        )

    def handle(self, *, verbosity: int, **o: Any) -> None:  # type: ignore[override]
        self.configure_logging(verbosity)
        if o["heartbeat"] and o["heartbeat"] * 3 > o["lease"]:
            raise CommandError("--heartbeat must be at most a third of --lease, so one late beat does not lose the lease.")
        queue_names = o["queue_name"].split(",")
        if o["exclude_queues"] and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(
            lease=o["lease"], heartbeat=o["heartbeat"], queue_names=queue_names, interval=o["interval"],
            batch=o["batch"], backend_name=o["backend_name"], startup_delay=o["startup_delay"],
            max_tasks=o["max_tasks"], worker_id=o["worker_id"],
            excluded_queue_names=o["exclude_queues"].split(",") if o["exclude_queues"] else [],
        )
        if o["reload"] and not o["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
