"""`plumbline import KIND FILE.csv`: import contacts, companies, deals or touchpoints from CSV."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.core.errors import DomainError
from plumbline.core.progress import ProgressBar
from plumbline.interop.actions import MODES, do_import, report_lines
from plumbline.interop.csvfile import count_lines
from plumbline.interop.importers import IMPORTERS


class Command(BaseCommand):
    help = "Import a CSV file. Re-importing the same file creates no duplicates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                            help="Map a CSV column to a field (repeatable); other columns are guessed from their names.")
        parser.add_argument("--dry-run", action="store_true", help="Check everything, write nothing.")
        parser.add_argument("--mode", choices=MODES, default="all-or-nothing")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        mapping = {}
        for item in opts["map"]:
            column, sep, target = item.partition("=")
            if not sep or not column.strip():
                raise CommandError(f"--map takes COLUMN=FIELD, got {item!r}.")
            mapping[column.strip()] = target.strip()
        try:
            total = count_lines(opts["file"])
            stream = open(opts["file"], "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"Cannot read {opts['file']}: {exc.strerror}.") from None
        bar = ProgressBar(f"Importing {opts['kind']}", enabled=not opts["no_progress"] and total > 5000)
        try:
            report = do_import(
                kind=opts["kind"], stream=stream, mapping=mapping, mode=opts["mode"], dry_run=opts["dry_run"],
                filename=opts["file"].rsplit("/", 1)[-1], progress=lambda line: bar(line, max(total, line)),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        finally:
            stream.close()
            bar.close()
        if opts["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), default=str, indent=2))
        else:
            for line in report_lines(report):
                self.stdout.write(line)
        if report.rejected and not report.dry_run:
            raise CommandError("Nothing was imported.")
