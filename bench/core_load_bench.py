"""Demo load time and CSV import speed.

    createdb: psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE plumbline_loadbench'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_loadbench .venv/bin/plumbline migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_loadbench .venv/bin/python bench/core_load_bench.py \
        --contacts 100000 --csv-rows 100000

Needs an empty, migrated database (it loads the demo company into it). Prints the demo load time and the
CSV contact import rows/s for new rows, for a re-import of the same file (nothing changes) and for a dry run.
Not a test: run by hand, results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from plumbline.crm.models import Contact  # noqa: E402
from plumbline.demo.generator import demo_users_exist, load_demo  # noqa: E402
from plumbline.interop.actions import do_import  # noqa: E402


def contacts_csv(rows: int) -> bytes:
    out = io.StringIO()
    out.write("email,first_name,last_name,title,company_domain,company_name,source,consent_status,lifecycle_stage\n")
    for i in range(rows):
        out.write(f"Person.{i}@Import{i % 5000}.example.org,Pat,Person{i},Analyst,import{i % 5000}.example.org,"
                  f"Import {i % 5000},Trade show list,opted_in,{'lead' if i % 3 else 'mql'}\n")
    return out.getvalue().encode()


def timed_import(data: bytes, **kw: object) -> tuple[float, object]:
    started = time.perf_counter()
    report = do_import(kind="contacts", stream=io.BytesIO(data), filename="bench.csv", **kw)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=100_000)
    args = parser.parse_args()
    if demo_users_exist() or Contact.objects.exists():
        raise SystemExit("Use an empty, migrated database: this benchmark loads the demo company into it.")
    print(f"database: {connection.vendor}, load average: {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    totals = load_demo(contacts=args.contacts, seed=1)
    seconds = time.perf_counter() - started
    print(f"demo load: {args.contacts:,} contacts, {totals.touchpoints:,} touchpoints in {seconds:.1f}s "
          f"({args.contacts / seconds:,.0f} contacts/s, {totals.touchpoints / seconds:,.0f} touchpoints/s)")
    data = contacts_csv(args.csv_rows)
    for label, kw in (("dry run", {"dry_run": True}), ("new rows", {}), ("re-import, unchanged", {})):
        took, report = timed_import(data, **kw)
        assert not report.errors and not report.file_error, report.errors[:3]
        print(f"csv import contacts, {label}: {args.csv_rows:,} rows in {took:.1f}s = {args.csv_rows / took:,.0f} rows/s "
              f"(created {report.created:,}, updated {report.updated:,}, unchanged {report.unchanged:,}; "
              f"load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
