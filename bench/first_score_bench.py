"""The first `plumbline score --all` after loading the 1M-contact demo on PostgreSQL, beside the machine's own limit.

    .venv/bin/python bench/first_score_bench.py [--server postgres://postgres@127.0.0.1:5432] \
        [--loaded plumbline_bulk1m] [--run plumbline_bulk1m_run] [--contacts 1000000]

`--loaded` holds the demo as `plumbline demo --contacts N --seed 1` left it, never scored; it is created, migrated
and loaded first when it does not exist (about 5-8 minutes for 1M contacts). Each run copies it into `--run`
(CREATE DATABASE ... TEMPLATE, not timed), migrates the copy, and times `plumbline score --all` in a fresh process:
the set-based rescore, then promoting and routing the new MQLs (scoring.bulk, handoff.bulk).

The machine's limit, measured in the same run on the same rows: after the run (and a VACUUM, so the table is as
clean as the freshly loaded one the run wrote to), in a transaction rolled back, an INSERT ... SELECT of as many
lifecycle transitions as the run wrote (copies of them), a plain UPDATE of the promoted contacts' stage and
times, and an INSERT ... SELECT of as many events as the run wrote: the writes no promotion can avoid. Prints both and the ratio. Not a test: run by hand, results go to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def admin(server: str, statement: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def exists(server: str, name: str) -> bool:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def manage(url: str, *args: str, capture: bool = False, log_level: str = "INFO") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": log_level}
    return subprocess.run([*MANAGE, *args], env=env, check=True, text=True, capture_output=capture)


def load(server: str, name: str, contacts: int) -> None:
    print(f"loading the demo ({contacts:,} contacts) into {name} ...", flush=True)
    admin(server, f'CREATE DATABASE "{name}"')
    manage(f"{server}/{name}", "migrate", "--noinput", "-v", "0")
    started = time.perf_counter()
    manage(f"{server}/{name}", "demo", "--contacts", str(contacts), "--seed", "1", capture=True)
    print(f"loaded in {time.perf_counter() - started:.0f} s")


def raw_limit(url: str, mark: int, event_mark: int) -> tuple[int, float, float, int, float]:
    """(rows, seconds to INSERT ... SELECT that many transitions, seconds to UPDATE that many contacts, events,
    seconds to INSERT ... SELECT that many events)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE crm_contact, crm_lifecycletransition")
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE promoted AS SELECT contact_id FROM crm_lifecycletransition WHERE id > %s",
                     [mark])
        started = time.perf_counter()
        rows = conn.execute(
            "INSERT INTO crm_lifecycletransition (contact_id, from_stage, to_stage, occurred_at, by_id, reason, "
            "source, definition_version) SELECT contact_id, from_stage, to_stage, occurred_at, by_id, reason, source, "
            "definition_version FROM crm_lifecycletransition WHERE id > %s", [mark]).rowcount
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("UPDATE crm_contact c SET lifecycle_stage = 'mql', lifecycle_changed_at = now(), "
                     "updated_at = now() FROM promoted p WHERE c.id = p.contact_id")
        updated = time.perf_counter() - started
        started = time.perf_counter()
        events = conn.execute(
            "INSERT INTO events_event (kind, subject_type, subject_id, payload, occurred_at, recorded_at, actor_id) "
            "SELECT kind, subject_type, subject_id, payload, occurred_at, recorded_at, actor_id FROM events_event "
            "WHERE id > %s", [event_mark]).rowcount
        evented = time.perf_counter() - started
        conn.rollback()
    return rows, inserted, updated, events, evented


def steps(log: str) -> dict[str, float]:
    """Seconds per step of promotion and routing, from the debug log of handoff.bulk, scoring.bulk and crm."""
    out: dict[str, float] = {}
    for seconds, label in re.findall(r"^([\d.]+) s, [\d,]+ rows: (promotion reasons|moved to \w+|MQLs in no queue|"
                                     r"waiting for one reason)$", log, re.M):
        out[label] = out.get(label, 0) + float(seconds)
    for promoting, routing, events, committing in re.findall(
            r"^([\d.]+) s promoting \d+, ([\d.]+) s routing, ([\d.]+) s writing events, ([\d.]+) s committing$",
            log, re.M):
        for label, seconds in (("promoting (all)", promoting), ("routing (all)", routing),
                               ("writing events", events), ("committing", committing)):
            out[label] = out.get(label, 0) + float(seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--loaded", default="plumbline_bulk1m")
    parser.add_argument("--run", default="plumbline_bulk1m_run")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    o = parser.parse_args()
    if not exists(o.server, o.loaded):
        load(o.server, o.loaded, o.contacts)
    if exists(o.server, o.run):
        admin(o.server, f'DROP DATABASE "{o.run}"')
    started = time.perf_counter()
    admin(o.server, f'CREATE DATABASE "{o.run}" TEMPLATE "{o.loaded}"')
    url = f"{o.server}/{o.run}"
    manage(url, "migrate", "--noinput", "-v", "0")
    print(f"copied {o.loaded} into {o.run} and migrated it in {time.perf_counter() - started:.0f} s")
    with psycopg.connect(url) as conn:
        mark = conn.execute("SELECT COALESCE(MAX(id), 0) FROM crm_lifecycletransition").fetchone()[0]
        event_mark = conn.execute("SELECT COALESCE(MAX(id), 0) FROM events_event").fetchone()[0]
        contacts = conn.execute("SELECT COUNT(*) FROM crm_contact").fetchone()[0]

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    run = manage(url, "score", "--all", "--no-progress", capture=True, log_level="DEBUG")
    whole = time.perf_counter() - started
    print("\n".join(line for line in run.stderr.splitlines() if re.match(r"(Scored|Predicted|Promoted) ", line)))
    print(run.stdout.strip())
    print("promotion and routing, by step (summed over the batches):")
    for step, seconds in steps(run.stderr).items():
        print(f"  {step}: {seconds:.1f} s")
    handoff = re.search(r"Promoted ([\d,]+) and routed ([\d,]+) in ([\d.]+)s", run.stderr)
    assert handoff is not None, run.stderr
    promote_seconds = float(handoff.group(3))

    rows, inserted, updated, events, evented = raw_limit(url, mark, event_mark)
    raw = inserted + updated + evented
    print(f"\nfirst `score --all` of {contacts:,} contacts: {whole:.1f} s wall clock "
          f"(load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after); target <= 60 s")
    print(f"  of which promoting {handoff.group(1)} MQLs and routing them: {promote_seconds:.1f} s")
    print(f"raw limit, same rows: INSERT ... SELECT of {rows:,} transitions {inserted:.1f} s, "
          f"UPDATE of {rows:,} contacts {updated:.1f} s, INSERT ... SELECT of {events:,} events {evented:.1f} s; "
          f"together {raw:.1f} s")
    print(f"  promotion and routing / raw writes = {promote_seconds / raw:.2f}x")


if __name__ == "__main__":
    main()
