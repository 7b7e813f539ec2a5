"""Real processes for the tests that need them (worker, serve, a lock held by another connection): a database of
their own (a SQLite file, or a fresh PostgreSQL database when DATABASE_URL points at PostgreSQL), migrated by
`plumbline migrate`, read back with plain SQL."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 90.0  # generous: a deadline for something to happen, never a measure of how fast it happens


class Processes:
    """The environment for `plumbline` subprocesses on one database, and what tests do with it."""

    def __init__(self, env: dict[str, str], sqlite_path: Path | None) -> None:
        self.env, self.sqlite_path = env, sqlite_path
        self.started: list[subprocess.Popen] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "plumbline.cli", *args], env=self.env, cwd=ROOT, capture_output=True, text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, *args: str, log: Path) -> subprocess.Popen:
        out = log.open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "plumbline.cli", *args], env=self.env, cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT,
        )
        self.started.append(proc)
        return proc

    def enqueue(self, task: str, *args: str) -> str:
        return self.python(f"from tests.worker.tasks import {task}; print({task}.enqueue(*{list(args)!r}).id)")

    def python(self, code: str) -> str:
        """Run Python in `plumbline shell` on this database; the last line it prints."""
        return self.cli("shell", "-c", code).strip().splitlines()[-1]  # after the shell's own notice

    def query(self, sql: str, *params: Any) -> list[tuple]:
        if self.sqlite_path is not None:
            with sqlite3.connect(self.sqlite_path, timeout=30) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"]) as conn:
            return conn.execute(sql, params).fetchall()

    def task_status(self, task_id: str) -> str:
        rows = self.query("SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", task_id.replace("-", "")
                          if self.sqlite_path is not None else task_id)
        return rows[0][0]

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def serve(processes: Processes, log: Path, *args: str) -> str:
    """Start `plumbline serve` on a free port and return its base URL once it answers."""
    port = free_port()
    processes.start("serve", "--port", str(port), "--workers", "1", "--threads", "2", *args, log=log)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(base + "/login/", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    wait_for(answers, "the web server to answer")
    return base


def wait_for(condition: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def database_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path | None]]:
    data = tmp_path_factory.mktemp("plumbline-data")
    env = {**os.environ, "PLUMBLINE_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = os.environ.get("DATABASE_URL", "")
    dbname = None
    if url.startswith("postgres"):
        import psycopg

        cfg = dj_database_url.parse(url)
        dbname = f"plumbline_proc_{os.getpid()}"
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + dbname
        assert cfg["NAME"]  # the server URL named a database, so the replacement above is well-formed
        sqlite_path = None
    else:
        env.pop("DATABASE_URL", None)
        sqlite_path = data / "plumbline.sqlite3"
    subprocess.run([sys.executable, "-m", "plumbline.cli", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    yield env, sqlite_path
    if dbname is not None:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture
def processes(database_env: tuple[dict[str, str], Path | None]) -> Iterator[Processes]:
    procs = Processes(*database_env)
    yield procs
    procs.stop_all()
