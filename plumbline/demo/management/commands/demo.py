"""`plumbline demo`: load the Northwind Analytics demo company."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.consent.actions import do_record_field_consent
from plumbline.consent.models import Source
from plumbline.core.progress import ProgressBar
from plumbline.demo.capture import SITE_NAME, install_assets, load_capture, site_available
from plumbline.demo.duplicates import plant_duplicates
from plumbline.demo.generator import DEMO_PASSWORD, DEMO_USERS, demo_users_exist, load_demo
from plumbline.demo.segments import load_segments
from plumbline.tracking.models import Site


class Command(BaseCommand):
    help = "Load the deterministic demo company (same seed and as-of date, same data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--contacts", type=int, default=2000, help="Number of contacts (default 2000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                            help="Last day of the demo history, YYYY-MM-DD (default today, UTC).")
        parser.add_argument("--touchpoints-per-contact", type=float, default=20.0)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the demo users already exist.")
        parser.add_argument("--duplicates", type=int, default=0,
                            help="Also plant this many second records of demo people (default 0).")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["contacts"] < 1:
            raise CommandError("--contacts must be at least 1.")
        if not 0 <= opts["duplicates"] <= opts["contacts"] // 10:
            raise CommandError("--duplicates is from 0 to a tenth of --contacts.")
        if demo_users_exist():
            if opts["if_empty"]:
                self.stdout.write("Demo company already loaded; nothing to do.")
                if not Site.objects.filter(name=SITE_NAME).exists():  # loaded before the demo had a website
                    install_assets()
                    self.stdout.write("Added the demo company's website (its tracking site, form, flow and landing page).")
                self._logins()
                return
            raise CommandError("The demo users already exist: load the demo into an empty database.")
        bar = ProgressBar("Loading demo contacts", enabled=not opts["no_progress"])
        started = time.monotonic()
        totals = load_demo(
            contacts=opts["contacts"], seed=opts["seed"], as_of=opts["as_of"],
            touchpoints_per_contact=opts["touchpoints_per_contact"], progress=bar,
        )
        bar.close()
        as_of = opts["as_of"] or dt.datetime.now(dt.UTC).date()
        planted = plant_duplicates(opts["duplicates"], seed=opts["seed"], as_of=as_of)
        do_record_field_consent(source=Source.IMPORT)  # the company's consent history came with its contacts
        capture = load_capture(as_of=as_of, seed=opts["seed"])
        segments = load_segments(seed=opts["seed"])
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Loaded Northwind Analytics in {seconds:.1f}s: {totals.companies:,} companies, {totals.contacts:,} contacts, "
            f"{totals.touchpoints:,} touchpoints, {totals.lifecycle_transitions:,} lifecycle transitions, "
            f"{totals.deals:,} deals ({totals.deal_status['won']:,} won, {totals.deal_status['lost']:,} lost), "
            f"{totals.activities:,} activities, {totals.campaigns} campaigns; "
            f"playbook: {totals.frameworks} frameworks, {totals.qualification_answers:,} qualification answers, "
            f"{totals.objections:,} objections, {totals.messaging_items} messaging items."
            + (f" Planted {planted} duplicate contacts for the duplicates page." if planted else "")
            + f" Website capture: {capture.hits} page views, {capture.submissions} form submissions, "
            f"{capture.confirmed} confirmed subscriptions. Segments: {segments.segments} (run `plumbline segments "
            "refresh --all` after scoring)."
        )
        self._logins()

    def _logins(self) -> None:
        if site_available():
            self.stdout.write(f"The demo company's website: {settings.PUBLIC_BASE_URL.rstrip('/')}/demo-site/")
        self.stdout.write(f"Open {settings.PUBLIC_BASE_URL} and sign in with password {DEMO_PASSWORD!r} as one of:")
        for username, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role}")
