"""`plumbline serve`: the production web server (gunicorn), optionally with the background worker beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

# Time, method, path without its query string (searches put names and addresses there), protocol, status,
# size, milliseconds. No client address, referrer or user agent: the access log holds no personal data.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


class Command(BaseCommand):
    help = "Serve Plumbline with gunicorn; --with-worker also runs the task worker and scheduler until it stops."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--with-worker", action="store_true", help="Also start `plumbline worker` and `plumbline scheduler`.")

    def handle(self, *args: Any, **opts: Any) -> None:
        helpers: list[subprocess.Popen] = []
        if opts["with_worker"]:
            for name in ("worker", "scheduler"):
                proc = subprocess.Popen([sys.executable, "-m", "plumbline.cli", name])
                helpers.append(proc)
                self.stdout.write(f"{name.capitalize()} started (pid {proc.pid}).")
        cmd = [
            sys.executable, "-m", "gunicorn", "plumbline.wsgi:application",
            "--bind", f"{opts['host']}:{opts['port']}", "--workers", str(opts["workers"]),
            "--threads", str(opts["threads"]), "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
            "--graceful-timeout", "10",
        ]
        self.stdout.write(f"Serving Plumbline at http://{opts['host']}:{opts['port']}/ (Ctrl-C stops it)")
        server = subprocess.Popen(cmd)
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            server.wait()
        finally:
            for proc in helpers:
                proc.terminate()
                proc.wait(timeout=15)
