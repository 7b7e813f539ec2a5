"""The worker's leases: how a task left RUNNING by a worker that died is told from one still being worked on."""

from __future__ import annotations

from django.db import models


class WorkerLease(models.Model):
    """One `plumbline worker` process, renewed by its heartbeat every few seconds while it lives. A RUNNING task
    whose worker's lease has lapsed lost its worker (kill -9, a crash, the machine going down) and is run again."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    renewed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} (pid {self.pid} on {self.host})"
