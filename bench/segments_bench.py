"""Segments at 1M contacts (issue 13, Speed): full evaluation beside a hand-written DuckDB query, the preview while
editing, and the incremental path from a touchpoint's commit to the membership the API shows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_bench .venv/bin/python -m plumbline.cli migrate
    DATABASE_URL=... .venv/bin/python -m plumbline.cli demo --contacts 1000000 --seed 1
    DATABASE_URL=... .venv/bin/python -m plumbline.cli score --all
    DATABASE_URL=... .venv/bin/python bench/segments_bench.py full [--runs 5] [--duck /tmp/plumbline_bench.duckdb]
    DATABASE_URL=... .venv/bin/python bench/segments_bench.py preview [--runs 30]
    DATABASE_URL=... .venv/bin/python bench/segments_bench.py incremental [--rate 1000 --seconds 30 --segments 50]

`full`: each predicate of FULL is parsed, compiled (plumbline.segments.predicate.compile.compile_predicate) and run
on the database as `Contact.objects.filter(q)`: its count, and its members' ids fetched (the materialisation a
rebuild reads), median of `--runs` each after one warm-up run. The limit, in the same run: a hand-written DuckDB
query per predicate over the same rows (contacts, scores, touchpoints, consent ledger, lifecycle transitions
copied from the database once into a DuckDB file, `--duck`; copied again when the database's rows changed), which
must give the same count. Prints both, the ratio, and one JSON line. `--explain` prints PostgreSQL's plan of each.

`preview`: PREVIEW, partial predicates as someone builds a segment, each `--runs` times in turn: the count and
the first 20 members (newest first), through plumbline.segments.queries.preview. Prints p50/p95/max per predicate and over all.

`incremental`: see `incremental()` below.

Not a test: run by hand on a scratch database, results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402
import duckdb  # noqa: E402  (the bench's own dependency, in the venv; not the app's)

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from plumbline.crm.models import Contact  # noqa: E402
from plumbline.segments.predicate.compile import compile_predicate  # noqa: E402
from plumbline.segments.predicate.schema import parse  # noqa: E402
from plumbline.segments.queries import preview as segments_preview  # noqa: E402

# ---- the predicates ----

# Full evaluation: segments as marketing would define them, each with its hand-written DuckDB twin. In the DuckDB
# queries $now and $d<n> (now - n days) are naive UTC timestamps, as the copied rows are.
FULL: dict[str, tuple[dict[str, Any], str]] = {
    "engaged_fit": (
        {
            "all": [
                {"touchpoints": {"kind": "page_view"}, "op": "gte", "value": 3, "within_days": 14},
                {"field": "score.fit_grade", "op": "in", "value": ["A", "B"]},
            ]
        },
        """SELECT s.contact_id FROM score s WHERE s.fit_grade IN ('A', 'B') AND s.contact_id IN (
               SELECT contact_id FROM tp WHERE kind = 'page_view' AND occurred_at BETWEEN $d14 AND $now
               GROUP BY contact_id HAVING count(*) >= 3)""",
    ),
    "mql_sql_email_consent": (
        {
            "all": [
                {"field": "lifecycle_stage", "op": "in", "value": ["mql", "sql"]},
                {"consent": {"channel": "email"}, "op": "granted"},
            ]
        },
        """SELECT c.id FROM contact c JOIN (
               SELECT contact_id, max_by(status, (occurred_at, id)) AS status FROM consent
               WHERE channel = 'email' AND subscription_id IS NULL GROUP BY contact_id) l ON l.contact_id = c.id
           WHERE c.lifecycle_stage IN ('mql', 'sql') AND l.status = 'granted'""",
    ),
    "leads_no_click_90d": (
        {
            "all": [
                {"field": "lifecycle_stage", "op": "in", "value": ["lead", "mql"]},
                {"touchpoints": {"kind": "email_click"}, "op": "eq", "value": 0, "within_days": 90},
            ]
        },
        """SELECT c.id FROM contact c WHERE c.lifecycle_stage IN ('lead', 'mql') AND c.id NOT IN (
               SELECT contact_id FROM tp WHERE kind = 'email_click' AND occurred_at BETWEEN $d90 AND $now)""",
    ),
    "ready_to_buy": (
        {
            "all": [
                {
                    "any": [
                        {"touchpoints": {"kind": "demo_request"}, "op": "gte", "value": 1, "within_days": 30},
                        {"touchpoints": {"kind": "pricing_view"}, "op": "gte", "value": 2, "within_days": 14},
                    ]
                },
                {"field": "lifecycle_stage", "op": "not_in", "value": ["customer", "disqualified"]},
            ]
        },
        """SELECT c.id FROM contact c WHERE c.lifecycle_stage NOT IN ('customer', 'disqualified') AND (
               c.id IN (SELECT contact_id FROM tp WHERE kind = 'demo_request' AND occurred_at BETWEEN $d30 AND $now)
               OR c.id IN (SELECT contact_id FROM tp WHERE kind = 'pricing_view' AND occurred_at BETWEEN $d14 AND $now
                           GROUP BY contact_id HAVING count(*) >= 2))""",
    ),
}

# Preview: what the builder asks while someone adds conditions one by one.
PREVIEW: dict[str, dict[str, Any]] = {
    "stage": {"field": "lifecycle_stage", "op": "in", "value": ["mql"]},
    "stage+fit": {
        "all": [
            {"field": "lifecycle_stage", "op": "in", "value": ["mql"]},
            {"field": "score.fit_grade", "op": "eq", "value": "A"},
        ]
    },
    "industry": {"field": "company.industry", "op": "eq", "value": "Software"},
    "email_contains": {"field": "email", "op": "contains", "value": "gmail"},
    "page_views_14d": {"touchpoints": {"kind": "page_view"}, "op": "gte", "value": 3, "within_days": 14},
    "page_views_14d+fit": FULL["engaged_fit"][0],
}


# ---- helpers ----


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")
    )


def load() -> float:
    return os.getloadavg()[0]


def timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def median_of(fn: Any, runs: int) -> tuple[float, Any]:
    """Median seconds of `runs` calls after one warm-up call, and the last result."""
    out = fn()
    seconds = []
    for _ in range(runs):
        took, out = timed(fn)
        seconds.append(took)
    return statistics.median(seconds), out


def queryset(predicate: dict[str, Any], now: dt.datetime) -> Any:
    return Contact.objects.filter(compile_predicate(parse(predicate), now))


# ---- the DuckDB copy ----

# (DuckDB table, PostgreSQL query, DuckDB column types); times as naive UTC.
COPIES = [
    (
        "contact",
        "SELECT id, lifecycle_stage, company_id, created_at AT TIME ZONE 'UTC' FROM crm_contact",
        {"id": "BIGINT", "lifecycle_stage": "VARCHAR", "company_id": "BIGINT", "created_at": "TIMESTAMP"},
    ),
    (
        "score",
        "SELECT contact_id, fit_grade, engagement_score FROM scoring_contactscore",
        {"contact_id": "BIGINT", "fit_grade": "VARCHAR", "engagement_score": "DOUBLE"},
    ),
    (
        "tp",
        "SELECT id, contact_id, kind, channel, campaign_id, occurred_at AT TIME ZONE 'UTC' FROM marketing_touchpoint",
        {
            "id": "BIGINT",
            "contact_id": "BIGINT",
            "kind": "VARCHAR",
            "channel": "VARCHAR",
            "campaign_id": "BIGINT",
            "occurred_at": "TIMESTAMP",
        },
    ),
    (
        "consent",
        "SELECT id, contact_id, channel, subscription_id, status, occurred_at AT TIME ZONE 'UTC' "
        "FROM consent_consententry",
        {
            "id": "BIGINT",
            "contact_id": "BIGINT",
            "channel": "VARCHAR",
            "subscription_id": "BIGINT",
            "status": "VARCHAR",
            "occurred_at": "TIMESTAMP",
        },
    ),
]


def fingerprint() -> str:
    """What says the database's rows are the ones copied: row counts and newest ids and times."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT max(id) FROM marketing_touchpoint), (SELECT max(id) FROM crm_contact), "
            "(SELECT count(*) FROM crm_contact), (SELECT max(id) FROM consent_consententry), "
            "(SELECT max(computed_at) FROM scoring_contactscore), "
            "(SELECT max(id) FROM crm_lifecycletransition)"
        )
        return json.dumps([str(v) for v in cur.fetchone()])


def duck_copy(path: Path) -> Any:
    mark = fingerprint()
    if path.exists():
        duck = duckdb.connect(str(path))
        try:
            if duck.execute("SELECT mark FROM copied").fetchone()[0] == mark:
                return duck
        except duckdb.Error:
            pass
        duck.close()
        path.unlink()
    print(f"copying the rows into {path} (once) ...", flush=True)
    started = time.perf_counter()
    duck = duckdb.connect(str(path))
    raw = connection.connection  # psycopg's own connection: COPY to the client
    for table, query, columns in COPIES:
        csv = path.with_suffix(f".{table}.csv")
        with raw.cursor() as cur, csv.open("wb") as out:
            cur.execute("SET TIME ZONE 'UTC'")
            with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
                for chunk in copy:
                    out.write(chunk)
        duck.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = false, columns = {columns!r})",
            [str(csv)],
        )
        csv.unlink()
    duck.execute("CREATE TABLE copied (mark VARCHAR)")
    duck.execute("INSERT INTO copied VALUES (?)", [mark])
    duck.execute("CHECKPOINT")
    print(f"copied in {time.perf_counter() - started:.0f} s; load {load():.2f}", flush=True)
    return duck


def duck_sql(sql: str, now: dt.datetime) -> str:
    naive = now.astimezone(dt.UTC).replace(tzinfo=None)
    for days in (90, 30, 14):
        sql = sql.replace(f"$d{days}", f"TIMESTAMP '{naive - dt.timedelta(days=days)}'")
    return sql.replace("$now", f"TIMESTAMP '{naive}'")


# ---- full evaluation ----


def full(args: argparse.Namespace) -> None:
    duck = duck_copy(Path(args.duck))
    now = timezone.now()
    print(
        f"full evaluation on {connection.vendor}, {Contact.objects.count():,} contacts, median of {args.runs}; "
        f"load {load():.2f}",
        flush=True,
    )
    results = {}
    for name, (predicate, hand) in FULL.items():
        if args.only and name not in args.only:
            continue
        compile_s, qs = timed(lambda p=predicate: queryset(p, now))
        count_s, count = median_of(qs.count, args.runs)
        ids_s, ids = median_of(lambda q=qs: list(q.order_by().values_list("pk", flat=True)), args.runs)
        sql = duck_sql(hand, now)
        d_count_s, d_count = median_of(
            lambda s=sql: duck.execute(f"SELECT count(*) FROM ({s})").fetchone()[0], args.runs
        )
        d_ids_s, d_ids = median_of(lambda s=sql: [r[0] for r in duck.execute(s).fetchall()], args.runs)
        if d_count != count or len(ids) != count or len(d_ids) != count:
            print(f"  !! {name}: counts differ: database {count:,} ({len(ids):,} ids), DuckDB {d_count:,}")
        row = {
            "count": count,
            "compile_s": compile_s,
            "count_s": count_s,
            "ids_s": ids_s,
            "duck_count_s": d_count_s,
            "duck_ids_s": d_ids_s,
            "count_ratio": count_s / d_count_s,
            "ids_ratio": ids_s / d_ids_s,
            "load": load(),
        }
        results[name] = row
        print(
            f"  {name:<24} {count:>8,} members  count {count_s:6.3f} s (DuckDB {d_count_s:6.3f} s, "
            f"{row['count_ratio']:5.1f}x)  ids {ids_s:6.3f} s (DuckDB {d_ids_s:6.3f} s, {row['ids_ratio']:5.1f}x)  "
            f"compile {compile_s * 1000:.1f} ms  load {row['load']:.2f}",
            flush=True,
        )
        if args.explain and connection.vendor == "postgresql":
            with connection.cursor() as cur:
                sql_text, params = qs.order_by().values("pk").query.sql_with_params()
                cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM ({sql_text}) t", params)
                print("\n".join("      " + r[0] for r in cur.fetchall()))
    print(
        json.dumps(
            {"bench": "segments.full", "vendor": connection.vendor, "runs": args.runs, "results": results}
        )
    )


# ---- preview ----


def preview(args: argparse.Namespace) -> None:
    now = timezone.now()

    def run(predicate: dict[str, Any], now: dt.datetime) -> Any:
        return segments_preview(predicate, now=now)

    print(
        f"preview on {connection.vendor}, {Contact.objects.count():,} contacts, {args.runs} rounds; "
        f"load {load():.2f}",
        flush=True,
    )
    counts = {name: run(predicate, now).count for name, predicate in PREVIEW.items()}  # one warm-up each
    seconds: dict[str, list[float]] = {name: [] for name in PREVIEW}
    loads = []
    for _ in range(args.runs):
        for name, predicate in PREVIEW.items():
            took, _ = timed(lambda p=predicate: run(p, now))
            seconds[name].append(took)
        loads.append(load())
    every = [s for values in seconds.values() for s in values]
    results = {}
    for name, values in seconds.items():
        results[name] = {
            "count": counts[name],
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "max": max(values),
        }
        print(
            f"  {name:<20} {counts[name]:>9,}  p50 {results[name]['p50'] * 1000:7.1f} ms  p95 {results[name]['p95'] * 1000:7.1f} ms  "
            f"max {results[name]['max'] * 1000:7.1f} ms"
        )
    total = {"n": len(every), "p50": percentile(every, 50), "p95": percentile(every, 95), "max": max(every)}
    print(
        f"  {'all':<31} p50 {total['p50'] * 1000:7.1f} ms  p95 {total['p95'] * 1000:7.1f} ms  "
        f"max {total['max'] * 1000:7.1f} ms  (n={total['n']}); load {min(loads):.2f} to {max(loads):.2f}"
    )
    print(
        json.dumps(
            {
                "bench": "segments.preview",
                "vendor": connection.vendor,
                "runs": args.runs,
                "results": results,
                "all": total,
                "load": [min(loads), max(loads)],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p_full = sub.add_parser("full", help="Full evaluation beside DuckDB.")
    p_full.add_argument("--runs", type=int, default=5)
    p_full.add_argument("--duck", default="/tmp/plumbline_bench.duckdb", help="The DuckDB copy's file.")
    p_full.add_argument("--only", nargs="*", help="Only these predicates (names in FULL).")
    p_full.add_argument(
        "--explain", action="store_true", help="Print PostgreSQL's EXPLAIN ANALYZE of each count."
    )
    p_preview = sub.add_parser("preview", help="Count + 20 members of partial predicates.")
    p_preview.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    {"full": full, "preview": preview}[args.what](args)


if __name__ == "__main__":
    main()
