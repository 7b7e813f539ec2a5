"""Incremental scoring: the time to update one contact's scores after a touchpoint arrives.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_bench .venv/bin/python bench/incremental_score_bench.py

Needs the demo company loaded (`plumbline demo --contacts 1000000`). For each of N random contacts (default 500,
`--samples`), records one page view through `do_record_touchpoints` (as the API does) and then times what the
worker's `process_contacts` task does for that contact: `do_score_and_route` (fit, engagement over all of the
contact's touchpoints and activities with decay and caps, score and history written, the MQL rule and routing).
Prints p50, p95 and p99 of that update, and of the touchpoint write alone (which also queues the rescore task,
as in production; the bench runs the update itself instead of a worker). The touchpoints are removed afterwards
and the contacts rescored, so the database is left as it was (apart from score history rows).
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

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from plumbline.crm.models import Contact  # noqa: E402
from plumbline.handoff.actions import do_score_and_route  # noqa: E402
from plumbline.marketing.actions import do_record_touchpoints  # noqa: E402
from plumbline.marketing.models import Touchpoint  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
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
    writes, updates, events = [], [], []
    created: list[int] = []
    for _ in range(20):  # warm caches (definitions, model lookup) outside the measurement
        do_score_and_route(contact=Contact.objects.get(pk=ids[0]), reason="bench")
    for contact_id in ids:
        started = time.perf_counter()
        tps = do_record_touchpoints(items=[{"contact_id": contact_id, "kind": "page_view", "channel": "seo",
                                            "occurred_at": timezone.now().isoformat()}])
        wrote = time.perf_counter()
        contact = Contact.objects.get(pk=contact_id)
        do_score_and_route(contact=contact, reason="bench")
        done = time.perf_counter()
        created += [tp.pk for tp in tps]
        writes.append((wrote - started) * 1000)
        updates.append((done - wrote) * 1000)
        events.append(Touchpoint.objects.filter(contact_id=contact_id).count())
    print(f"touchpoints per sampled contact: median {statistics.median(events):.0f}, max {max(events)}")
    for label, values in (("incremental score update (do_score_and_route)", updates),
                          ("touchpoint write (do_record_touchpoints, 1 item)", writes)):
        print(f"{label}: p50 {percentile(values, 50):.2f} ms, p95 {percentile(values, 95):.2f} ms, "
              f"p99 {percentile(values, 99):.2f} ms")
    Touchpoint.objects.filter(pk__in=created).delete()
    for contact in Contact.objects.filter(pk__in=ids):
        do_score_and_route(contact=contact, reason="bench cleanup")


if __name__ == "__main__":
    main()
