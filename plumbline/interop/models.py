"""What an all-or-nothing import has written so far, so that a failure, or a process that died, can be undone."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class ImportRun(models.Model):
    """One all-or-nothing import whose chunks commit one by one (docs/decisions/0006-chunked-all-or-nothing-imports.md).

    While `running`, its `ImportUndo` rows say how to take back what its committed chunks wrote; a run that fails is
    undone at once, one whose process is gone (killed, crashed) by the next import.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        UNDONE = "undone", "Undone"

    kind = models.CharField(max_length=20)
    filename = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(help_text="Moved on at every committed chunk.")
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"


class ImportUndo(models.Model):
    """One write of a committed chunk: the ids it created and the values it overwrote (`before`: pk -> attname ->
    value), written in the same transaction as the write itself."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="undo")
    model = models.CharField(max_length=100)  # app_label.modelname
    created = models.JSONField(default=list)
    before = models.JSONField(default=dict, encoder=DjangoJSONEncoder)

    def __str__(self) -> str:
        return f"undo {self.model} for {self.run_id}"
