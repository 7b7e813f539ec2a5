"""The alignment loop's latency under a sustained stream: touchpoint committed -> contact rescored -> routed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_loop_bench .venv/bin/python -m plumbline.cli migrate
    DATABASE_URL=... .venv/bin/python -m plumbline.cli demo --contacts 40000 --touchpoints-per-contact 5
    DATABASE_URL=... .venv/bin/python bench/loop_latency_bench.py --rate 1000 --seconds 30

Starts `--workers` (default 1) `plumbline worker` processes on the database, then records touchpoints through
`do_record_touchpoints` (what `POST /api/v1/touchpoints/batch` calls), `--rate` a second (default 1,000) for
`--seconds` (default 30), in transactions of `--batch` (default 10) on a fixed schedule, each touchpoint for a
different contact (so a contact's score has exactly one touchpoint to answer for); one in `--hot` (default 10) is
a demo request, the rest page views. The commit time of each batch is taken when the action returns.

The outcome is read from the database, whichever path produced it (today a queued `process_contacts` task; once
the loop runs on the change feed, the scoring and handoff consumers): for each touched contact, the time from its
touchpoint's commit to `ContactScore.computed_at` (the rescore; set as the rescore starts, so it is early by the
rescore's own few milliseconds), and for contacts routed in the run, to `Assignment.assigned_at`. The queue must be
empty at the start (`--clear-queue` deletes what a previous run left behind). Waits up to
`--drain` seconds (default 120) after the stream for every touched contact to be rescored, then stops the workers
and prints p50/p95/p99/max of both, the rate actually sent, and one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.compat import TaskResultStatus  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from plumbline.accounts.models import User  # noqa: E402
from plumbline.crm.models import Contact  # noqa: E402
from plumbline.handoff.models import Assignment  # noqa: E402
from plumbline.marketing.actions import do_record_touchpoints  # noqa: E402
from plumbline.scoring.models import ContactScore  # noqa: E402
from plumbline.worker.models import WorkerLease  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def start_workers(count: int, extra: list[str]) -> list[subprocess.Popen]:
    before = WorkerLease.objects.count()
    workers = [
        subprocess.Popen([sys.executable, "-m", "plumbline.cli", "worker", "--no-reload", *extra], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(count)
    ]
    deadline = time.monotonic() + 60
    while WorkerLease.objects.count() < before + count:  # each worker holds a lease once it polls the queue
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start within 60 s")
        time.sleep(0.2)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


def pick_contacts(count: int, seed: int) -> list[int]:
    """Contacts with no open assignment, in random order."""
    routed = set(Assignment.objects.filter(status=Assignment.Status.OPEN).values_list("contact_id", flat=True))
    ids = [pk for pk in Contact.objects.values_list("pk", flat=True) if pk not in routed]
    if len(ids) < count:
        raise SystemExit(f"needs {count:,} contacts without an open assignment, the database has {len(ids):,}")
    random.Random(seed).shuffle(ids)
    return ids[:count]


def stream(contacts: list[int], *, rate: float, batch: int, hot: int) -> tuple[dict[int, dt.datetime], float]:
    """Record one touchpoint per contact at `rate` a second; the commit time of each contact's touchpoint."""
    committed: dict[int, dt.datetime] = {}
    interval = batch / rate
    started = time.monotonic()
    for n, start in enumerate(range(0, len(contacts), batch)):
        due = started + n * interval
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        chunk = contacts[start:start + batch]
        now = timezone.now().isoformat()
        items = [{"contact_id": pk, "kind": "demo_request" if (start + i) % hot == 0 else "page_view",
                  "channel": "seo", "occurred_at": now} for i, pk in enumerate(chunk)]
        do_record_touchpoints(items=items)  # one transaction: it has committed when the action returns
        done = timezone.now()
        committed.update(dict.fromkeys(chunk, done))
    return committed, time.monotonic() - started


def wait_for_rescores(committed: dict[int, dt.datetime], limit: float) -> dict[int, dt.datetime]:
    deadline = time.monotonic() + limit
    while True:
        scored = dict(ContactScore.objects.filter(contact_id__in=list(committed)).values_list("contact_id", "computed_at"))
        done = {pk: at for pk, at in scored.items() if at >= committed[pk]}
        if len(done) == len(committed) or time.monotonic() > deadline:
            return done
        time.sleep(1)


def summary(name: str, seconds: list[float]) -> dict[str, float]:
    figures = {"n": len(seconds), "p50": percentile(seconds, 50), "p95": percentile(seconds, 95),
               "p99": percentile(seconds, 99), "max": max(seconds, default=float("nan"))}
    print(f"  {name:<24} n={figures['n']:>6,}  p50 {figures['p50']:6.3f} s  p95 {figures['p95']:6.3f} s  "
          f"p99 {figures['p99']:6.3f} s  max {figures['max']:6.3f} s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="Touchpoints a second (default 1,000).")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=10, help="Touchpoints per transaction (default 10).")
    parser.add_argument("--hot", type=int, default=10, help="One touchpoint in HOT is a demo request (default 10).")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-args", default="", help="Extra arguments for `plumbline worker`, e.g. '--interval 0.2'.")
    parser.add_argument("--drain", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--unlimited-capacity", action="store_true",
                        help="Lift every rep's lead capacity (a scratch database), so each new MQL is routed.")
    parser.add_argument("--clear-queue", action="store_true",
                        help="Delete tasks waiting in the queue first (a scratch database's leftovers of a run).")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("the loop bench runs on PostgreSQL (DATABASE_URL=postgres://...)")
    if args.unlimited_capacity:
        User.objects.filter(role__in=["sales", "sales_manager"]).update(capacity=1_000_000)
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    if args.clear_queue:
        waiting.delete()
    elif waiting.exists():
        raise SystemExit(f"{waiting.count():,} tasks wait in the queue: the workers would run them first "
                         "(--clear-queue deletes them)")
    contacts = pick_contacts(int(args.rate * args.seconds), args.seed)
    workers = start_workers(args.workers, args.worker_args.split())
    try:
        began = timezone.now()
        committed, took = stream(contacts, rate=args.rate, batch=args.batch, hot=args.hot)
        sent = len(committed) / took
        print(f"sent {len(committed):,} touchpoints in {took:.1f} s ({sent:,.0f}/s) to {args.workers} worker(s); "
              f"load {os.getloadavg()[0]:.2f}")
        scored = wait_for_rescores(committed, args.drain)
    finally:
        stop_workers(workers)
    assigned = dict(Assignment.objects.filter(contact_id__in=list(committed), assigned_at__gte=began)
                    .values_list("contact_id", "assigned_at"))
    rescore = summary("commit -> rescored", [(at - committed[pk]).total_seconds() for pk, at in scored.items()])
    routed = summary("commit -> assigned", [(at - committed[pk]).total_seconds() for pk, at in assigned.items()])
    missing = len(committed) - len(scored)
    if missing:
        print(f"  {missing:,} contacts were not rescored within {args.drain:.0f} s of the stream's end")
    print(json.dumps({"sent": len(committed), "sent_per_s": round(sent), "workers": args.workers,
                      "worker_args": args.worker_args, "rescored": rescore, "assigned": routed,
                      "not_rescored": missing, "load": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
