"""Retrying long-running loops (worker, scheduler, `serve`'s supervisor) with capped exponential backoff, and telling
a passing database error (locked SQLite file, lost PostgreSQL connection) from a bug."""

from __future__ import annotations

from django.db import connections
from django.db.utils import InterfaceError, OperationalError

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


class Backoff:
    """Delays of first, 2*first, 4*first ... capped at `cap`; `reset()` after a success starts again at `first`."""

    def __init__(self, *, first: float = 0.5, cap: float = 30.0, factor: float = 2.0) -> None:
        self.first, self.cap, self.factor = first, cap, factor
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.first * self.factor**self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


def drop_connections() -> None:
    """Close this thread's database connections after an error, so the next query opens a fresh one (a broken
    PostgreSQL connection is never reused); closing a connection that is already gone must not raise again."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - the connection is being thrown away whatever went wrong
            conn.connection = None
