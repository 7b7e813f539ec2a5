"""Tasks that exist only for the worker's tests: the worker subprocess imports them from this module."""

from __future__ import annotations

import time
from pathlib import Path

from django.db.utils import OperationalError
from django_tasks import task


@task()
def wait_for_file(started: str, release: str) -> str:
    """Say it has started, then wait until the test creates `release`: the test decides when it ends."""
    Path(started).touch()
    while not Path(release).exists():
        time.sleep(0.05)
    return "released"


@task()
def locked_once(marker: str) -> str:
    """Fail the first time as SQLite does when the write lock stays taken past busy_timeout."""
    if not Path(marker).exists():
        Path(marker).touch()
        raise OperationalError("database is locked")
    return "done"
