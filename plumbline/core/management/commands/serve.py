"""`plumbline serve`: the production web server (gunicorn), optionally with the background worker and scheduler
beside it, supervised: a helper that dies is started again (with capped backoff) and the reason is logged."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from plumbline.core.backoff import Backoff

logger = logging.getLogger("plumbline.serve")

STOP_TIMEOUT = 15.0  # seconds a child gets to finish after SIGTERM before it is killed
STABLE_AFTER = 60.0  # a helper that ran this long before dying starts again at the shortest delay


def exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


class Child:
    """A helper process (`plumbline worker` or `plumbline scheduler`) that is started again whenever it ends."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str]) -> None:
        self.name, self.argv, self.env = name, argv, dict(env)
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restart_at = 0.0
        self.backoff = Backoff(first=1.0, cap=60.0)

    def start(self) -> None:
        # Its own process group: Ctrl-C reaches `serve` alone, which then stops each child once, cleanly.
        self.proc = subprocess.Popen(self.argv, process_group=0, env=self.env)
        self.started_at = time.monotonic()
        logger.info("%s started (pid %d)", self.name.capitalize(), self.proc.pid)

    def check(self) -> None:
        """Notice an exit and schedule the restart; start it when its time has come."""
        now = time.monotonic()
        if self.proc is not None and (code := self.proc.poll()) is not None:
            if now - self.started_at > STABLE_AFTER:
                self.backoff.reset()
            delay = self.backoff.next_delay()
            logger.warning(
                "%s (pid %d) stopped: %s; starting it again in %.0f s", self.name.capitalize(), self.proc.pid,
                exit_reason(code), delay,
            )
            self.proc, self.restart_at = None, now + delay
        if self.proc is None and now >= self.restart_at:
            self.start()

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()


def wait_or_kill(proc: subprocess.Popen, deadline: float) -> None:
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        logger.warning("pid %d did not stop within %.0f s; killing it", proc.pid, STOP_TIMEOUT)
        proc.kill()
        proc.wait()


def child_env(environ: Mapping[str, str], *, host: str, port: int) -> dict[str, str]:
    """The environment of the server, worker and scheduler: HOST and PORT as served, so that links, QR codes and
    notification emails point at this port unless PUBLIC_BASE_URL says otherwise."""
    return {**environ, "HOST": host, "PORT": str(port)}


# Time, method, path without its query string (searches put names and addresses there), protocol, status,
# size, milliseconds. No client address, referrer or user agent: the access log holds no personal data.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


class Command(BaseCommand):
    help = "Serve Plumbline with gunicorn; --with-worker also runs the task worker and scheduler, restarting them if they stop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--keep-alive", type=int, default=5,
            help="Seconds an idle keep-alive connection stays open (gunicorn's default of 2 races busy API clients).",
        )
        parser.add_argument("--with-worker", action="store_true", help="Also run and supervise `plumbline worker` and `plumbline scheduler`.")

    def handle(self, *args: Any, **opts: Any) -> None:
        stopping: list[int] = []

        def stop(signum: int, _frame: Any) -> None:
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        env = child_env(os.environ, host=opts["host"], port=opts["port"])
        helpers = [Child(name, [sys.executable, "-m", "plumbline.cli", name], env) for name in ("worker", "scheduler")]
        helpers = helpers if opts["with_worker"] else []
        cmd = [
            sys.executable, "-m", "gunicorn", "plumbline.wsgi:application",
            "--bind", f"{opts['host']}:{opts['port']}", "--workers", str(opts["workers"]),
            "--threads", str(opts["threads"]), "--keep-alive", str(opts["keep_alive"]), "--access-logfile", "-",
            "--access-logformat", ACCESS_LOG_FORMAT,
            "--graceful-timeout", "10",
        ]
        self.stdout.write(f"Serving Plumbline at http://{opts['host']}:{opts['port']}/ (Ctrl-C stops it)")
        self.stdout.flush()
        server = subprocess.Popen(cmd, process_group=0, env=env)
        code = 0
        try:
            while not stopping:
                if (code := server.poll()) is not None:
                    logger.error("The web server (pid %d) stopped: %s; stopping the rest", server.pid, exit_reason(code))
                    break
                for child in helpers:
                    child.check()
                time.sleep(0.2)
        finally:
            self._stop_all(server, helpers)
        if code:
            raise SystemExit(1)

    def _stop_all(self, server: subprocess.Popen, helpers: list[Child]) -> None:
        """SIGTERM to everyone at once (gunicorn and the worker finish what they are doing), then wait for each."""
        if server.poll() is None:
            server.terminate()
        for child in helpers:
            child.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in [server, *(c.proc for c in helpers if c.proc is not None)]:
            wait_or_kill(proc, deadline)
