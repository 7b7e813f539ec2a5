"""Kill -9 the web server while threads post beacons: every event that got a 202 is in the hits table exactly
once after a restart, and resending everything (as the script retries) doubles nothing."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from tests.processes import ROOT, Processes, free_port, wait_for

ORIGIN = "https://www.acme.test"
THREADS, EVENTS = 4, 10
KILL_AFTER = 40  # acknowledged batches before the kill


def start_server(processes: Processes, port: int, log: Path) -> subprocess.Popen:
    out = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "plumbline.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "2"],
        env=processes.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/t.js", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    wait_for(answers, "the server to answer")
    return proc


def send(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Origin": ORIGIN, "Content-Type": "text/plain",
                                              "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def make_batch(key: str) -> dict:
    return {"site": key, "visitor": secrets.token_urlsafe(16), "session": secrets.token_urlsafe(16), "events": [
        {"id": secrets.token_urlsafe(12), "kind": "page_view", "ts": 1, "url": "https://www.acme.test/"}
        for _ in range(EVENTS)]}


def test_no_acknowledged_event_is_lost_or_doubled_by_a_kill_9(processes: Processes, tmp_path: Path):
    # Given a registered site and a server
    key = processes.python(
        "from plumbline.tracking.actions import do_create_site; "
        f"print(do_create_site(name='Acme', origins='{ORIGIN}').key)")
    port = free_port()
    server = start_server(processes, port, tmp_path / "server1.log")
    url = f"http://127.0.0.1:{port}/t/collect"
    acked: list[dict] = []
    sent: list[dict] = []
    lock, killed = threading.Lock(), threading.Event()

    def fire() -> None:
        while not killed.is_set():
            body = make_batch(key)
            with lock:
                sent.append(body)
            if send(url, body) == 202:
                with lock:
                    acked.append(body)
                    if len(acked) >= KILL_AFTER and not killed.is_set():
                        # When the whole server (master and workers) is killed -9 in mid-load
                        os.killpg(server.pid, signal.SIGKILL)
                        killed.set()

    threads = [threading.Thread(target=fire) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert server.wait(timeout=30) == -signal.SIGKILL
    acked_ids = [e["id"] for b in acked for e in b["events"]]
    # Then after a restart every acknowledged event is stored exactly once
    restarted = start_server(processes, port, tmp_path / "server2.log")
    try:
        rows = dict(processes.query("SELECT event_id, COUNT(*) FROM tracking_hit GROUP BY event_id"))
        assert len(acked_ids) >= KILL_AFTER * EVENTS
        assert all(rows.get(i) == 1 for i in acked_ids)
        # and resending every batch sent (acknowledged or not) leaves each event once
        for body in sent:
            assert send(url, body) == 202
        rows = processes.query("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM tracking_hit")
        assert rows[0] == (len(sent) * EVENTS, len(sent) * EVENTS)
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=30)
