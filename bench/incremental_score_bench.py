"""Incremental scoring: the time to update one contact's scores after a touchpoint arrives.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_bench .venv/bin/python bench/incremental_score_bench.py

Needs the demo company loaded (`plumbline demo --contacts 1000000`) and scored (`plumbline score --all`). For
each of N random contacts (default 500, `--samples`), records one page view through `do_record_touchpoints` (as
the API does; it also queues the rescore task, as in production). Then runs what the worker's `process_contacts`
task does for those contacts, batch by batch (`--batch`, default 100): one transaction per batch, a savepoint per
contact, `do_score_and_route` for each (fit, engagement over all of the contact's touchpoints and activities with
decay and caps, score and history written, the MQL rule, routing when it promotes). Prints p50/p95/p99 of the
per-contact update, separately for updates that promote and route a lead (the demo leaves many contacts that
the MQL rule would promote: their first event routes them), of the batch commit divided by the batch size, and
of the touchpoint write alone.

The batches are rolled back, so no contact is promoted or routed by the bench; a last committed batch of score
updates (no promotion) measures the commit. The touchpoints are removed afterwards and the sampled contacts
rescored without promotion, so the database is left as it was (apart from score history rows).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from plumbline.crm.models import Contact  # noqa: E402
from plumbline.handoff.actions import do_score_and_route  # noqa: E402
from plumbline.marketing.actions import do_record_touchpoints  # noqa: E402
from plumbline.marketing.models import Touchpoint  # noqa: E402
from plumbline.scoring.actions import do_score_contact  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with connection.cursor() as cur:
        cur.execute("SELECT max(id), (SELECT count(*) FROM marketing_touchpoint) FROM crm_contact")
        max_id, touchpoints = cur.fetchone()
    rng = random.Random(args.seed)
    ids = []
    while len(ids) < args.samples:
        ids = sorted(set(ids) | {rng.randint(1, max_id) for _ in range(args.samples - len(ids))})
        ids = list(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True))
    print(f"{connection.vendor}: {touchpoints:,} touchpoints; {len(ids)} contacts sampled")
    writes: list[float] = []
    created: list[int] = []
    for _ in range(20):  # warm caches (definitions, model lookup) outside the measurement
        with transaction.atomic():
            do_score_and_route(contact=Contact.objects.get(pk=ids[0]), reason="bench")
            transaction.set_rollback(True)
    for contact_id in ids:
        started = time.perf_counter()
        tps = do_record_touchpoints(items=[{"contact_id": contact_id, "kind": "page_view", "channel": "seo",
                                            "occurred_at": timezone.now().isoformat()}])
        writes.append((time.perf_counter() - started) * 1000)
        created += [tp.pk for tp in tps]
    events = [n for _, n in Touchpoint.objects.filter(contact_id__in=ids).values_list("contact_id").annotate(
        n=Count("id"))]
    updates, routed = [], []
    for start in range(0, len(ids), args.batch):
        with transaction.atomic():  # as process_contacts: one transaction per batch, a savepoint per contact
            for contact in Contact.objects.filter(pk__in=ids[start:start + args.batch]).order_by("pk"):
                began = time.perf_counter()
                with transaction.atomic():
                    assignment = do_score_and_route(contact=contact, reason="bench")
                (routed if assignment is not None else updates).append((time.perf_counter() - began) * 1000)
            transaction.set_rollback(True)
    commits = []
    for start in range(0, len(ids), args.batch):
        batch = list(Contact.objects.filter(pk__in=ids[start:start + args.batch]))
        began = time.perf_counter()
        with transaction.atomic():
            for contact in batch:
                with transaction.atomic():
                    do_score_contact(contact=contact, reason="bench", promote=False)
            before_commit = time.perf_counter()
        commits.append((time.perf_counter() - before_commit) * 1000 / len(batch))
    print(f"touchpoints per sampled contact: median {statistics.median(events):.0f}, max {max(events)}")
    for label, values in (("score update, no promotion (do_score_and_route)", updates),
                          ("score update that promotes and routes the lead", routed),
                          (f"batch commit per contact (batches of {args.batch})", commits),
                          ("touchpoint write (do_record_touchpoints, 1 item)", writes)):
        if values:
            print(f"{label}: n={len(values)}, p50 {percentile(values, 50):.2f} ms, "
                  f"p95 {percentile(values, 95):.2f} ms, p99 {percentile(values, 99):.2f} ms")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    Touchpoint.objects.filter(pk__in=created).delete()
    DBTaskResult.objects.filter(task_path__endswith="process_contacts", status="READY").delete()
    for contact in Contact.objects.filter(pk__in=ids):
        do_score_contact(contact=contact, reason="bench cleanup", promote=False)

if __name__ == "__main__":
    main()
