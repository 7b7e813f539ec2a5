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
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402
import duckdb  # noqa: E402  (the bench's own dependency, in the venv; not the app's)

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Exists, OuterRef, Q  # noqa: E402
from django.db.models.functions import Lower  # noqa: E402
from django.db.models.lookups import Contains, Exact  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.compat import TaskResultStatus  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from plumbline.accounts.actions import do_create_api_token  # noqa: E402
from plumbline.accounts.models import User  # noqa: E402
from plumbline.crm.models import Company, Contact  # noqa: E402
from plumbline.events import registry  # noqa: E402
from plumbline.events.models import ConsumerCursor  # noqa: E402
from plumbline.events.queries import consumer_status  # noqa: E402
from plumbline.events.runner import head  # noqa: E402
from plumbline.marketing.actions import do_record_touchpoints  # noqa: E402
from plumbline.marketing.models import Touchpoint  # noqa: E402
from plumbline.scoring.models import ContactScore  # noqa: E402
from plumbline.segments.models import Kind, Membership, Segment  # noqa: E402
from plumbline.segments.predicate.compile import compile_predicate  # noqa: E402
from plumbline.segments.predicate.schema import parse  # noqa: E402
from plumbline.segments.queries import Preview  # noqa: E402
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

# The same predicates in the SQL shape proposed for compile.py (seg-lang's; measured here, outside the package, with
# `full --shape proposed`): touchpoint counts as COUNT(*) (so PostgreSQL can answer them from the touchpoint_kind_time
# index alone; COUNT(id) reads every row), "at least 1" as a plain IN without GROUP BY, "none" as NOT EXISTS (an
# anti-join), contact fields compared on the contact row itself and score fields in a subquery over the scores
# alone (today both are `id IN (SELECT id FROM crm_contact ...)`, which joins the contacts a second time).


def _touched(kind: str, days: int, now: dt.datetime, ids: list[int] | None = None) -> Any:
    rows = Touchpoint.objects.filter(
        kind=kind, occurred_at__gte=now - dt.timedelta(days=days), occurred_at__lte=now
    )
    return rows if ids is None else rows.filter(contact_id__in=ids)


def _at_least(kind: str, days: int, n: int, now: dt.datetime, ids: list[int] | None = None) -> Q:
    rows = _touched(kind, days, now, ids)
    if n == 1:
        return Q(pk__in=rows.values("contact_id"))
    grouped = (
        rows.order_by().values("contact_id").annotate(n=Count("*")).filter(n__gte=n).values("contact_id")
    )
    return Q(pk__in=grouped)


def _none(kind: str, days: int, now: dt.datetime) -> Q:
    return ~Q(Exists(_touched(kind, days, now).filter(contact=OuterRef("pk"))))


PROPOSED: dict[str, Any] = {
    "engaged_fit": lambda now: (
        _at_least("page_view", 14, 3, now)
        & Q(pk__in=ContactScore.objects.filter(fit_grade__in=["A", "B"]).values("contact_id"))
    ),
    "mql_sql_email_consent": lambda now: (
        Q(lifecycle_stage__in=["mql", "sql"])
        & compile_predicate(parse({"consent": {"channel": "email"}, "op": "granted"}), now)
    ),
    "leads_no_click_90d": lambda now: Q(lifecycle_stage__in=["lead", "mql"]) & _none("email_click", 90, now),
    "ready_to_buy": lambda now: (
        ~Q(lifecycle_stage__in=["customer", "disqualified"])
        & (_at_least("demo_request", 30, 1, now) | _at_least("pricing_view", 14, 2, now))
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


def session(statements: list[str]) -> None:
    """Settings for this run's connection only (e.g. `SET jit = off`), to measure what a setting would change."""
    with connection.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def full(args: argparse.Namespace) -> None:
    duck = duck_copy(Path(args.duck))
    now = timezone.now()
    session(args.session)
    print(
        f"full evaluation on {connection.vendor}, {Contact.objects.count():,} contacts, median of {args.runs}, "
        f"{args.shape} SQL, session {args.session or 'as configured'}; load {load():.2f}",
        flush=True,
    )
    results = {}
    for name, (predicate, hand) in FULL.items():
        if args.only and name not in args.only:
            continue
        if args.shape == "proposed":
            compile_s, qs = timed(lambda n=name: Contact.objects.filter(PROPOSED[n](now)))
        else:
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
            {
                "bench": "segments.full",
                "vendor": connection.vendor,
                "runs": args.runs,
                "shape": args.shape,
                "session": args.session,
                "results": results,
            }
        )
    )


# ---- evaluation for a few contacts ----


def candidates(args: argparse.Namespace) -> None:
    """What the feed consumer and a refresh ask for each chunk of contacts (segments.evaluation.reconcile):
    `Contact.objects.filter(pk__in=ids).filter(q)`, for `--contacts` random contacts, with the compiled Q beside
    the same count with the contacts' ids also inside the touchpoint subquery (the shape proposed for a compile
    that knows its candidates), median of `--runs`."""
    now = timezone.now()
    session(args.session)
    top = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    ids = sorted(random.Random(args.seed).sample(range(1, top + 1), args.contacts))
    print(f"{args.contacts} contacts on {connection.vendor}; load {load():.2f}", flush=True)
    shapes = {
        "engaged_fit": lambda: (
            _at_least("page_view", 14, 3, now, ids)
            & Q(
                pk__in=ContactScore.objects.filter(fit_grade__in=["A", "B"], contact_id__in=ids).values(
                    "contact_id"
                )
            )
        ),
        "probe (page view in 1 day)": lambda: _at_least("page_view", 1, 1, now, ids),
    }
    compiled_q = {"engaged_fit": FULL["engaged_fit"][0], "probe (page view in 1 day)": PROBE_PREDICATE}
    results = {}
    for name, shape in shapes.items():
        q = compile_predicate(parse(compiled_q[name]), now)
        old_s, old = median_of(
            lambda q=q: sorted(Contact.objects.filter(pk__in=ids).filter(q).values_list("pk", flat=True)),
            args.runs,
        )
        new_s, new = median_of(
            lambda shape=shape: sorted(
                Contact.objects.filter(pk__in=ids).filter(shape()).values_list("pk", flat=True)
            ),
            args.runs,
        )
        if old != new:
            print(f"  !! {name}: the two shapes disagree ({len(old)} and {len(new)} contacts)")
        results[name] = {"compiled_s": old_s, "restricted_s": new_s, "matched": len(old), "load": load()}
        print(
            f"  {name:<28} {len(old):>3} of {len(ids)} match  compiled {old_s * 1000:8.1f} ms  "
            f"ids inside the subquery {new_s * 1000:7.1f} ms  load {load():.2f}",
            flush=True,
        )
    print(json.dumps({"bench": "segments.candidates", "contacts": args.contacts, "results": results}))


# ---- preview ----

# The preview's predicates in the proposed shape (see PROPOSED).
PREVIEW_PROPOSED: dict[str, Any] = {
    "stage": lambda now: Q(lifecycle_stage__in=["mql"]),
    "stage+fit": lambda now: (
        Q(lifecycle_stage__in=["mql"])
        & Q(pk__in=ContactScore.objects.filter(fit_grade="A").values("contact_id"))
    ),
    "industry": lambda now: Q(company__in=Company.objects.filter(Exact(Lower("industry"), "software"))),
    "email_contains": lambda now: Q(Contains(Lower("email"), "gmail")),
    "page_views_14d": lambda now: _at_least("page_view", 14, 3, now),
    "page_views_14d+fit": PROPOSED["engaged_fit"],
}


def proposed_preview(name: str, now: dt.datetime) -> Any:
    """What segments.queries.preview does, on the proposed shape's Q."""
    qs = Contact.objects.filter(PREVIEW_PROPOSED[name](now))
    count = qs.count()
    sample = list(qs.select_related("company", "owner").order_by("-created_at", "-pk")[:20]) if count else []
    return Preview(count=count, sample=sample)


def preview(args: argparse.Namespace) -> None:
    now = timezone.now()
    session(args.session)

    def run(name: str, now: dt.datetime) -> Any:
        if args.shape == "proposed":
            return proposed_preview(name, now)
        return segments_preview(PREVIEW[name], now=now)

    print(
        f"preview on {connection.vendor}, {Contact.objects.count():,} contacts, {args.runs} rounds, "
        f"{args.shape} SQL, session {args.session or 'as configured'}; load {load():.2f}",
        flush=True,
    )
    counts = {name: run(name, now).count for name in PREVIEW}  # one warm-up each
    seconds: dict[str, list[float]] = {name: [] for name in PREVIEW}
    loads = []
    for _ in range(args.runs):
        for name in PREVIEW:
            took, _ = timed(lambda n=name: run(n, now))
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
                "shape": args.shape,
                "session": args.session,
                "runs": args.runs,
                "results": results,
                "all": total,
                "load": [min(loads), max(loads)],
            }
        )
    )


# ---- incremental ----

PROBE = "bench 00: page view in the last day"
PROBE_PREDICATE = {"touchpoints": {"kind": "page_view"}, "op": "gte", "value": 1, "within_days": 1}


def bench_segments(count: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` dynamic segments: the probe, whose membership every streamed page view changes, and `count` - 1 of
    the kinds a marketing team keeps (behaviour counted in windows, with stage, fit, industry, engagement and
    consent), a third of them reading page views as the probe does (so each streamed touchpoint re-evaluates them too)."""
    kinds = [
        "page_view",
        "email_click",
        "page_view",
        "pricing_view",
        "email_open",
        "page_view",
        "demo_request",
        "form_submit",
        "content_download",
    ]
    # Narrow audiences (1-3% of the demo's contacts before the behaviour), as most of a team's segments are: each
    # segment's first evaluation writes its members, their history and their events, about a minute per 50,000
    # members on the loaded 2-core machine.
    extra = [
        {
            "all": [
                {"field": "company.industry", "op": "in", "value": ["Software"]},
                {"field": "score.fit_grade", "op": "eq", "value": "A"},
            ]
        },
        {
            "all": [
                {"field": "lifecycle_stage", "op": "in", "value": ["sql", "opportunity"]},
                {"field": "score.fit_grade", "op": "in", "value": ["A", "B"]},
            ]
        },
        {
            "all": [
                {"field": "company.industry", "op": "in", "value": ["Media", "Retail"]},
                {"field": "score.engagement", "op": "gte", "value": 40},
                {"consent": {"channel": "email"}, "op": "granted"},
            ]
        },
    ]
    out = [(PROBE, PROBE_PREDICATE)]
    for i in range(1, count):
        kind, days, n = kinds[i % len(kinds)], (7, 14, 30, 90)[i % 4], 1 + i % 3
        behaviour = {"touchpoints": {"kind": kind}, "op": "gte", "value": n, "within_days": days}
        if i % 7 == 3:
            behaviour = {"touchpoints": {"kind": kind}, "op": "eq", "value": 0, "within_days": days}
        condition = extra[i % len(extra)]
        out.append(
            (
                f"bench {i:02d}: {kind} {behaviour['op']} {behaviour['value']} in {days} d",
                {"all": [behaviour, condition]},
            )
        )
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """gunicorn as core_api_bench.py runs it: 2 workers x 2 threads."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "plumbline.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "2",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "plumbline.cli", "worker", "--no-reload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


class Api:
    """One keep-alive connection to the server per thread."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.headers = (
            port,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        self.local = threading.local()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One request; a kept-alive connection the server has closed meanwhile is opened again once."""
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request(
                    method, path, body=json.dumps(body) if body is not None else None, headers=self.headers
                )
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
                continue
            return response.status, json.loads(data) if data else None
        raise AssertionError("unreachable")


def names_segment(data: Any, segment_id: int) -> bool:
    """Whether an answer of GET /api/v1/contacts/{id}/segments lists the segment among the contact's memberships
    now (its `history` lists past entries and exits too)."""
    return any(m.get("segment_id") == segment_id for m in (data or {}).get("memberships", []))


def fill(segment: Segment, now: dt.datetime) -> int:
    """The segment's members written directly, in one INSERT ... SELECT of its compiled predicate, with
    `evaluated_at` and `member_count` (no history, no events): the state a full evaluation leaves, reached in
    seconds. segments.evaluation.refresh gets there through 2,000-contact chunks that each evaluate the whole
    predicate again, about 30-60 s per segment on this machine, too long for 50 segments in one run."""
    qs = Contact.objects.filter(compile_predicate(parse(segment.predicate), now)).values("pk")
    sql, params = qs.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO segments_membership (segment_id, contact_id, since) SELECT %s, t.pk, %s FROM ({sql}) t "
            "ON CONFLICT DO NOTHING",
            [segment.pk, now, *params],
        )
        count = Membership.objects.filter(segment=segment).count()
        Segment.objects.filter(pk=segment.pk).update(member_count=count, evaluated_at=now)
    return count


def ensure_segments(api: Api, count: int, limit: float, *, direct: bool) -> Segment:
    """The bench's dynamic segments, created through POST /api/v1/segments when missing, each evaluated before the
    stream starts (by the worker, waiting up to `limit` seconds; or with `direct`, by `fill` here, their queued
    evaluations dropped). The probe segment."""
    wanted = bench_segments(count)
    have = set(Segment.objects.filter(name__in=[name for name, _ in wanted]).values_list("name", flat=True))
    started = time.perf_counter()
    for name, predicate in wanted:
        if name not in have:
            status, data = api.call(
                "POST", "/api/v1/segments", {"name": name, "kind": "dynamic", "predicate": predicate}
            )
            if status not in (200, 201):
                raise SystemExit(f"POST /api/v1/segments {name!r} -> {status}: {data}")
    dynamic = Segment.objects.filter(kind=Kind.DYNAMIC)
    if direct:
        queued = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path="plumbline.segments.tasks.refresh_segment"
        )
        queued.delete()
        now = timezone.now()
        for segment in dynamic.filter(evaluated_at__isnull=True):
            fill(segment, now)
    deadline = time.monotonic() + limit
    while dynamic.filter(evaluated_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise SystemExit(
                f"{dynamic.filter(evaluated_at__isnull=True).count()} segments were not evaluated within {limit:.0f} s"
            )
        time.sleep(2)
    sizes = sorted(dynamic.values_list("member_count", flat=True))
    print(
        f"{dynamic.count()} dynamic segments defined and evaluated ({time.perf_counter() - started:.0f} s), "
        f"{sizes[0]:,} to {sizes[-1]:,} members (median {sizes[len(sizes) // 2]:,}); load {load():.2f}",
        flush=True,
    )
    return Segment.objects.get(name=PROBE)


def skip_backlog() -> None:
    """Move every consumer's cursor to the feed's head (a scratch database's backlog, e.g. the events of the
    first `score --all`, which would keep the worker busy before the stream)."""
    top = head()
    for consumer in registry.consumers():
        ConsumerCursor.objects.update_or_create(name=consumer.name, defaults={"position": top})


def pick_contacts(probe: Segment, count: int, seed: int) -> list[int]:
    """Contacts outside the probe segment (no page view in the last day), in random order."""
    inside = set(Membership.objects.filter(segment=probe).values_list("contact_id", flat=True))
    ids = [pk for pk in Contact.objects.values_list("pk", flat=True) if pk not in inside]
    if len(ids) < count:
        raise SystemExit(f"needs {count:,} contacts outside the probe segment, the database has {len(ids):,}")
    random.Random(seed).shuffle(ids)
    return ids[:count]


class Watch(threading.Thread):
    """Polls the probe segment's new membership rows (by id, every `interval` s) on its own connection and notes
    when each contact's row was first seen: what the API reads, without the HTTP."""

    def __init__(self, segment_id: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.segment_id, self.interval = segment_id, interval
        self.seen: dict[int, dt.datetime] = {}
        self.done = threading.Event()
        with connection.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM segments_membership")
            self.mark = cur.fetchone()[0]

    def run(self) -> None:
        db = settings.DATABASES["default"]
        with psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"],
            dbname=db["NAME"],
            autocommit=True,
        ) as conn:
            while not self.done.is_set():
                rows = conn.execute(
                    "SELECT id, contact_id FROM segments_membership WHERE id > %s AND segment_id = %s",
                    [self.mark, self.segment_id],
                ).fetchall()
                now = timezone.now()
                for pk, contact_id in rows:
                    self.mark = max(self.mark, pk)
                    self.seen.setdefault(contact_id, now)
                time.sleep(self.interval)


def poll_api(
    api: Api, contact_id: int, segment_id: int, stop: threading.Event, interval: float
) -> dt.datetime | None:
    """When GET /api/v1/contacts/{id}/segments first lists the segment (polled every `interval` s from the
    touchpoint's commit until `stop` is set)."""
    while not stop.is_set():
        status, data = api.call("GET", f"/api/v1/contacts/{contact_id}/segments")
        now = timezone.now()
        if status != 200:
            raise SystemExit(f"GET /api/v1/contacts/{contact_id}/segments -> {status}: {data}")
        if names_segment(data, segment_id):
            return now
        stop.wait(interval)
    return None


def stream(
    contacts: list[int], *, rate: float, batch: int, committed: dict[int, dt.datetime], on_commit: Any
) -> float:
    """One page view per contact at `rate` a second, `batch` a transaction; notes each one's commit time and
    hands each committed chunk to `on_commit`."""
    interval = batch / rate
    started = time.monotonic()
    for n, start in enumerate(range(0, len(contacts), batch)):
        wait = started + n * interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        chunk = contacts[start : start + batch]
        now = timezone.now().isoformat()
        do_record_touchpoints(
            items=[
                {"contact_id": pk, "kind": "page_view", "channel": "seo", "occurred_at": now} for pk in chunk
            ]
        )  # one transaction: committed when it returns
        done = timezone.now()
        committed.update(dict.fromkeys(chunk, done))
        on_commit(chunk)
    return time.monotonic() - started


def wait_for_quiet(limit: float) -> None:
    """Until no task waits or runs (the worker's first tick queues the hourly refresh of every segment with a time
    window, and big segments' first evaluations are queued) and no consumer of the feed is behind (the first
    evaluations write their entries as events)."""
    deadline = time.monotonic() + limit
    while True:
        due = Q(run_after__isnull=True) | Q(run_after__lte=timezone.now())  # not tasks scheduled for later
        busy = DBTaskResult.objects.filter(due, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
        tasks = list(busy.values_list("task_path", flat=True)[:5])
        lag = [(c.name, c.lag) for c in consumer_status() if c.lag]
        if not tasks and not lag:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"still busy after {limit:.0f} s: tasks {tasks}, consumers behind {lag}")
        time.sleep(2)


def summary(name: str, seconds: list[float]) -> dict[str, float]:
    figures = {
        "n": len(seconds),
        "p50": percentile(seconds, 50),
        "p95": percentile(seconds, 95),
        "p99": percentile(seconds, 99),
        "max": max(seconds, default=float("nan")),
    }
    print(
        f"  {name:<34} n={figures['n']:>6,}  p50 {figures['p50']:6.3f} s  p95 {figures['p95']:6.3f} s  "
        f"p99 {figures['p99']:6.3f} s  max {figures['max']:6.3f} s"
    )
    return figures


def incremental(args: argparse.Namespace) -> None:
    """`--segments` dynamic segments (bench_segments, made through the API and evaluated first); gunicorn and one
    `plumbline worker` (the feed's consumers, segments.membership among them); then `--rate` page views a second
    for `--seconds`, each for a different contact outside the probe segment (so each one makes its contact enter
    it), recorded through do_record_touchpoints (what the batch endpoint calls), `--batch` a transaction. Latency
    per touchpoint from its commit to the contact's membership row being visible (polled every 20 ms on its own
    connection: what the API reads), and for one contact in `--api-sample`, to GET
    /api/v1/contacts/{id}/segments listing the probe segment (polled every 50 ms). The rest of the feed's
    consumers (rescoring, routing, webhooks) run in the same worker, as in production."""
    if connection.vendor != "postgresql":
        raise SystemExit("the incremental bench runs on PostgreSQL (DATABASE_URL=postgres://...)")
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        raise SystemExit("load the demo company first: plumbline demo --contacts N")
    _, token = do_create_api_token(user=admin, name="segments bench")
    port = free_port()
    server = start_server(port)
    api = Api(port, token)
    workers: list[subprocess.Popen] = []
    try:
        if args.skip_backlog:
            skip_backlog()
        workers = [start_worker() for _ in range(args.workers)]
        probe = ensure_segments(api, args.segments, args.evaluate_limit, direct=args.fill)
        started = time.perf_counter()
        wait_for_quiet(args.evaluate_limit)
        print(
            f"no task waiting and the feed's consumers caught up ({time.perf_counter() - started:.0f} s); load {load():.2f}",
            flush=True,
        )
        contacts = pick_contacts(probe, int(args.rate * args.seconds), args.seed)
        committed: dict[int, dt.datetime] = {}
        watch = Watch(probe.pk, 0.02)
        watch.start()
        sampled = set(contacts[:: args.api_sample])
        futures = {}
        give_up = threading.Event()
        with ThreadPoolExecutor(max_workers=args.api_threads) as pool:

            def on_commit(chunk: list[int]) -> None:
                for pk in sampled.intersection(chunk):
                    futures[pk] = pool.submit(poll_api, api, pk, probe.pk, give_up, 0.05)

            began_load = load()
            took = stream(
                contacts, rate=args.rate, batch=args.batch, committed=committed, on_commit=on_commit
            )
            sent = len(committed) / took
            print(
                f"sent {len(committed):,} page views in {took:.1f} s ({sent:,.0f}/s), {args.batch} a transaction; "
                f"load {began_load:.2f} at the start, {load():.2f} at the end",
                flush=True,
            )
            deadline = time.monotonic() + args.drain
            while len(watch.seen.keys() & committed.keys()) < len(committed) and time.monotonic() < deadline:
                time.sleep(0.5)
            watch.done.set()
            give_up.set()  # pollers still waiting give up; those never started return None at once
            seen_api = {pk: f.result() for pk, f in futures.items()}
    finally:
        for worker in workers:
            stop(worker)
        stop(server)
    end_load = load()
    db = summary(
        "commit -> membership row visible",
        [(watch.seen[pk] - at).total_seconds() for pk, at in committed.items() if pk in watch.seen],
    )
    via_api = summary(
        "commit -> listed by the API",
        [(at - committed[pk]).total_seconds() for pk, at in seen_api.items() if at is not None],
    )
    missing = len(committed) - len(watch.seen.keys() & committed.keys())
    if missing:
        print(f"  {missing:,} contacts had not entered the probe segment {args.drain:.0f} s after the stream")
    print(
        json.dumps(
            {
                "bench": "segments.incremental",
                "segments": args.segments,
                "workers": args.workers,
                "sent": len(committed),
                "sent_per_s": round(sent),
                "batch": args.batch,
                "db": db,
                "api": via_api,
                "missing": missing,
                "load": [began_load, end_load],
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
    p_full.add_argument(
        "--shape",
        choices=["compiled", "proposed"],
        default="compiled",
        help="compile_predicate's SQL (default) or the shape proposed for it (PROPOSED).",
    )
    p_full.add_argument(
        "--session", action="append", default=[], help="A statement run first, e.g. 'SET jit = off'."
    )
    p_preview = sub.add_parser("preview", help="Count + 20 members of partial predicates.")
    p_preview.add_argument("--runs", type=int, default=30)
    p_preview.add_argument("--shape", choices=["compiled", "proposed"], default="compiled")
    p_preview.add_argument(
        "--session", action="append", default=[], help="A statement run first, e.g. 'SET jit = off'."
    )
    p_cand = sub.add_parser("candidates", help="A predicate for a few contacts, as the feed consumer asks.")
    p_cand.add_argument("--contacts", type=int, default=50)
    p_cand.add_argument("--runs", type=int, default=5)
    p_cand.add_argument("--seed", type=int, default=5)
    p_cand.add_argument("--session", action="append", default=[])
    p_inc = sub.add_parser("incremental", help="Touchpoint committed -> membership visible, under a stream.")
    p_inc.add_argument("--rate", type=float, default=1000.0, help="Page views a second (default 1,000).")
    p_inc.add_argument("--seconds", type=float, default=30.0)
    p_inc.add_argument("--batch", type=int, default=50, help="Touchpoints a transaction (default 50).")
    p_inc.add_argument("--segments", type=int, default=50, help="Dynamic segments defined (default 50).")
    p_inc.add_argument("--api-sample", type=int, default=100, help="Poll the API for one contact in N (100).")
    p_inc.add_argument("--api-threads", type=int, default=32)
    p_inc.add_argument(
        "--fill",
        action="store_true",
        help="Write new segments' members directly (bench.fill) instead of waiting for the worker's evaluations.",
    )
    p_inc.add_argument("--workers", type=int, default=1, help="`plumbline worker` processes (default 1).")
    p_inc.add_argument("--drain", type=float, default=120.0)
    p_inc.add_argument("--evaluate-limit", type=float, default=1800.0)
    p_inc.add_argument("--seed", type=int, default=13)
    p_inc.add_argument(
        "--skip-backlog",
        action="store_true",
        help="Move every consumer's cursor to the feed's head first (a scratch database's backlog).",
    )
    args = parser.parse_args()
    {"full": full, "preview": preview, "candidates": candidates, "incremental": incremental}[args.what](args)


if __name__ == "__main__":
    main()
