"""`plumbline score --all | CONTACT_ID ...`: recompute scores (decay moves them even without events)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.crm.models import Contact
from plumbline.definitions.queries import current_version
from plumbline.handoff.actions import do_score_and_route
from plumbline.interop.progress import ProgressBar


class Command(BaseCommand):
    help = "Recompute fit and engagement scores, promote MQLs and route them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contact_ids", nargs="*", type=int)
        parser.add_argument("--all", action="store_true", help="Every contact.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        if not o["all"] and not o["contact_ids"]:
            raise CommandError("Name contact ids or pass --all.")
        current_version()
        qs = Contact.objects.order_by("pk")
        if not o["all"]:
            qs = qs.filter(pk__in=o["contact_ids"])
        total = qs.count()
        bar = ProgressBar("Scoring", enabled=not o["no_progress"])
        mqls = done = 0
        last = 0
        while True:
            ids = list(qs.filter(pk__gt=last).values_list("pk", flat=True)[:500])
            if not ids:
                break
            for contact in Contact.objects.filter(pk__in=ids).order_by("pk"):
                mqls += do_score_and_route(contact=contact, reason="bulk") is not None
                done += 1
                bar(done, total)
            last = ids[-1]
        bar.close()
        self.stdout.write(f"Scored {done} contacts; {mqls} became MQLs and were routed.")
