"""`plumbline score --all | CONTACT_ID ...`: recompute scores (decay moves them even without events)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.core.progress import ProgressBar
from plumbline.crm.models import Contact
from plumbline.definitions.queries import current_version
from plumbline.handoff.actions import do_score_and_route
from plumbline.handoff.backlog import backlog
from plumbline.handoff.bulk import do_promote_and_route
from plumbline.scoring.bulk import bulk_rescore
from plumbline.scoring.predictive.actions import do_refresh_predictions
from plumbline.scoring.predictive.predict import predictions_prefetched


class Command(BaseCommand):
    help = "Recompute fit and engagement scores, promote MQLs and route them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contact_ids", nargs="*", type=int)
        parser.add_argument("--all", action="store_true", help="Every contact, set-based in the database.")
        parser.add_argument("--full", action="store_true",
                            help="With --all: recompute every contact from its events instead of decaying the "
                                 "scores of contacts with nothing new in place (same result, slower).")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        if not o["all"] and not o["contact_ids"]:
            raise CommandError("Name contact ids or pass --all.")
        if o["full"] and not o["all"]:
            raise CommandError("--full goes with --all.")
        current_version()
        started = time.monotonic()
        bar = ProgressBar("Promoting" if o["all"] else "Scoring", enabled=not o["no_progress"])
        if o["all"]:
            result = bulk_rescore(full=o["full"])
            self.stderr.write(f"Scored {result.scored:,} contacts in {time.monotonic() - started:.1f}s "
                              f"({result.recomputed:,} recomputed from their events, the others decayed in place; "
                              f"{result.changed:,} changed); promoting {len(result.to_promote):,}.")
            started = time.monotonic()
            predicted = do_refresh_predictions()
            if predicted:
                self.stderr.write(f"Predicted {predicted:,} contacts with the active model in "
                                  f"{time.monotonic() - started:.1f}s.")
            started = time.monotonic()
            handoff = do_promote_and_route(contact_ids=result.to_promote, inputs=result.rule_inputs, progress=bar)
            bar.close()
            self.stderr.write(f"Promoted {handoff.promoted:,} and routed {handoff.routed:,} in "
                              f"{time.monotonic() - started:.1f}s.")
            scored, mqls = result.scored, handoff.routed
        else:
            scored, mqls = self._one_by_one(o["contact_ids"], bar)
        self.stdout.write(f"Scored {scored:,} contacts; {mqls:,} became MQLs and were routed.")
        waiting = backlog()
        if waiting.waiting:
            self.stdout.write(f"{waiting.waiting:,} MQLs wait for a rep: {waiting.reason}.")

    def _one_by_one(self, contact_ids: list[int], bar: ProgressBar) -> tuple[int, int]:
        """Named contacts go through the per-contact path, as an event would send them."""
        candidates = list(Contact.objects.filter(pk__in=contact_ids).values_list("pk", flat=True))
        mqls = done = 0
        for start in range(0, len(candidates), 500):
            chunk = candidates[start:start + 500]
            # the predictive model scores the chunk in one call; each contact then reads its own result
            with predictions_prefetched(chunk):
                for contact in Contact.objects.filter(pk__in=chunk).order_by("pk"):
                    mqls += do_score_and_route(contact=contact, reason="bulk") is not None
                    done += 1
                    bar(done, len(candidates))
        bar.close()
        return len(candidates), mqls
