"""`plumbline segments list | show ID | refresh ID | refresh --all | members ID [--csv] | create --name --kind
[--predicate-file F] | import ID --file F`: segments from the command line, through the same actions and reads as
the pages and /api/v1/segments (acting as the system)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.segments import queries
from plumbline.segments.actions import do_create_segment, do_import_list, do_refresh_segment
from plumbline.segments.export import csv_rows
from plumbline.segments.models import Kind, Segment
from plumbline.segments.references import evaluation_order, graph


def _errors(exc: DomainError) -> str:
    items = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in items)


class Command(BaseCommand):
    help = "Segments: list, show, refresh, print members (CSV with --csv), create, import a static list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("list", help="Each segment: id, kind, members, last evaluated.")
        show = sub.add_parser("show", help="A segment's definition, counts and recent entries and exits.")
        show.add_argument("id", type=int)
        refresh = sub.add_parser(
            "refresh", help="Evaluate a dynamic segment (or all of them) over every contact."
        )
        refresh.add_argument("id", type=int, nargs="?")
        refresh.add_argument("--all", action="store_true", help="Every dynamic segment, in dependency order.")
        members = sub.add_parser("members", help="A segment's members, latest to enter first.")
        members.add_argument("id", type=int)
        members.add_argument("--csv", action="store_true", help="Every member as CSV.")
        members.add_argument("--limit", type=int, default=50, help="At most this many lines without --csv.")
        create = sub.add_parser("create", help="Create a dynamic segment or a static list.")
        create.add_argument("--name", required=True)
        create.add_argument("--kind", choices=[Kind.DYNAMIC, Kind.STATIC], default=Kind.DYNAMIC)
        create.add_argument("--predicate-file", type=Path, help="The predicate's JSON (dynamic segments).")
        create.add_argument("--description", default="")
        imp = sub.add_parser("import", help="Add to a static list the contacts whose email a file names.")
        imp.add_argument("id", type=int)
        imp.add_argument(
            "--file", type=Path, required=True, help="One email a line, or a CSV with an email column."
        )

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            getattr(self, f"_{o['command']}")(o)
        except DomainError as exc:
            raise CommandError(_errors(exc)) from None

    def _segment(self, pk: int) -> Segment:
        segment = Segment.objects.filter(pk=pk).first()
        if segment is None:
            raise CommandError(f"No segment with id {pk}.")
        return segment

    def _list(self, o: dict[str, Any]) -> None:
        for s in queries.segments():
            when = f"evaluated {s.evaluated_at:%Y-%m-%d %H:%M}" if s.evaluated_at else "not evaluated"
            if s.kind != Kind.DYNAMIC:
                when = "kept by hand" if s.kind == Kind.STATIC else f"taken {s.snapshot_at:%Y-%m-%d %H:%M}"
            self.stdout.write(
                f"{s.pk}  {s.name}  ({s.get_kind_display()})  {s.member_count} "
                f"member{'' if s.member_count == 1 else 's'}  {when}"
            )

    def _show(self, o: dict[str, Any]) -> None:
        s = self._segment(o["id"])
        self.stdout.write(f"{s.name} ({s.get_kind_display()}), {s.member_count} members")
        if s.description:
            self.stdout.write(s.description)
        if s.predicate is not None:
            self.stdout.write(f"Conditions (version {s.predicate_version}): {json.dumps(s.predicate)}")
        for change in queries.history_of_segment(s, limit=10):
            self.stdout.write(
                f"  {change.occurred_at:%Y-%m-%d %H:%M}  {'entered' if change.entered else 'left'}  "
                f"{change.contact.email}  ({change.get_reason_display()})"
            )

    def _refresh(self, o: dict[str, Any]) -> None:
        if o["all"] == (o["id"] is not None):
            raise CommandError("Name one segment, or --all.")
        if o["all"]:
            by_id = {s.pk: s for s in Segment.objects.filter(kind=Kind.DYNAMIC)}
            targets = [by_id[pk] for pk in evaluation_order(graph()) if pk in by_id]
        else:
            targets = [self._segment(o["id"])]
        for segment in targets:
            entered, left = do_refresh_segment(segment=segment)
            self.stdout.write(
                f"{segment.name}: {entered} entered, {left} left, {segment.member_count} members"
            )

    def _members(self, o: dict[str, Any]) -> None:
        segment = self._segment(o["id"])
        if o["csv"]:
            for line in csv_rows(segment):
                self.stdout.write(line, ending="")
            return
        for c in queries.members(segment)[: o["limit"]]:
            self.stdout.write(f"{c.member_since:%Y-%m-%d %H:%M}  {c.email}  {c.full_name}")

    def _create(self, o: dict[str, Any]) -> None:
        predicate = None
        if o["predicate_file"] is not None:
            try:
                predicate = json.loads(o["predicate_file"].read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the predicate from {o['predicate_file']}: {exc}") from None
        segment = do_create_segment(
            name=o["name"], kind=o["kind"], predicate=predicate, description=o["description"]
        )
        segment.refresh_from_db()
        self.stdout.write(
            f"Created segment {segment.pk}: {segment.name} ({segment.get_kind_display()}), "
            f"{segment.member_count} members."
        )

    def _import(self, o: dict[str, Any]) -> None:
        segment = self._segment(o["id"])
        try:
            with o["file"].open("rb") as fh:
                result = do_import_list(segment=segment, file=fh)
        except OSError as exc:
            raise CommandError(f"Cannot read {o['file']}: {exc}") from None
        self.stdout.write(
            f"{result.changed} added, {result.unchanged} already in, {len(result.unknown)} unknown."
        )
        for email in result.unknown[:20]:
            self.stdout.write(f"  unknown: {email}")
