"""A GET with an API token never waits for the write lock to note when the token was last used (item 2 of issue
10): a real server, and another connection holding SQLite's write lock or, on PostgreSQL, the token's row."""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

from tests.processes import Processes, serve

MAKE_TOKEN = (
    "from plumbline.accounts.actions import do_create_api_token, do_create_user; "
    "user = do_create_user(username='reader', password=None, role='marketing'); "
    "token, raw = do_create_api_token(user=user); print(token.pk, raw)"
)


class LockHolder:
    """Another connection holding what a token's touch needs until the block ends. A request that waited for it
    would fail (SQLite gives up after busy_timeout) or never answer (PostgreSQL waits for the row lock)."""

    def __init__(self, processes: Processes, token_id: int) -> None:
        self.processes, self.token_id = processes, token_id

    def __enter__(self) -> LockHolder:
        if self.processes.sqlite_path is not None:
            self.conn = sqlite3.connect(self.processes.sqlite_path, isolation_level=None, check_same_thread=False)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.conn = psycopg.connect(self.processes.env["DATABASE_URL"])
            self.conn.execute("SELECT 1 FROM accounts_apitoken WHERE id = %s FOR UPDATE", [self.token_id])
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()
        self.conn.close()


def test_a_get_does_not_wait_for_the_write_lock_to_note_the_token_used(processes: Processes, tmp_path: Path) -> None:
    # Given a running server, a token never used, and another connection holding the lock its touch would need
    token_id, raw = processes.python(MAKE_TOKEN).split()
    base = serve(processes, tmp_path / "serve.log")
    request = urllib.request.Request(base + "/api/v1/contacts", headers={"Authorization": f"Bearer {raw}"})
    try:  # a first API request, unauthenticated, loads the API's code before the lock is taken
        urllib.request.urlopen(base + "/api/v1/contacts", timeout=60)
    except urllib.error.HTTPError as error:
        assert error.code == 401

    with LockHolder(processes, int(token_id)):
        # When the token's owner reads the contact list
        with urllib.request.urlopen(request, timeout=60) as response:
            status = response.status

    # Then the read is answered, and the touch is left for a later request instead of waiting for the lock
    assert status == 200
    assert processes.query("SELECT last_used_at FROM accounts_apitoken WHERE id = %s", int(token_id)) == [(None,)]

    # And when the database is free, the next request notes the use
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
    (last_used,), = processes.query("SELECT last_used_at FROM accounts_apitoken WHERE id = %s", int(token_id))
    assert last_used is not None
