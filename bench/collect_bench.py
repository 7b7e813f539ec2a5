"""The collect endpoint under load, beside this machine's raw limits measured in the same run, then processing.

    .venv/bin/python bench/collect_bench.py                       # PostgreSQL (DATABASE_URL's server), 20 s
    .venv/bin/python bench/collect_bench.py --database sqlite --seconds 10

1. A fresh database (PostgreSQL: `plumbline_c_tracking_bench` on DATABASE_URL's server; SQLite: a temporary file),
   migrated; one registered site.
2. `plumbline serve` (gunicorn, --workers W --threads T, access log to /dev/null) on a free port.
3. Load: C keep-alive connections from one asyncio client process (raw HTTP/1.1, requests prepared in advance),
   each posting batches of B page views of a random visitor (2,000 visitors) for S seconds. Reported: requests
   and events acknowledged (202) per second, p50/p95/p99 latency, errors; then rows in the table == events acked.
4. Raw limits, the same way in the same run: the same client against a Django view that does nothing but answer
   304 (/t.js with its ETag: the whole middleware stack, no database), and the same rows inserted straight into
   the database from C threads with a psycopg (or sqlite3) connection each (one INSERT ... ON CONFLICT DO NOTHING
   of B rows, its own transaction in autocommit, as the endpoint's), with no HTTP and no Django.
5. Processing: every visitor made known (a contact each through crm's action, a Visitor row each), every hit marked
   pending, then `do_process_hits` until none is left (hits -> touchpoints with their events) beside the raw
   insert of the same number of touchpoints with `bulk.insert_rows`.
Not a test: run by hand on an otherwise loaded machine; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "https://www.acme.test"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
BENCH_DB = "plumbline_c_tracking_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup(kind: str) -> dict[str, str]:
    data = Path(tempfile.mkdtemp(prefix="plumbline-collect-"))
    env = {**os.environ, "PLUMBLINE_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if kind == "postgres":
        import psycopg

        server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x").rsplit("/", 1)[0]
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        env["DATABASE_URL"] = f"{server}/{BENCH_DB}"
    else:
        env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "plumbline.cli", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    return env


def shell(env: dict[str, str], code: str) -> str:
    done = subprocess.run([sys.executable, "-m", "plumbline.cli", "shell", "-c", code], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def batch_body(key: str, visitors: list[str], size: int) -> bytes:
    now = int(time.time() * 1000)
    return json.dumps({"site": key, "visitor": random.choice(visitors), "session": secrets.token_urlsafe(16),
                       "referrer": "https://www.google.com/", "events": [
                           {"id": secrets.token_urlsafe(12), "kind": "page_view", "ts": now,
                            "url": f"https://www.acme.test/page/{random.randrange(50)}", "title": "A page"}
                           for _ in range(size)]}).encode()


def request_bytes(port: int, method: str, path: str, body: bytes = b"", extra: str = "") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\nUser-Agent: {UA}\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n{extra}Connection: keep-alive\r\n\r\n")
    return head.encode() + body


async def _connection(port: int, make: callable, until: float, latencies: list[float], statuses: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            payload = make()
            start = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except (ConnectionError, asyncio.IncompleteReadError):
        statuses["conn_error"] = statuses.get("conn_error", 0) + 1
    finally:
        writer.close()


def load(port: int, make: callable, *, connections: int, seconds: float) -> tuple[list[float], dict, float]:
    latencies: list[float] = []
    statuses: dict = {}

    async def run() -> float:
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_connection(port, make, until, latencies, statuses) for _ in range(connections)))
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    return latencies, statuses, elapsed


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def raw_insert(env: dict[str, str], kind: str, site_id: int, visitors: list[str], size: int, seconds: float,
               connections: int) -> float:
    """Events/s of an INSERT ... ON CONFLICT DO NOTHING of `size` rows per batch, committed (autocommit), straight from psycopg (or sqlite3) in `connections` threads: no HTTP, no Django."""
    import threading

    cols = ("site_id", "event_id", "visitor_id", "session_id", "kind", "url", "path", "title", "referrer",
            "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "name", "props", "ua_family", "bot",
            "bot_reason", "ip_hash", "occurred_at", "received_at")
    mark = "?" if kind == "sqlite" else "%s"
    row_marks = "(" + ", ".join([mark] * len(cols)) + ")"
    sql = (f"INSERT INTO tracking_hit ({', '.join(cols)}) VALUES {', '.join([row_marks] * size)} "
           "ON CONFLICT (site_id, event_id) DO NOTHING")
    counts = [0] * connections

    def rows() -> list:
        now = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime())
        out = []
        for _ in range(size):
            out += [site_id, secrets.token_urlsafe(12), random.choice(visitors), secrets.token_urlsafe(16),
                    "page_view", "https://www.acme.test/page/1", "/page/1", "A page", "https://www.google.com/",
                    "", "", "", "", "", "", "{}", "Chrome", "", "", "0" * 32, now, now]
        return out

    def run(i: int, until: float) -> None:
        if kind == "sqlite":
            import sqlite3

            conn = sqlite3.connect(Path(env["PLUMBLINE_DATA_DIR"]) / "plumbline.sqlite3", timeout=30,
                                   isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            while time.perf_counter() < until:
                conn.execute(sql, rows())  # autocommit: the statement is its own transaction
                counts[i] += size
        else:
            import psycopg

            with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
                while time.perf_counter() < until:
                    conn.execute(sql, rows())  # autocommit: the statement is its own transaction, as collect's
                    counts[i] += size

    until = time.perf_counter() + seconds
    threads = [threading.Thread(target=run, args=(i, until)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


PROCESS = """
import time, json
from django.db import transaction
from django.utils import timezone
from plumbline.core import bulk
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact
from plumbline.marketing.actions import COLUMNS
from plumbline.marketing.models import Touchpoint
from plumbline.tracking.actions import do_process_hits
from plumbline.tracking.models import Hit, Visitor
visitors = sorted(set(Hit.objects.values_list("visitor_id", flat=True)))
with transaction.atomic():
    for i, v in enumerate(visitors):
        c = do_create_contact(email=f"visitor{i}@bench.test")
        Visitor.objects.create(visitor_id=v, contact=c, source="bench", identified_at=timezone.now())
Hit.objects.update(processed_at=None)
pending = Hit.objects.count()
start = time.perf_counter()
done = 0
while (n := do_process_hits()):
    done += n
took = time.perf_counter() - start
made = Touchpoint.objects.count()
# the raw limit: the same number of touchpoint rows written straight with the bulk writer, 5,000 a transaction
contacts = list(Contact.objects.values_list("pk", flat=True))
now = timezone.now()
rows = [(contacts[i % len(contacts)], None, "seo", "page_view", "google.com", "", "", "", "", "/page/1", now, 0, now)
        for i in range(made)]
start = time.perf_counter()
for s in range(0, len(rows), 5000):
    with transaction.atomic():
        bulk.insert_rows(Touchpoint, COLUMNS, rows[s:s + 5000])
raw = time.perf_counter() - start
print(json.dumps({"hits": done, "touchpoints": made, "seconds": took, "raw_seconds": raw}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batch", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    env = setup(args.database)
    site = json.loads(shell(env, "import json; from plumbline.tracking.actions import do_create_site; "
                                 f"s = do_create_site(name='Bench', origins='{ORIGIN}'); "
                                 "print(json.dumps([s.pk, s.key]))"))
    site_id, key = site
    visitors = [secrets.token_urlsafe(16) for _ in range(2000)]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "plumbline.cli", "serve", "--port", str(port), "--workers", str(args.workers),
         "--threads", str(args.threads)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/t.js", timeout=2) as r:
                    etag = r.headers["ETag"]
                break
            except OSError:
                time.sleep(0.2)
        print(f"load average before: {os.getloadavg()}")
        print(f"database {args.database}; server: plumbline serve --workers {args.workers} --threads {args.threads};"
              f" client: {args.connections} keep-alive connections, batches of {args.batch} events, {args.seconds} s")
        noop = request_bytes(port, "GET", "/t.js", extra=f"If-None-Match: {etag}\r\n")
        lat, st, el = load(port, lambda: noop, connections=args.connections, seconds=args.seconds / 2)
        print(f"raw Django (304, no database): {len(lat) / el:,.0f} req/s  p50 {pct(lat, 50):.1f} ms  "
              f"p95 {pct(lat, 95):.1f} ms  statuses {st}")
        bodies = [batch_body(key, visitors, args.batch) for _ in range(200_000 // args.batch)]
        it = iter(bodies)
        lat, st, el = load(port, lambda: request_bytes(port, "POST", "/t/collect", next(it)),
                           connections=args.connections, seconds=args.seconds)
        acked = st.get(202, 0) * args.batch
        print(f"collect: {st.get(202, 0) / el:,.0f} req/s = {acked / el:,.0f} events/s  p50 {pct(lat, 50):.1f} ms  "
              f"p95 {pct(lat, 95):.1f} ms  p99 {pct(lat, 99):.1f} ms  statuses {st}  load {os.getloadavg()}")
        stored = int(shell(env, "from plumbline.tracking.models import Hit; print(Hit.objects.count())"))
        print(f"rows stored {stored:,} == events acknowledged {acked:,}: {stored == acked}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    raw = raw_insert(env, args.database, site_id, visitors, args.batch, args.seconds / 2, args.connections)
    print(f"raw insert ({args.connections} connections, {args.batch} rows + commit each, no HTTP, no Django): "
          f"{raw:,.0f} events/s  load {os.getloadavg()}")
    result = json.loads(shell(env, PROCESS))
    print(f"processing: {result['hits']:,} hits -> {result['touchpoints']:,} touchpoints in {result['seconds']:.1f} s"
          f" = {result['hits'] / result['seconds']:,.0f} hits/s; raw touchpoint insert "
          f"{result['touchpoints'] / result['raw_seconds']:,.0f} rows/s  load {os.getloadavg()}")


if __name__ == "__main__":
    main()
