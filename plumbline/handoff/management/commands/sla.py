"""`plumbline sla check`: advance every running SLA clock now (the scheduler does this every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from plumbline.handoff.actions import do_check_all_slas


class Command(BaseCommand):
    help = "SLA clocks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("check", help="Stop, breach, escalate or reassign as the clocks say.")

    def handle(self, *args: Any, **o: Any) -> None:
        self.stdout.write(f"Checked {do_check_all_slas()} running SLA clocks.")
