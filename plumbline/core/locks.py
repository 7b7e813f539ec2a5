"""Writes that must never make a request wait: give up at once when someone else holds the lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def atomic_or_give_up(using: str | None = None) -> Iterator[None]:
    """A transaction that raises OperationalError at once, instead of waiting, when the lock it needs is held:
    SQLite's write lock (busy_timeout 0 while it begins) or a PostgreSQL row lock (lock_timeout 1 ms). For
    best-effort bookkeeping on a read path, such as noting when an API token was last used."""
    conn = transaction.get_connection(using)
    if conn.vendor == "sqlite":
        with conn.cursor() as cursor:
            (before,) = cursor.execute("PRAGMA busy_timeout").fetchone()
            cursor.execute("PRAGMA busy_timeout = 0")
        try:
            with transaction.atomic(using=using):
                yield
        finally:
            with conn.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(before)}")
    elif conn.vendor == "postgresql":
        with transaction.atomic(using=using):
            with conn.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1ms'")
            yield
            with conn.cursor() as cursor:  # within a caller's transaction, not beyond this block (a failure rolls
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")  # the savepoint back, and the SET with it)
    else:
        with transaction.atomic(using=using):
            yield
