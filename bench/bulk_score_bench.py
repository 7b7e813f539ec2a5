"""Full rescore of every contact, results written back, beside an Odoo-style naive-Bayes scoring of the same contacts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_bench .venv/bin/python bench/bulk_score_bench.py

Needs the demo company loaded (`plumbline demo --contacts 1000000`). Runs the set-based rescore three times:
1. every contact recomputed from its events, every score inserted (the first run);
2. every contact recomputed from its events again, every score updated (`--full`, as after new definitions);
3. the nightly rescore one day later: contacts with nothing new decayed in place, fit recomputed, changed scores
   written back.
Existing scores are deleted first; between runs the score tables are vacuumed, as autovacuum would between nights.
Then times the naive-Bayes baseline fitted and applied to the same contacts' fields (Odoo's per-field frequency
tables with +0.1 smoothing), and prints the ratios.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402

django.setup()

import pandas as pd  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from plumbline.scoring.bulk import bulk_rescore  # noqa: E402
from plumbline.scoring.predictive import NaiveBayes  # noqa: E402


def naive_bayes_seconds() -> tuple[float, int]:
    """Read the same contacts' fields and label, fit and apply the Odoo-style naive Bayes."""
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT co.industry, co.country, c.source, c.title, "
            "CASE WHEN c.lifecycle_stage IN ('customer', 'evangelist') THEN 1 ELSE 0 END "
            "FROM crm_contact c LEFT JOIN crm_company co ON co.id = c.company_id"
        )
        frame = pd.DataFrame(cur.fetchall(), columns=["industry", "country", "source", "title", "won"])
    model = NaiveBayes().fit(frame.drop(columns="won"), frame["won"].to_numpy())
    model.predict_proba(frame.drop(columns="won"))
    return time.perf_counter() - started, len(frame)


def vacuum() -> None:
    """What autovacuum does between two nightly runs (this machine's PostgreSQL runs with autovacuum off): without
    it every run leaves a million dead score rows for the next one to step over."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM ANALYZE scoring_contactscore, scoring_scorehistory")
        else:
            cur.execute("ANALYZE")


def main() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM crm_contact), (SELECT count(*) FROM marketing_touchpoint)")
        contacts, touchpoints = cur.fetchone()
    print(f"{connection.vendor}: {contacts:,} contacts, {touchpoints:,} touchpoints")
    with connection.cursor() as cur:  # start from no scores, so the first run inserts them
        for table in ("scoring_scorehistory", "scoring_contactscore", "scoring_rescorerun"):
            cur.execute(f"DELETE FROM {table}")
    vacuum()
    now = timezone.now()
    runs = [("from events, first run (insert)", now, True), ("from events again (update, --full)", now, True),
            ("nightly, one day later (decay in place)", now + dt.timedelta(days=1), False)]
    seconds = {}
    for label, at, full in runs:
        started = time.perf_counter()
        result = bulk_rescore(now=at, full=full)
        seconds[label] = time.perf_counter() - started
        vacuum()
        print(f"bulk rescore, {label}: {seconds[label]:.1f} s ({result.scored:,} scored, "
              f"{result.recomputed:,} recomputed from events, {result.changed:,} changed, "
              f"{len(result.to_promote):,} to promote)")
    nb_seconds, rows = naive_bayes_seconds()
    print(f"naive Bayes fit + score of {rows:,} contacts: {nb_seconds:.1f} s")
    for label, value in seconds.items():
        print(f"  {label} / naive Bayes = {value / nb_seconds:.1f}x")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
