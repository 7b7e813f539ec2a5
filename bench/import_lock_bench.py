"""The longest time a CSV contact import keeps other writers out of a SQLite database.

    DATABASE_URL=sqlite:////tmp/lockbench.sqlite3 .venv/bin/plumbline migrate
    DATABASE_URL=sqlite:////tmp/lockbench.sqlite3 .venv/bin/python bench/import_lock_bench.py --rows 200000

While the import runs (all-or-nothing, new contacts with their companies), a probe thread on its own sqlite3
connection tries `BEGIN IMMEDIATE; ROLLBACK` every 5 ms with no busy timeout; the longest stretch in which every try
failed is the longest write transaction another writer (a login, an API call) had to wait for. Prints that, the
import time and rows/s. Not a test: run by hand, results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from plumbline.crm.models import Company, Contact  # noqa: E402
from plumbline.interop import actions  # noqa: E402
from plumbline.interop.actions import do_import  # noqa: E402


def contacts_csv(rows: int) -> bytes:
    out = io.StringIO()
    out.write("email,first_name,last_name,title,company_domain,company_name,lifecycle_stage\n")
    for i in range(rows):
        out.write(f"person{i}@lock{i % 5000}.example,First{i},Last{i},Engineer,lock{i % 5000}.example,"
                  f"Lock {i % 5000} Ltd,lead\n")
    return out.getvalue().encode()


class Probe(threading.Thread):
    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.db = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        self.stop, self.longest, self.blocked_since = threading.Event(), 0.0, None

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.perf_counter()
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("ROLLBACK")
                if self.blocked_since is not None:
                    self.longest = max(self.longest, now - self.blocked_since)
                self.blocked_since = None
            except sqlite3.OperationalError:
                if self.blocked_since is None:
                    self.blocked_since = now
            time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk-rows", type=int, default=None, help="rows per chunk (default: the app's)")
    args = parser.parse_args()
    actions.CHUNK_ROWS = args.chunk_rows
    if connection.vendor != "sqlite":
        sys.exit("Point DATABASE_URL at a SQLite file: the probe measures SQLite's write lock.")
    if Contact.objects.exists():
        sys.exit("Needs an empty, migrated database.")
    data = contacts_csv(args.rows)
    probe = Probe(str(connection.settings_dict["NAME"]))
    probe.start()
    start = time.perf_counter()
    report = do_import(kind="contacts", stream=io.BytesIO(data), filename="lock.csv")
    took = time.perf_counter() - start
    probe.stop.set()
    probe.join()
    assert report.created == args.rows and not report.errors, report.errors[:3]
    assert Contact.objects.count() == args.rows and Company.objects.count() == min(args.rows, 5000)
    print(f"{args.rows:,} contacts imported in {took:.1f} s ({args.rows / took:,.0f} rows/s); "
          f"longest write lock seen by another writer: {probe.longest:.2f} s (chunks of {args.chunk_rows:,} rows)")


if __name__ == "__main__":
    main()
