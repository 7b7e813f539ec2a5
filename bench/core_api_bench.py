"""Latency of the core API and pages on a loaded database, measured through a real gunicorn server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_bench .venv/bin/python bench/core_api_bench.py

Needs a database with the demo company (`plumbline demo --contacts 1000000`). Prints p50/p95 per
request kind and touchpoint batch ingest rows/s. Not a test: run by hand, results go to docs/benchmarks.md.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from plumbline.accounts.actions import do_create_api_token  # noqa: E402
from plumbline.accounts.models import User  # noqa: E402
from plumbline.crm.models import Contact  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "plumbline.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", "2", "--threads", "2", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=os.environ.copy())
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def session_cookie(user: User) -> str:
    s = SessionStore()
    s[SESSION_KEY], s[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.save()
    return f"{settings.SESSION_COOKIE_NAME}={s.session_key}"


def timed(conn: http.client.HTTPConnection, method: str, path: str, headers: dict, body: bytes | None = None):
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    elapsed = (time.perf_counter() - start) * 1000
    if resp.status >= 400:
        raise SystemExit(f"{method} {path} -> {resp.status}: {data[:300]!r}")
    return elapsed, data


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        raise SystemExit("Load the demo company first: plumbline demo --contacts N")
    _, token = do_create_api_token(user=admin, name="bench")
    api = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    page = {"Cookie": session_cookie(admin)}
    max_id = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    n_contacts = Contact.objects.count()
    emails = list(Contact.objects.order_by("?").values_list("email", flat=True)[:2000]) if n_contacts < 50_000 else [
        Contact.objects.filter(pk__gte=random.randint(1, max_id)).values_list("email", flat=True).first()
        for _ in range(2000)
    ]
    prefixes = [e[:3] for e in emails if e][:REQUESTS]
    rng = random.Random(7)
    port = free_port()
    server = start_server(port)
    results: dict[str, list[float]] = {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(20):  # warm up both workers
            timed(conn, "GET", "/api/v1/contacts?limit=50", api)
        kinds = {
            "API read one contact": lambda i: ("GET", f"/api/v1/contacts/{rng.randint(1, max_id)}", api),
            "API list contacts (sorted, page 1)": lambda i: ("GET", "/api/v1/contacts?limit=50&sort=-updated_at", api),
            # no sort: a search's default order is newest id first (see the API description of /contacts)
            "API search contacts (3-letter prefix)": lambda i: ("GET", f"/api/v1/contacts?q={prefixes[i % len(prefixes)]}&limit=50", api),
            "API search, sort=-updated_at": lambda i: ("GET", f"/api/v1/contacts?q={prefixes[i % len(prefixes)]}&limit=50&sort=-updated_at", api),
            "API filter by lifecycle stage": lambda i: ("GET", "/api/v1/contacts?lifecycle_stage=mql&limit=50", api),
            "Contacts page (HTML)": lambda i: ("GET", "/contacts/", page),
            "Contacts page search (HTML)": lambda i: ("GET", f"/contacts/?q={prefixes[i % len(prefixes)]}", page),
        }
        for name, make in kinds.items():
            samples = []
            for i in range(REQUESTS):
                method, path, headers = make(i)
                try:
                    samples.append(timed(conn, method, path, headers)[0])
                except SystemExit as exc:
                    if "404" in str(exc):  # a deleted id: try the next
                        continue
                    raise
            results[name] = samples
        batches, size = 20, 1000
        total = 0.0
        for b in range(batches):
            items = [{"contact_email": emails[(b * size + i) % len(emails)], "kind": "page_view", "channel": "seo",
                      "occurred_at": "2026-11-01T10:00:00Z"} for i in range(size)]
            elapsed, _ = timed(conn, "POST", "/api/v1/touchpoints/batch", api, json.dumps({"items": items}).encode())
            total += elapsed
        ingest = batches * size / (total / 1000)
    finally:
        server.terminate()
        server.wait()
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, contacts: {n_contacts:,}, "
          f"requests per kind: {REQUESTS}, load average at the end: {os.getloadavg()[0]:.1f} "
          f"(the machine is shared; compare rows of one run, not runs)")
    print(f"{'request':42} {'p50 ms':>8} {'p95 ms':>8}")
    for name, samples in results.items():
        print(f"{name:42} {statistics.median(samples):8.1f} {pct(samples, 95):8.1f}")
    print(f"touchpoint batch ingest (1,000 per request, {batches} requests): {ingest:,.0f} rows/s")


if __name__ == "__main__":
    main()
