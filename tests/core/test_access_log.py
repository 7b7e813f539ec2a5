"""`plumbline serve`'s access log records method, path and status, never a query string (searches carry
names and addresses), a client address, a referrer or a user agent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_when_up(url: str, headers: dict[str, str], deadline: float) -> int:
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # waiting for a real server to bind, not simulating time


def test_access_log_has_paths_without_query_strings_or_client_details(tmp_path):
    port = _free_port()
    env = {**os.environ, "PLUMBLINE_DATA_DIR": str(tmp_path), "PLUMBLINE_ENV": "development"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "plumbline.cli", "serve", "--port", str(port), "--workers", "1"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        status = _get_when_up(f"http://127.0.0.1:{port}/healthz?q=ann.example%40example.com",
                              {"Referer": "http://127.0.0.1/contacts/?q=Angstrom", "User-Agent": "probe-agent/1"},
                              time.monotonic() + 60)
    finally:
        server.send_signal(signal.SIGINT)  # serve stops gunicorn on Ctrl-C
        try:
            output, _ = server.communicate(timeout=30)
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)

    lines = [line for line in output.splitlines() if "/healthz" in line]
    assert status == 200
    assert len(lines) == 1 and '"GET /healthz HTTP/1.1" 200' in lines[0]
    for secret in ("example.com", "ann.example", "Angstrom", "probe-agent", "127.0.0.1 "):
        assert secret not in lines[0]
