"""`plumbline scheduler`: queue periodic work (SLA checks every minute; nightly, a rescore for decay and a scan
for duplicate contacts)."""

from __future__ import annotations

import datetime as dt
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from plumbline.analytics.tasks import queue_scan
from plumbline.handoff.tasks import check_slas, rescore_all


class Command(BaseCommand):
    help = "Queue periodic tasks for the worker until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sla-interval", type=int, default=60, help="Seconds between SLA checks.")
        parser.add_argument("--rescore-hour", type=int, default=2, help="UTC hour of the nightly rescore and duplicates scan.")
        parser.add_argument("--once", action="store_true", help="Queue each periodic task once and exit.")

    def handle(self, *args: Any, **o: Any) -> None:
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        if o["once"]:
            check_slas.enqueue()
            rescore_all.enqueue()
            queue_scan()
            self.stdout.write("Queued check_slas, rescore_all and scan_duplicates.")
            return
        last_rescore: dt.date | None = None
        next_sla = 0.0
        while not stop["now"]:
            now = timezone.now()
            if time.monotonic() >= next_sla:
                check_slas.enqueue()
                next_sla = time.monotonic() + o["sla_interval"]
            if now.hour == o["rescore_hour"] and last_rescore != now.date():
                rescore_all.enqueue()
                queue_scan()
                last_rescore = now.date()
            time.sleep(1)
