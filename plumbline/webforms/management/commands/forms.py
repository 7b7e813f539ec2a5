"""`plumbline forms list | submissions SLUG [--csv]`: the forms with their submission counts and addresses, and a
form's submissions (newest first) or their CSV export, as the Forms page and /api/v1/forms give them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.webforms import queries
from plumbline.webforms.export import csv_rows
from plumbline.webforms.models import Form


class Command(BaseCommand):
    help = "Forms: list them with their submission counts, or print a form's submissions (as CSV with --csv)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("list", help="Each form: id, address, status and submissions.")
        subs = sub.add_parser("submissions", help="A form's submissions, newest first.")
        subs.add_argument("slug", help="The form's address: /f/<slug>.")
        subs.add_argument("--csv", action="store_true", help="The CSV export, as the form page's button gives it.")
        subs.add_argument("--limit", type=int, default=50, help="At most this many lines without --csv (default 50).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "list":
            for form in queries.forms_with_counts():
                state = "takes submissions" if form.is_active else "closed"
                self.stdout.write(f"{form.pk}  /f/{form.slug}  {form.name}  ({state})  {form.submission_count} "
                                  f"submission{'' if form.submission_count == 1 else 's'}")
            return
        form = Form.objects.filter(slug=options["slug"]).first()
        if form is None:
            raise CommandError(f"No form at /f/{options['slug']}.")
        if options["csv"]:
            for line in csv_rows(form):
                self.stdout.write(line, ending="")
            return
        for s in queries.submissions(form)[: options["limit"]]:
            who = s.contact.email if s.contact_id else "(erased)"
            self.stdout.write(f"{s.submitted_at:%Y-%m-%d %H:%M}  {who}  {s.utm.get('utm_campaign', '')}")
