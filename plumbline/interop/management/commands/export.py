"""`plumbline export KIND [-o FILE]`: write contacts, companies, deals or touchpoints as CSV."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.interop.exporters import EXPORTS, export_rows


class Command(BaseCommand):
    help = "Export records as CSV with the same columns the importer reads (stdout unless -o)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(EXPORTS))
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            out = open(opts["output"], "w", newline="", encoding="utf-8") if opts["output"] else None  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot write {opts['output']}: {exc.strerror}.") from None
        target = out if out is not None else getattr(self.stdout, "_out", sys.stdout)
        count = -1
        try:
            for line in export_rows(opts["kind"]):
                target.write(line)
                count += 1
        finally:
            if out is not None:
                out.close()
        if out is not None:
            self.stderr.write(f"Wrote {count:,} {opts['kind']} to {opts['output']}.")
