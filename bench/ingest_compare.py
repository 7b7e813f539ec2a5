"""Old code against new, alternating in the same conditions: touchpoint batches and a CSV contact import, in process.

    git archive <old-commit> | tar -x -C /tmp/old-tree
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline_ingest1m .venv/bin/python bench/ingest_compare.py \
        --old /tmp/old-tree [--rounds 3 --batches 10 --csv-rows 20000]

On a shared machine absolute times move with the load; what one code does against the other, run after run, is
what this shows. Each measurement runs in a fresh interpreter on one source tree (the other tree's `plumbline` never
loaded): touchpoint batches of 1,000 through Django's test client (the whole request: auth, schema, action, commit),
then an all-or-nothing import of new contacts. It prints ms per batch and rows/s, and CPU seconds of the process (what
the code itself costs, whatever the load). Rows written are deleted. Needs the demo company (`plumbline demo`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r'''
import io, json, os, sys, time, uuid, random
sys.path.insert(0, os.environ["TREE"])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")
import django
django.setup()
from django.db import connection
from django.test import Client
from plumbline.accounts.actions import do_create_api_token
from plumbline.accounts.models import User
from plumbline.interop.actions import do_import
batches, rows, seed = int(os.environ["BATCHES"]), int(os.environ["ROWS"]), int(os.environ["SEED"])
_, token = do_create_api_token(user=User.objects.get(username="admin"), name="compare")
with connection.cursor() as c:
    c.execute("SELECT max(id) FROM crm_contact")
    top = c.fetchone()[0]
    rng = random.Random(seed)
    c.execute("SELECT email FROM crm_contact WHERE id = ANY(%s)", [[rng.randint(1, top) for _ in range(3000)]])
    emails = [e for (e,) in c.fetchall()]
    c.execute("SELECT coalesce(max(id), 0) FROM marketing_touchpoint")
    before = c.fetchone()[0]
when = "2031-02-03T04:05:06Z"
client = Client()
def post(b):
    body = json.dumps({"items": [{"contact_email": emails[(b * 1000 + i) % len(emails)], "kind": "page_view",
                                  "channel": "seo", "occurred_at": when} for i in range(1000)]})
    r = client.post("/api/v1/touchpoints/batch", body, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content[:300]
post(0)
cpu, wall = time.process_time(), time.perf_counter()
for b in range(1, batches + 1):
    post(b)
out = {"batch_ms": (time.perf_counter() - wall) / batches * 1000, "batch_cpu_ms": (time.process_time() - cpu) / batches * 1000}
tag = "cmp" + uuid.uuid4().hex[:8]
data = io.StringIO()
data.write("email,first_name,last_name,title,company_domain,company_name,source,consent_status,lifecycle_stage\n")
for i in range(rows):
    data.write(f"Person.{i}@{tag}{i % 5000}.example.org,Pat,Person{i},Analyst,{tag}{i % 5000}.example.org,"
               f"Import {tag} {i % 5000},Trade show list,opted_in,{'lead' if i % 3 else 'mql'}\n")
cpu, wall = time.process_time(), time.perf_counter()
report = do_import(kind="contacts", stream=io.BytesIO(data.getvalue().encode()), filename="compare.csv")
assert report.created == rows and not report.errors, report.errors[:3]
out["import_rows_s"] = rows / (time.perf_counter() - wall)
out["import_cpu_s"] = time.process_time() - cpu
with connection.cursor() as c:
    c.execute("SELECT to_regclass('events_event') IS NOT NULL")
    events = c.fetchone()[0]
    c.execute("DELETE FROM marketing_firsttouchpoint WHERE touchpoint_id > %s", [before])
    c.execute("DELETE FROM marketing_touchpoint WHERE id > %s AND occurred_at = %s", [before, when])
    mine = "SELECT id FROM crm_contact WHERE email LIKE %s"
    c.execute(f"DELETE FROM crm_lifecycletransition WHERE contact_id IN ({mine})", [f"%@{tag}%"])
    c.execute("DELETE FROM crm_contact WHERE email LIKE %s", [f"%@{tag}%"])
    c.execute("DELETE FROM crm_company WHERE domain LIKE %s", [f"{tag}%"])
out["load"] = os.getloadavg()[0]
print(json.dumps(out))
'''


def run(tree: Path, args: argparse.Namespace) -> dict:
    env = {**os.environ, "TREE": str(tree), "BATCHES": str(args.batches), "ROWS": str(args.csv_rows),
           "SEED": str(args.seed)}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="a source tree of the old code")
    parser.add_argument("--new", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--csv-rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{'round':>5} {'code':>4} {'batch ms':>9} {'batch CPU ms':>13} {'import rows/s':>14} {'import CPU s':>13} "
          f"{'load':>5}")
    for r in range(args.rounds):
        for name, tree in (("old", args.old), ("new", args.new)):
            m = run(tree, args)
            print(f"{r + 1:>5} {name:>4} {m['batch_ms']:>9.1f} {m['batch_cpu_ms']:>13.1f} {m['import_rows_s']:>14,.0f} "
                  f"{m['import_cpu_s']:>13.2f} {m['load']:>5.1f}", flush=True)


if __name__ == "__main__":
    main()
