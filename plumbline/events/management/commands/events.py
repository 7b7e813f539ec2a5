"""`plumbline events <subcommand>`: the change feed from the command line.

    plumbline events status [--json]              each consumer: state, lag (events, time), processed, last error
    plumbline events replay NAME --from ID        make consumer NAME read the feed again from event ID
    plumbline events prune [--days N]             delete events older than N days (EVENTS_RETENTION_DAYS) that
                                                  every consumer has passed
    plumbline events tail [--kind K] [-n 20]      the last events, oldest of them first
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.core.errors import DomainError
from plumbline.events.actions import MAX_RETENTION_DAYS, do_prune, do_replay
from plumbline.events.kinds import KINDS, label
from plumbline.events.queries import ConsumerStatus, consumer_status, tail


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[CommandParser], None]
    handle: Callable[[BaseCommand, dict[str, Any]], None]


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _status_arguments(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="One JSON object per consumer, in a list.")


def _status_json(status: ConsumerStatus) -> dict[str, Any]:
    data = asdict(status)
    data.update(state=status.state_code, state_label=status.state)
    for key, value in data.items():
        if isinstance(value, dt.datetime):
            data[key] = value.isoformat()
    return data


def _status(command: BaseCommand, options: dict[str, Any]) -> None:
    statuses = consumer_status()
    if options["json"]:
        command.stdout.write(json.dumps([_status_json(s) for s in statuses], indent=2))
        return
    if not statuses:
        command.stdout.write("No consumers are registered.")
        return
    rows = [("CONSUMER", "STATE", "POSITION", "LAG", "WAITING", "PROCESSED", "HELD BY", "LAST ERROR")]
    for s in statuses:
        error = ""
        if s.last_error:
            first_line = s.last_error.splitlines()[-1][:60]
            error = f"{_when(s.last_error_at)} at #{s.last_error_event}: {first_line}"
        rows.append((f"{s.label} ({s.name})", s.state, f"#{s.position} of #{s.head}", f"{s.lag:,}",
                     s.waiting or "-", f"{s.processed:,}", s.running_in or "-", error or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        command.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                             + "  " + row[-1])


def _replay_arguments(parser: CommandParser) -> None:
    parser.add_argument("name", help="The consumer's name (see `plumbline events status`).")
    parser.add_argument("--from", dest="from_event", type=int, required=True, metavar="ID",
                        help="Read again from this event id (inclusive).")


def _replay(command: BaseCommand, options: dict[str, Any]) -> None:
    try:
        cursor = do_replay(name=options["name"], from_event=options["from_event"])
    except DomainError as exc:
        raise CommandError(exc.message) from exc
    command.stdout.write(f"{options['name']} reads the feed again from event #{cursor.position + 1}; "
                         "the worker picks it up.")


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days.") from None
    if not 0 <= days <= MAX_RETENTION_DAYS:
        raise argparse.ArgumentTypeError(f"keep events 0 to {MAX_RETENTION_DAYS:,} days.")
    return days


def _prune_arguments(parser: CommandParser) -> None:
    parser.add_argument("--days", type=_days, help="Keep events this many days (default: EVENTS_RETENTION_DAYS).")


def _prune(command: BaseCommand, options: dict[str, Any]) -> None:
    pruned = do_prune(retention_days=options["days"])
    command.stdout.write(f"Deleted {pruned.deleted:,} events older than {pruned.retention_days} days "
                         f"(every consumer has passed event #{pruned.below}).")


def _tail_arguments(parser: CommandParser) -> None:
    parser.add_argument("--kind", choices=sorted(KINDS), metavar="KIND", help="Only events of this kind.")
    parser.add_argument("-n", dest="count", type=int, default=20, help="How many events (default 20).")


def _tail(command: BaseCommand, options: dict[str, Any]) -> None:
    if not 1 <= options["count"] <= 10_000:
        raise CommandError("-n must be 1 to 10,000.")
    for event in tail(kind=options["kind"], count=options["count"]):
        who = event.actor.get_username() if event.actor_id and event.actor else "system"
        payload = json.dumps(event.payload, separators=(",", ":"), sort_keys=True)
        command.stdout.write(f"#{event.pk}  {_when(event.recorded_at)}  {label(event.kind)} ({event.kind})  "
                             f"{event.subject_type} {event.subject_id}  by {who}  {payload}")


SUBCOMMANDS: dict[str, Subcommand] = {
    "status": Subcommand("Each consumer's state, lag and last error.", _status_arguments, _status),
    "replay": Subcommand("Make a consumer read the feed again from an event id.", _replay_arguments, _replay),
    "prune": Subcommand("Delete old events every consumer has passed.", _prune_arguments, _prune),
    "tail": Subcommand("The last events of the feed.", _tail_arguments, _tail),
}


class Command(BaseCommand):
    help = "The change feed: " + ", ".join(SUBCOMMANDS) + "."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True)
        for name, subcommand in SUBCOMMANDS.items():
            subcommand.add_arguments(subparsers.add_parser(name, help=subcommand.help))

    def handle(self, *args: Any, **options: Any) -> None:
        SUBCOMMANDS[options["subcommand"]].handle(self, options)
