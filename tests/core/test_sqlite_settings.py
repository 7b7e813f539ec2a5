"""Every PRAGMA of the SQLite settings holds on every new connection, and the tests run with the same settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper


def fresh_connection(path: Path) -> DatabaseWrapper:
    cfg = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": dict(settings.SQLITE_OPTIONS)}
    filled = connections.configure_settings({"default": cfg})["default"]  # Django's defaults for the other keys
    return DatabaseWrapper(filled, alias="probe")


def pragmas(conn: DatabaseWrapper) -> dict[str, object]:
    with conn.cursor() as cursor:
        return {
            name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }


@pytest.mark.django_db
def test_each_pragma_takes_effect_on_every_new_connection(tmp_path: Path) -> None:
    # Given two connections opened one after the other on a SQLite file with the project's options
    first, second = fresh_connection(tmp_path / "db.sqlite3"), fresh_connection(tmp_path / "db.sqlite3")
    try:
        # When each is asked for its settings, then each has every one (synchronous=NORMAL is 1)
        expected = {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 20000, "foreign_keys": 1}
        assert pragmas(first) == expected
        assert pragmas(second) == expected
    finally:
        first.close()
        second.close()


@pytest.mark.django_db
def test_a_transaction_takes_the_write_lock_when_it_begins(tmp_path: Path) -> None:
    # Given a transaction begun on a connection with the project's options, before it writes anything
    conn = fresh_connection(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", timeout=0, isolation_level=None)
    try:
        conn.ensure_connection()
        conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)

        # When another connection tries to begin writing
        # Then it is refused at once: the first holds the write lock from BEGIN (IMMEDIATE), so it can never meet
        # "database is locked" halfway through its own work
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        conn.rollback()
        conn.close()


@pytest.mark.django_db
def test_the_sqlite_test_database_uses_the_project_options() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run has no SQLite options to check")
    # Given the test database's connection, then its options are the project's and its busy timeout is in force
    assert connection.settings_dict["OPTIONS"] == settings.SQLITE_OPTIONS
    assert pragmas(connection)["busy_timeout"] == 20000
