"""Change-feed throughput: how many events a second a consumer that does nothing gets through, beside the raw limit.

    .venv/bin/python bench/feed_throughput_bench.py                       # SQLite, var/bench/feed.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_feed_bench .venv/bin/python bench/feed_throughput_bench.py

Migrates the database it is given (use a scratch one: the bench empties the events and cursor tables), writes
`--events` events (default 500,000) with `emit_many` in transactions of 50,000, kinds mixed as a stream of
touchpoints and contact changes would be (half `touchpoint.recorded`), each with a small payload. Then, `--rounds`
times (default 3), alternately:

- raw: the machine's limit for reading those rows in order: a keyset SELECT of the same columns, `--batch` rows at
  a time (default 1,000, the batch size the consumer uses), through the driver itself (sqlite3, psycopg) without
  Django, rows fetched and nothing else (the payload as text, as the feed fetches it); on PostgreSQL also a COPY of
  the same rows to the client;
- feed: a no-op consumer of every kind (registered atomic=False: it writes nothing), its cursor set back to 0 and
  `runner.run_consumer` run until it has caught up: claim, each batch read, handed to the handler, and the cursor
  advanced in its own transaction, as the worker does it;
- feed (atomic): the same consumer registered atomic=True (handler and advance in one transaction, which waits
  for its WAL flush on PostgreSQL);
- feed (one kind): the same with a consumer of `touchpoint.recorded` only (it reads half the rows, skipping the
  rest through the kind index);
- feed (reading payloads): every kind, the handler reading each event's payload and time (decoded on first read).

Prints the best round of each as events/s, and the feed's rate as a ratio of the raw rate. One JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'feed.sqlite3'}"

import django  # noqa: E402
import psycopg  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from plumbline.events import registry, runner  # noqa: E402
from plumbline.events.actions import EventSpec, emit_many  # noqa: E402
from plumbline.events.models import ConsumerCursor, Event  # noqa: E402

CHUNK = 50_000


def write_events(total: int) -> float:
    """Write `total` events; seconds taken."""
    started = time.perf_counter()
    now = timezone.now()
    written = 0
    while written < total:
        n = min(CHUNK, total - written)
        specs = []
        for i in range(written, written + n):
            if i % 2:
                specs.append(EventSpec("touchpoint.recorded", "touchpoint", i,
                                       {"contact_id": i // 7, "kind": "page_view", "channel": "seo"}, now))
            else:
                specs.append(EventSpec("contact.updated", "contact", i // 7, {"fields": ["title"]}, now))
        with transaction.atomic():
            emit_many(specs)
        written += n
    return time.perf_counter() - started


def driver_connection():
    """A connection of the database driver itself, without Django's adapters: the machine's limit."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return sqlite3.connect(settings["NAME"])
    return psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"],
                           password=settings["PASSWORD"] or None, dbname=settings["NAME"], autocommit=True)


def raw_read(batch: int) -> tuple[int, float]:
    """Every event in id order, `batch` rows a query, fetched by the driver and nothing more; (rows, seconds)."""
    columns = ", ".join("payload::text" if f == "payload" and connection.vendor == "postgresql" else f
                        for f in runner.FIELDS)  # the JSON as the feed fetches it: text, decoded when read
    sql = f"SELECT {columns} FROM events_event WHERE id > ? ORDER BY id LIMIT {batch}"
    rows, last = 0, 0
    with driver_connection() as raw:
        cursor = raw.cursor()
        if connection.vendor == "postgresql":
            sql = sql.replace("?", "%s")
        started = time.perf_counter()
        while True:
            cursor.execute(sql, [last])
            got = cursor.fetchall()
            if not got:
                break
            rows += len(got)
            last = got[-1][0]
        return rows, time.perf_counter() - started


def raw_copy() -> tuple[int, float]:
    """PostgreSQL only: COPY of the same rows and columns to the client, in id order."""
    with driver_connection() as raw, raw.cursor() as cursor:
        started = time.perf_counter()
        columns = ", ".join(runner.FIELDS)
        with cursor.copy(f"COPY (SELECT {columns} FROM events_event ORDER BY id) TO STDOUT") as copy:
            lines = sum(bytes(block).count(b"\n") for block in copy)
        return lines, time.perf_counter() - started


def feed_read(consumer: registry.Consumer) -> tuple[int, float]:
    ConsumerCursor.objects.update_or_create(name=consumer.name, defaults={
        "position": 0, "processed": 0, "lease_owner": "", "lease_until": None, "caught_up_at": None})
    started = time.perf_counter()
    _, behind = runner.run_consumer(consumer, budget=3600)
    seconds = time.perf_counter() - started
    assert not behind and ConsumerCursor.objects.get(name=consumer.name).position == runner.head()
    return Event.objects.count(), seconds  # the events it kept up with (a one-kind consumer skips the others)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    Event.objects.all().delete()
    ConsumerCursor.objects.all().delete()
    wrote = write_events(args.events)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE events_event")
    print(f"{connection.vendor}: wrote {args.events:,} events in {wrote:.1f} s ({args.events / wrote:,.0f}/s)")

    def noop(events: list) -> None:
        pass

    def reads_payloads(events: list) -> None:
        for event in events:
            event.payload, event.occurred_at  # noqa: B018

    for name, kinds, handler, atomic in (
        ("bench.all", None, noop, False), ("bench.all_atomic", None, noop, True),
        ("bench.touchpoints", {"touchpoint.recorded"}, noop, False), ("bench.payloads", None, reads_payloads, False),
    ):
        registry.consumer(name, kinds=kinds, label=name, batch_size=args.batch, atomic=atomic)(handler)
    everything, atomic_one, touchpoints, payloads = (
        registry.get(n) for n in ("bench.all", "bench.all_atomic", "bench.touchpoints", "bench.payloads"))
    best: dict[str, float] = {}
    for round_ in range(args.rounds):
        steps = [("raw", lambda: raw_read(args.batch))]
        if connection.vendor == "postgresql":
            steps.append(("raw_copy", raw_copy))
        for what, run in (*steps, ("feed", lambda: feed_read(everything)),
                          ("feed_atomic", lambda: feed_read(atomic_one)),
                          ("feed_one_kind", lambda: feed_read(touchpoints)),
                          ("feed_reading_payloads", lambda: feed_read(payloads))):
            rows, seconds = run()
            rate = rows / seconds
            best[what] = max(best.get(what, 0.0), rate)
            print(f"  round {round_ + 1} {what:<22} {rows:>9,} events in {seconds:6.2f} s = {rate:>10,.0f}/s")
    result = {
        "vendor": connection.vendor, "events": args.events, "batch": args.batch,
        "raw_per_s": round(best["raw"]), "feed_per_s": round(best["feed"]),
        "feed_atomic_per_s": round(best["feed_atomic"]),
        "feed_one_kind_per_s": round(best["feed_one_kind"]),
        "feed_reading_payloads_per_s": round(best["feed_reading_payloads"]),
        "feed_vs_raw": round(best["feed"] / best["raw"], 3),
        "raw_copy_per_s": round(best["raw_copy"]) if "raw_copy" in best else None,
        "load": os.getloadavg()[0],
    }
    print(f"best: raw {result['raw_per_s']:,}/s, feed {result['feed_per_s']:,}/s "
          f"({result['feed_vs_raw']:.0%} of raw), atomic {result['feed_atomic_per_s']:,}/s, one kind {result['feed_one_kind_per_s']:,}/s, reading every "
          f"payload {result['feed_reading_payloads_per_s']:,}/s; "
          f"load {result['load']:.2f}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
