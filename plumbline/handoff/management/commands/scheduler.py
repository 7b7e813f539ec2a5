"""`plumbline scheduler`: queue periodic work (SLA checks every minute; nightly, a rescore for decay and what
the apps registered in plumbline.worker.schedule, such as the scan for duplicate contacts; and the apps' other
periodic work registered there, such as segments' hourly re-evaluation of time windows)."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from plumbline.core.backoff import TRANSIENT_DB_ERRORS, Backoff, drop_connections
from plumbline.handoff.tasks import check_slas
from plumbline.scoring.tasks import rescore_all
from plumbline.worker.schedule import queue_nightly, queue_periodic

logger = logging.getLogger(__name__)


class Scheduler:
    """Queues what is due at each tick. A passing database error (SQLite busy past its timeout, a lost PostgreSQL
    connection) waits and retries with backoff instead of ending the process: what was due stays due."""

    def __init__(
        self, *, sla_interval: int, rescore_hour: int, sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sla_interval, self.rescore_hour = sla_interval, rescore_hour
        self.sleep, self.clock = sleep or self._sleep, clock
        self.last_rescore: dt.date | None = None
        self.next_sla = 0.0
        self.stopping = False

    def _sleep(self, seconds: float) -> None:
        """Sleep in short steps, so SIGTERM stops the scheduler within half a second even during a long backoff."""
        end = time.monotonic() + seconds
        while not self.stopping and (left := end - time.monotonic()) > 0:
            time.sleep(min(0.5, left))

    def tick(self) -> None:
        now = timezone.now()
        if self.clock() >= self.next_sla:
            check_slas.enqueue()
            self.next_sla = self.clock() + self.sla_interval
        queue_periodic(now)
        if now.hour == self.rescore_hour and self.last_rescore != now.date():
            rescore_all.enqueue()
            queue_nightly()
            self.last_rescore = now.date()

    def run(self) -> None:
        backoff = Backoff()
        while not self.stopping:
            try:
                self.tick()
            except TRANSIENT_DB_ERRORS as exc:
                delay = backoff.next_delay()
                logger.warning("scheduler: database error (%s: %s); retrying in %.1f s", type(exc).__name__, exc, delay)
                drop_connections()
                self.sleep(delay)
                continue
            backoff.reset()
            self.sleep(1)


class Command(BaseCommand):
    help = "Queue periodic tasks for the worker until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sla-interval", type=int, default=60, help="Seconds between SLA checks.")
        parser.add_argument("--rescore-hour", type=int, default=2, help="UTC hour of the nightly rescore and duplicates scan.")
        parser.add_argument("--once", action="store_true", help="Queue each periodic task once and exit.")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["once"]:
            check_slas.enqueue()
            rescore_all.enqueue()
            queued = ["check_slas", "rescore_all", *queue_nightly()]
            self.stdout.write(f"Queued {', '.join(queued[:-1])} and {queued[-1]}.")
            return
        scheduler = Scheduler(sla_interval=o["sla_interval"], rescore_hour=o["rescore_hour"])

        def stop(*_: Any) -> None:
            scheduler.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        scheduler.run()
