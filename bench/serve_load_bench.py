"""Load held: 100 concurrent API clients for 60 s against the production server, then the rescoring backlog.

    .venv/bin/python bench/serve_load_bench.py --database postgres   # DATABASE_URL names the server (any database)
    .venv/bin/python bench/serve_load_bench.py --database sqlite

Builds a fresh database (PostgreSQL: drops and creates `plumbline_serveload` on the server of DATABASE_URL, or
postgres://postgres@127.0.0.1:5432/; SQLite: a file in a temporary data directory), migrates it, loads a small
demo company, then starts `plumbline serve --with-worker` (gunicorn with 2 x cores + 1 processes of 4 threads)
and drives N clients (threads with keep-alive sessions) for S seconds. Each client loops over a mix of reads
(contact list, one contact, its score, its timeline, the deal list, the lead queue, the lead-quality report) and,
one request in four, a touchpoint batch of 10 rows tagged with this run's marker. Then it counts errors (any
status >= 400 or a failed connection), compares rows acknowledged (201 answers) with rows in the database,
prints p50/p95 per kind and throughput, and times how long the worker takes to drain the rescoring tasks after
the load stops. Not a test: run by hand, results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
READS = [
    ("contacts", "/api/v1/contacts?limit=50"),
    ("contact", "/api/v1/contacts/{contact}"),
    ("score", "/api/v1/contacts/{contact}/score"),
    ("timeline", "/api/v1/contacts/{contact}/timeline"),
    ("deals", "/api/v1/deals?limit=50"),
    ("queue", "/api/v1/handoff/queue"),
    ("lead_quality", "/api/v1/reports/lead-quality"),
]
KINDS = ["page_view", "email_click", "form_submit", "pricing_view", "content_download"]
CHANNELS = ["email", "seo", "paid_search", "paid_social"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Database:
    """The fresh database of this run, and plain SQL against it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.data_dir = Path(tempfile.mkdtemp(prefix="plumbline-serveload-"))
        self.env = {**os.environ, "PLUMBLINE_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1"}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        if kind == "postgres":
            import psycopg

            server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/plumbline").rsplit("/", 1)[0]
            with psycopg.connect(server + "/postgres", autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS plumbline_serveload WITH (FORCE)")
                conn.execute("CREATE DATABASE plumbline_serveload")
            self.env["DATABASE_URL"] = server + "/plumbline_serveload"
        else:
            self.env.pop("DATABASE_URL", None)

    def query(self, sql: str, *params: object) -> list[tuple]:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"]) as conn:
                return conn.execute(sql, params).fetchall()
        with sqlite3.connect(self.data_dir / "plumbline.sqlite3", timeout=60) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "plumbline.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"plumbline {args[0]} failed:\n{done.stderr[-2000:]}")
        return done.stdout


class Stats:
    """Latencies per kind, errors by kind and cause, rows acknowledged; shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.acknowledged = 0

    def record(self, kind: str, seconds: float, error: str | None = None, rows: int = 0) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors[f"{kind}: {error}"] += 1
            self.acknowledged += rows


def client(base: str, token: str, contacts: list[int], marker: str, stop: threading.Event, stats: Stats,
           seed: int) -> None:
    rnd = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while not stop.is_set():
        write = rnd.random() < 0.25
        body = None
        if write:
            kind, method, url = "batch", "POST", base + "/api/v1/touchpoints/batch"
            body = {"items": [{"contact_id": rnd.choice(contacts), "kind": rnd.choice(KINDS),
                               "channel": rnd.choice(CHANNELS), "utm_campaign": marker} for _ in range(10)]}
        else:
            kind, path = rnd.choice(READS)
            method, url = "GET", base + path.format(contact=rnd.choice(contacts))
        started = time.perf_counter()
        try:
            response = session.request(method, url, json=body, timeout=60)
        except requests.RequestException as exc:
            stats.record(kind, time.perf_counter() - started, error=f"{type(exc).__name__} {str(exc)[-90:]}")
            continue
        took = time.perf_counter() - started
        if response.status_code >= 400:
            stats.record(kind, took, error=str(response.status_code))
        else:
            stats.record(kind, took, rows=len(response.json()["ids"]) if write else 0)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def backlog(db: Database) -> int:
    (n,), = db.query("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')")
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["postgres", "sqlite"], required=True)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--contacts", type=int, default=500, help="size of the demo company")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    db = Database(args.database)
    print(f"database: {args.database}; cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    db.cli("migrate", "-v", "0")
    db.cli("demo", "--contacts", str(args.contacts), "--no-progress")
    token = db.cli("shell", "-c", (
        "from plumbline.accounts.actions import do_create_api_token, do_create_user; "
        "u = do_create_user(username='loadbench', password=None, role='admin'); print(do_create_api_token(user=u)[1])"
    )).strip().splitlines()[-1]
    contacts = [row[0] for row in db.query("SELECT id FROM crm_contact ORDER BY id")]
    before_tasks = backlog(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (db.data_dir / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "plumbline.cli", "serve", "--with-worker", "--port", str(port),
         "--workers", str(args.workers), "--threads", str(args.threads)],
        env=db.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        run(args, db, base, token, contacts, before_tasks)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        print(f"server log: {db.data_dir / 'serve.log'}")


def run(args: argparse.Namespace, db: Database, base: str, token: str, contacts: list[int], before: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not answer within 120 s")
        time.sleep(0.5)
    # Warm every gunicorn process (imports on first request) before the clock starts.
    for _ in range(args.workers * 4):
        requests.get(base + "/api/v1/contacts?limit=1", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    print(f"demo: {len(contacts):,} contacts; tasks waiting before the load: {before}; "
          f"server: {args.workers} gunicorn processes x {args.threads} threads, with worker and scheduler")

    marker = "loadbench-" + uuid.uuid4().hex[:8]
    stats, stop = Stats(), threading.Event()
    threads = [threading.Thread(target=client, args=(base, token, contacts, marker, stop, stats, n), daemon=True)
               for n in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    load_end = time.monotonic()

    (rows,), = db.query("SELECT count(*) FROM marketing_touchpoint WHERE utm_campaign = %s", marker)
    waiting = backlog(db)
    while backlog(db) and time.monotonic() - load_end < 900:
        time.sleep(0.5)
    drained = time.monotonic() - load_end
    left = backlog(db)
    failed = db.query("SELECT task_path, count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED' "
                      "GROUP BY task_path")

    everything = [s for values in stats.latencies.values() for s in values]
    print(f"{args.clients} clients for {elapsed:.1f} s: {len(everything):,} requests = {len(everything) / elapsed:,.1f}/s; "
          f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"errors: {sum(stats.errors.values())} {dict(stats.errors) or ''}")
    print(f"touchpoint rows acknowledged: {stats.acknowledged:,}; in the database: {rows:,}; "
          f"{'equal' if rows == stats.acknowledged else 'DIFFERENT'}")
    print(f"{'kind':<14}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}")
    for kind, values in sorted(stats.latencies.items()):
        print(f"{kind:<14}{len(values):>10,}{pct(values, 50):>10.0f}{pct(values, 95):>10.0f}")
    print(f"{'all':<14}{len(everything):>10,}{pct(everything, 50):>10.0f}{pct(everything, 95):>10.0f}")
    print(f"tasks waiting when the load stopped: {waiting:,}; drained in {drained:.1f} s"
          + (f" (NOT drained: {left} left)" if left else ""))
    print(f"failed tasks: {failed or 'none'}")
    print(json.dumps({
        "database": args.database, "clients": args.clients, "seconds": round(elapsed, 1), "requests": len(everything),
        "throughput": round(len(everything) / elapsed, 1), "errors": sum(stats.errors.values()),
        "acknowledged": stats.acknowledged, "rows": rows, "p50_ms": round(pct(everything, 50)),
        "p95_ms": round(pct(everything, 95)), "backlog": waiting, "drain_s": round(drained, 1), "left": left,
    }))


if __name__ == "__main__":
    main()
