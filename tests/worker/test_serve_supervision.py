"""`plumbline serve --with-worker` starts its worker and scheduler again when they die (item 1 of issue 10)."""

from __future__ import annotations

import os
import re
import signal
import urllib.request
from pathlib import Path

from tests.processes import Processes, free_port, wait_for


def started_pids(log: Path, name: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"{name} started \(pid (\d+)\)", log.read_text())]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_restarts_a_killed_scheduler_and_worker_and_stops_them_all(processes: Processes, tmp_path: Path) -> None:
    # Given `serve --with-worker` running, with its worker and scheduler started
    log = tmp_path / "serve.log"
    port = free_port()
    serve = processes.start("serve", "--with-worker", "--port", str(port), "--workers", "1", "--threads", "2", log=log)
    scheduler, = wait_for(lambda: started_pids(log, "Scheduler"), "the scheduler to start")
    worker, = wait_for(lambda: started_pids(log, "Worker"), "the worker to start")

    # When the scheduler and then the worker are killed
    os.kill(scheduler, signal.SIGKILL)
    new_scheduler = wait_for(lambda: started_pids(log, "Scheduler")[1:], "the scheduler to come back")[0]
    os.kill(worker, signal.SIGKILL)
    new_worker = wait_for(lambda: started_pids(log, "Worker")[1:], "the worker to come back")[0]

    # Then each is started again, the log says why it stopped, and the web server kept serving
    assert alive(new_scheduler) and alive(new_worker)
    text = log.read_text()
    assert f"Scheduler (pid {scheduler}) stopped: killed by SIGKILL; starting it again in 1 s" in text
    assert f"Worker (pid {worker}) stopped: killed by SIGKILL; starting it again in 1 s" in text
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=30) as response:
        assert response.status == 200

    # And SIGTERM to serve stops every child and serve itself cleanly
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=60) == 0
    assert not alive(new_scheduler) and not alive(new_worker)
