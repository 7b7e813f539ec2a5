"""Touchpoint batch ingest and CSV contact import, each beside the machine's raw limit measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_ingest1m .venv/bin/python bench/ingest_bench.py
    ... bench/ingest_bench.py --only touchpoints --batches 30     # or --only contacts --csv-rows 100000

Needs a PostgreSQL database with the demo company loaded (`plumbline demo --contacts 1000000 --seed 1`, then
`ANALYZE`). Not a test: run by hand, results go to docs/benchmarks.md.

- Touchpoints: `POST /api/v1/touchpoints/batch` through gunicorn (2 workers x 2 threads, as core_api_bench.py), one
  client sending batches of 1,000 page views for random demo contacts by email, one after the other; the response is
  the commit, so the events the batch writes (when the events app is installed) are included. The raw limit is the
  same rows (and one event row each, when there is an events table) written with COPY over one psycopg connection,
  one transaction per 1,000 rows, contact ids known in advance: no HTTP, no validation, no lookups.
- Contacts: `do_import` (all-or-nothing, in chunks, as the CLI runs it) of a CSV of new contacts with 5,000
  new companies. The raw limit is the same contacts, their lifecycle transitions and their contact.created events
  written with COPY, one transaction per import chunk (ids reserved from the sequence first, as the import does),
  companies left out.
Everything a run writes is deleted at its end (rows are tagged), so runs can repeat on the same database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from core_api_bench import free_port, start_server, timed  # noqa: E402
from django.db import connection  # noqa: E402

from plumbline.accounts.actions import do_create_api_token  # noqa: E402
from plumbline.accounts.models import User  # noqa: E402
from plumbline.interop import actions as import_actions  # noqa: E402
from plumbline.interop.actions import do_import  # noqa: E402

BATCH = 1000


def dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST']} port={s['PORT'] or 5432} user={s['USER']} dbname={s['NAME']}" + (
        f" password={s['PASSWORD']}" if s["PASSWORD"] else "")


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


# --- touchpoints --------------------------------------------------------------------------------------------

def sample_contacts(n: int, rng: random.Random) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM crm_contact")
        top = cursor.fetchone()[0]
        cursor.execute("SELECT id, email FROM crm_contact WHERE id = ANY(%s)",
                       [[rng.randint(1, top) for _ in range(n * 2)]])
        found = cursor.fetchall()
    rng.shuffle(found)
    return found[:n]


def raw_touchpoint_copy(contacts: list[tuple[int, str]], batches: int, when: str, events: bool) -> float:
    """Seconds to COPY `batches` x 1,000 touchpoint rows (and their event rows), one commit per batch."""
    now = dt.datetime.now(dt.UTC).isoformat()
    tp_sql = ("COPY marketing_touchpoint (contact_id, campaign_id, channel, kind, source, medium, utm_campaign, "
              "utm_content, utm_term, content, occurred_at, value, created_at) FROM STDIN")
    ev_sql = "COPY events_event (kind, subject_type, subject_id, payload, occurred_at, recorded_at, actor_id) FROM STDIN"
    with psycopg.connect(dsn()) as conn:
        started = time.perf_counter()
        for b in range(batches):
            part = [contacts[(b * BATCH + i) % len(contacts)][0] for i in range(BATCH)]
            with conn.transaction(), conn.cursor() as cursor:
                with cursor.copy(tp_sql) as out:
                    out.write("".join(f"{c}\t\\N\tseo\tpage_view\t\t\t\t\t\t\t{when}\t0.00\t{now}\n" for c in part))
                if events:
                    with cursor.copy(ev_sql) as out:
                        out.write("".join(
                            f'touchpoint.recorded\ttouchpoint\t{c}\t{{"contact_id": {c}, "kind": "page_view", '
                            f'"channel": "seo", "campaign_id": null, "reason": "event"}}\t{when}\t{now}\t\\N\n'
                            for c in part))
        return time.perf_counter() - started


def api_ingest(contacts: list[tuple[int, str]], batches: int, when: str, token: str) -> float:
    """Seconds for `batches` requests of 1,000 items (after two warm-up batches), through gunicorn."""
    api = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [json.dumps({"items": [
        {"contact_email": contacts[(b * BATCH + i) % len(contacts)][1], "kind": "page_view", "channel": "seo",
         "occurred_at": when} for i in range(BATCH)]}).encode() for b in range(batches + 2)]
    port = free_port()
    server = start_server(port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for body in bodies[:2]:  # warm up both workers
            timed(conn, "POST", "/api/v1/touchpoints/batch", api, body)
        total = 0.0
        for body in bodies[2:]:
            total += timed(conn, "POST", "/api/v1/touchpoints/batch", api, body)[0] / 1000
        return total
    finally:
        server.terminate()
        server.wait()


def touchpoints(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    contacts = sample_contacts(min(args.batches * BATCH, 50_000), rng)
    events = table_exists("events_event")
    admin = User.objects.get(username="admin")
    _, token = do_create_api_token(user=admin, name="ingest bench")
    # A time no demo row has, so this run's rows can be found and deleted.
    when = (dt.datetime(2031, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randint(0, 10**7))).isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM marketing_touchpoint")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM events_event" if events else "SELECT 0")
        events_before = cursor.fetchone()[0]
    print(f"touchpoint batch ingest: {args.batches} batches of {BATCH:,}, events table: {'yes' if events else 'no'}, "
          f"{load()}")
    try:
        raw1 = raw_touchpoint_copy(contacts, args.batches, when, events)
        api = api_ingest(contacts, args.batches, when, token)
        raw2 = raw_touchpoint_copy(contacts, args.batches, when, events)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM marketing_touchpoint WHERE id > %s AND occurred_at = %s",
                           [before, when])
            written = cursor.fetchone()[0]
            cursor.execute("DELETE FROM marketing_firsttouchpoint WHERE touchpoint_id > %s", [before])
            cursor.execute("DELETE FROM marketing_touchpoint WHERE id > %s AND occurred_at = %s", [before, when])
            if events:
                cursor.execute("SELECT count(*) FROM events_event WHERE id > %s AND kind = 'touchpoint.recorded'",
                               [events_before])
                print(f"  touchpoint.recorded events written by the run: {cursor.fetchone()[0]:,}")
                cursor.execute("DELETE FROM events_event WHERE id > %s AND kind = 'touchpoint.recorded'",
                               [events_before])
    rows = args.batches * BATCH
    raw = rows / ((raw1 + raw2) / 2)
    print(f"  rows written: {written:,} (3 x {rows:,} expected, plus 2 warm-up batches)")
    print(f"  raw COPY: {rows / raw1:,.0f} and {rows / raw2:,.0f} rows/s")
    print(f"  API:      {rows / api:,.0f} rows/s = {rows / api / raw:.2f} of raw COPY ({api / args.batches * 1000:.1f} ms "
          f"per batch), {load()}")


# --- contacts -----------------------------------------------------------------------------------------------

def contacts_csv(rows: int, tag: str) -> bytes:
    out = io.StringIO()
    out.write("email,first_name,last_name,title,company_domain,company_name,source,consent_status,lifecycle_stage\n")
    for i in range(rows):
        out.write(f"Person.{i}@{tag}{i % 5000}.example.org,Pat,Person{i},Analyst,{tag}{i % 5000}.example.org,"
                  f"Import {tag} {i % 5000},Trade show list,opted_in,{'lead' if i % 3 else 'mql'}\n")
    return out.getvalue().encode()


def raw_contact_copy(rows: int, tag: str, events: bool) -> float:
    """Seconds to COPY the contacts, their transitions (and their events), one transaction per import chunk."""
    now = dt.datetime.now(dt.UTC).isoformat()
    chunk = import_actions.chunk_rows()
    with psycopg.connect(dsn()) as conn:
        started = time.perf_counter()
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            with conn.transaction(), conn.cursor() as cursor:
                cursor.execute("SELECT nextval(pg_get_serial_sequence('crm_contact', 'id')) "
                               "FROM generate_series(1, %s)", [n])
                ids = [pk for (pk,) in cursor.fetchall()]
                with cursor.copy("COPY crm_contact (id, email, first_name, last_name, title, phone, source, "
                                 "consent_status, company_id, owner_id, lifecycle_stage, lifecycle_changed_at, custom, "
                                 "created_at, updated_at) FROM STDIN") as out:
                    out.write("".join(
                        f"{pk}\traw.{start + i}@{tag}{(start + i) % 5000}.example.org\tPat\tPerson{start + i}\tAnalyst"
                        f"\t\tTrade show list\topted_in\t\\N\t\\N\tlead\t{now}\t{{}}\t{now}\t{now}\n"
                        for i, pk in enumerate(ids)))
                with cursor.copy("COPY crm_lifecycletransition (contact_id, from_stage, to_stage, occurred_at, by_id, "
                                 "reason, source) FROM STDIN") as out:
                    out.write("".join(f"{pk}\t\tlead\t{now}\t\\N\tImported from bench.csv\timport\n" for pk in ids))
                if events:
                    with cursor.copy("COPY events_event (kind, subject_type, subject_id, payload, occurred_at, "
                                     "recorded_at, actor_id) FROM STDIN") as out:
                        out.write("".join(
                            f'contact.created\tcontact\t{pk}\t{{"lifecycle_stage": "lead", "company_id": null, '
                            f'"owner_id": null, "source": "import"}}\t{now}\t{now}\t\\N\n' for pk in ids))
        return time.perf_counter() - started


def contacts(args: argparse.Namespace) -> None:
    tag = "b" + uuid.uuid4().hex[:8]
    data = contacts_csv(args.csv_rows, tag)
    events = table_exists("events_event")
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM events_event" if events else "SELECT 0")
        events_before = cursor.fetchone()[0]
    print(f"csv import of {args.csv_rows:,} new contacts (5,000 new companies), chunks of "
          f"{import_actions.chunk_rows():,} rows, {load()}")
    try:
        raw1 = raw_contact_copy(args.csv_rows, tag + "r", events)
        started = time.perf_counter()
        report = do_import(kind="contacts", stream=io.BytesIO(data), filename="bench.csv")
        took = time.perf_counter() - started
        assert not report.errors and not report.file_error and report.created == args.csv_rows, report.errors[:3]
        raw2 = raw_contact_copy(args.csv_rows, tag + "s", events)
    finally:
        with connection.cursor() as cursor:
            mine = "SELECT id FROM crm_contact WHERE email LIKE %s"
            cursor.execute(f"DELETE FROM crm_lifecycletransition WHERE contact_id IN ({mine})", [f"%@{tag}%.example.org"])
            cursor.execute("DELETE FROM crm_contact WHERE email LIKE %s", [f"%@{tag}%.example.org"])
            cursor.execute("DELETE FROM crm_company WHERE domain LIKE %s", [f"{tag}%.example.org"])
            if events:
                cursor.execute("SELECT count(*) FROM events_event WHERE id > %s AND kind = 'contact.created'",
                               [events_before])
                print(f"  contact.created events written (import and raw COPY): {cursor.fetchone()[0]:,}")
                cursor.execute("DELETE FROM events_event WHERE id > %s AND kind LIKE 'contact.%%'", [events_before])
    raw = args.csv_rows / ((raw1 + raw2) / 2)
    print(f"  raw COPY (contacts, transitions{', events' if events else ''}): {args.csv_rows / raw1:,.0f} and {args.csv_rows / raw2:,.0f} rows/s")
    print(f"  import:   {args.csv_rows / took:,.0f} rows/s = {args.csv_rows / took / raw:.2f} of raw COPY "
          f"({took:.1f} s), {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("touchpoints", "contacts"))
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--csv-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk-rows", type=int, default=None, help="rows per import chunk (default: the app's)")
    args = parser.parse_args()
    if args.chunk_rows:
        import_actions.CHUNK_ROWS = args.chunk_rows
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL with the demo company loaded.")
    if args.only != "contacts":
        touchpoints(args)
    if args.only != "touchpoints":
        contacts(args)


if __name__ == "__main__":
    main()
