"""`plumbline tracking sites | add-site | process`: the registered sites with their snippets and hit counts,
registering one, and processing every pending hit now (the worker does it on its own)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.core.errors import DomainError
from plumbline.tracking import queries
from plumbline.tracking.actions import do_create_site, do_process_hits


class Command(BaseCommand):
    help = "Website tracking: list the sites, register one, or process the pending hits into touchpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("sites", help="Each site with its origins, snippet and hits (people / bots).")
        add = sub.add_parser("add-site", help="Register a site and print its snippet.")
        add.add_argument("name")
        add.add_argument("--origin", action="append", default=[], help="An allowed origin, e.g. https://www.example.com (repeat for more).")
        add.add_argument("--gdpr", action="store_true", help="Require consent before any cookie.")
        sub.add_parser("process", help="Process every pending hit now, then say how many.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "process":
            total = 0
            while n := do_process_hits():
                total += n
            self.stdout.write(f"Processed {total} hits.")
        elif options["command"] == "add-site":
            try:
                site = do_create_site(name=options["name"], origins="\n".join(options["origin"]),
                                      gdpr_mode=options["gdpr"])
            except DomainError as exc:
                raise CommandError(f"{exc.field}: {exc.message}") from None
            self.stdout.write(queries.snippet(site))
        else:
            for site in queries.sites():
                counts = queries.hit_counts(site)
                people, bots = sum(c["human"] for c in counts), sum(c["bot"] for c in counts)
                self.stdout.write(f"{site.pk}  {site.name}  {' '.join(site.origin_list) or '(no origins)'}  "
                                  f"{'GDPR mode' if site.gdpr_mode else ''}  hits: {people} people, {bots} bots")
                self.stdout.write(f"    {queries.snippet(site)}")
