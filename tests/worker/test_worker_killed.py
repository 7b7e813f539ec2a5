"""A task running when its worker is killed runs again on the next worker (item 5 of issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.processes import Processes, wait_for

WORKER = ("worker", "--lease", "3", "--heartbeat", "0.5", "--interval", "0.1", "--no-startup-delay", "--no-reload")


def test_task_of_a_killed_worker_completes_on_the_next_worker(processes: Processes, tmp_path: Path) -> None:
    # Given a task that blocks until the test releases it, running on a worker
    started, release = tmp_path / "started", tmp_path / "release"
    task_id = processes.enqueue("wait_for_file", str(started), str(release))
    first = processes.start(*WORKER, log=tmp_path / "worker1.log")
    wait_for(started.exists, "the first worker to start the task")
    assert processes.task_status(task_id) == "RUNNING"

    # When the worker is killed mid-task and another worker starts
    first.kill()
    first.wait()
    assert processes.task_status(task_id) == "RUNNING"
    started.unlink()
    release.touch()
    second = processes.start(*WORKER, log=tmp_path / "worker2.log")

    # Then the task runs again on the second worker and completes
    wait_for(lambda: processes.task_status(task_id) == "SUCCESSFUL", "the task to complete on the second worker")
    (return_value, worker_ids), = processes.query(
        "SELECT return_value, worker_ids FROM django_tasks_database_dbtaskresult WHERE status = %s", "SUCCESSFUL"
    )
    if processes.sqlite_path is not None:  # SQLite hands JSON back as text, psycopg decodes it
        return_value, worker_ids = json.loads(return_value), json.loads(worker_ids)
    assert return_value == "released"
    assert len(worker_ids) == 2 and worker_ids[0] != worker_ids[1]
    assert started.exists()  # the second run really ran the task
    assert second.poll() is None
    assert "queued again" in (tmp_path / "worker2.log").read_text()
