"""kill -9 in the middle of an all-or-nothing import, for real: a child process imports a file and SIGKILLs itself
right after its second chunk commits; the half import is visible, and the next import takes it back first."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, signal, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "plumbline.settings"
import django
django.setup()
from plumbline.crm.models import Company, Contact
from plumbline.interop import actions
from plumbline.interop.models import ImportRun

actions.CHUNK_ROWS = 2
if sys.argv[1] == "die":
    def die(line):
        if line >= 5:  # the second chunk (lines 4-5) has committed
            os.kill(os.getpid(), signal.SIGKILL)
    actions.do_import(kind="contacts", stream=open(sys.argv[2], "rb"), filename="c.csv", progress=die)
elif sys.argv[1] == "import":
    actions.do_import(kind="contacts", stream=open(sys.argv[2], "rb"), filename="n.csv")
print(json.dumps({"contacts": sorted(Contact.objects.values_list("email", flat=True)),
                  "companies": Company.objects.count(),
                  "runs": sorted(ImportRun.objects.values_list("status", flat=True))}))
"""


def _database_url(tmp_path: Path) -> str:
    """The test's own PostgreSQL database, or a fresh migrated SQLite file (the test one lives in memory)."""
    if connection.vendor == "postgresql":
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    subprocess.run([sys.executable, "-m", "plumbline.cli", "migrate", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)})
    return url


def _child(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)})


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_is_taken_back_by_the_next_one(tmp_path):
    url = _database_url(tmp_path)
    data = tmp_path / "c.csv"
    data.write_bytes(b"email,company_domain\n" + b"".join(b"p%d@co%d.com,co%d.com\n" % (i, i, i) for i in range(8)))
    # when the importing process is killed after its second chunk
    killed = _child(url, "die", str(data))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # then its half is there until the next import, which takes it back before writing its own rows
    half = json.loads(_child(url, "look").stdout)
    assert (half["contacts"], half["companies"], half["runs"]) == (
        ["p0@co0.com", "p1@co1.com", "p2@co2.com", "p3@co3.com"], 4, ["running"])
    (tmp_path / "n.csv").write_bytes(b"email\nnext@example.com\n")
    after = _child(url, "import", str(tmp_path / "n.csv"))
    assert json.loads(after.stdout) == {"contacts": ["next@example.com"], "companies": 0, "runs": ["done", "undone"]}
