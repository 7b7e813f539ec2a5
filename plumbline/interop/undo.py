"""Undo records for all-or-nothing imports that commit chunk by chunk.

Each chunk of an all-or-nothing import commits in its own short transaction, so other writers (logins, the API,
the worker) get the database between chunks. Every write of a chunk also writes, in the same transaction, an
`ImportUndo` row: the ids it created, or the values it is about to overwrite. If the import then fails, its undo rows
are applied newest first, each in its own short transaction; if its process dies, the next import does that
(`recover_interrupted_imports`). See docs/decisions/0006-chunked-all-or-nothing-imports.md.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from plumbline.events.actions import emit
from plumbline.interop.models import ImportRun, ImportUndo

# A run counts as gone once its last chunk is this old (a chunk takes a second or so), or at once when it ran on
# this host and its process no longer exists. The age also catches a pid reused after a restart (containers).
STALE_AFTER = dt.timedelta(minutes=15)
HOST = socket.gethostname()[:255]


class NoJournal:
    """Good-rows imports and dry runs: nothing to undo (each chunk stands, or everything is rolled back)."""

    def created(self, model: type[models.Model], ids: Iterable[int | None]) -> None:
        pass

    def updating(self, model: type[models.Model], objs: Sequence[models.Model], fields: Iterable[str]) -> None:
        pass

    def chunk_committing(self) -> None:
        pass


class Journal(NoJournal):
    """The undo records of one running import; call its methods inside the chunk's transaction."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run

    @classmethod
    def start(cls, *, kind: str, by: Any, filename: str) -> Journal:
        now = timezone.now()
        return cls(ImportRun.objects.create(kind=kind, by=by, filename=filename[:200], host=HOST, pid=os.getpid(),
                                            started_at=now, heartbeat_at=now))

    def created(self, model: type[models.Model], ids: Iterable[int | None]) -> None:
        pks = [pk for pk in ids if pk is not None]
        if pks:
            ImportUndo.objects.create(run=self.run, model=model._meta.label_lower, created=pks)

    def updating(self, model: type[models.Model], objs: Sequence[models.Model], fields: Iterable[str]) -> None:
        """Record the stored values of `fields` of `objs` before a bulk update overwrites them."""
        attnames = sorted({model._meta.get_field(f).attname for f in fields})
        pks = [o.pk for o in objs if o.pk is not None]
        if not pks:
            return
        before = {str(row.pop("pk")): row for row in model.objects.filter(pk__in=pks).values("pk", *attnames)}
        ImportUndo.objects.create(run=self.run, model=model._meta.label_lower, before=before)

    def chunk_committing(self) -> None:
        ImportRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())

    def finish(self) -> None:
        """The import is complete: its writes stand and their undo records go."""
        with transaction.atomic():
            ImportUndo.objects.filter(run=self.run).delete()
            ImportRun.objects.filter(pk=self.run.pk).update(status=ImportRun.Status.DONE, finished_at=timezone.now())
            emit(kind="import.finished", subject=("importrun", self.run.pk), payload={"kind": self.run.kind},
                 actor=self.run.by_id)

    def undo(self) -> None:
        undo_run(self.run)


def undo_run(run: ImportRun) -> None:
    """Take back everything a run wrote, newest write first, one short transaction per undo record."""
    for pk in ImportUndo.objects.filter(run=run).order_by("-pk").values_list("pk", flat=True):
        with transaction.atomic():
            record = ImportUndo.objects.filter(pk=pk).first()
            if record is not None:  # another process may be recovering the same run
                _apply(record)
                record.delete()
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.UNDONE, finished_at=timezone.now())
        # what its committed chunks announced (contacts created, ...) is gone again
        emit(kind="import.undone", subject=("importrun", run.pk), payload={"kind": run.kind}, actor=run.by_id)


def _apply(record: ImportUndo) -> None:
    model = apps.get_model(record.model)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    for pk, values in record.before.items():
        model.objects.filter(pk=int(pk)).update(**{
            fields[name].name: fields[name].to_python(value) if value is not None else None
            for name, value in values.items()
        })
    if record.created:
        _delete_created(model, record.created)


def _delete_created(model: type[models.Model], ids: list[int]) -> None:
    from plumbline.marketing.actions import touchpoints_removed
    from plumbline.marketing.models import Touchpoint

    removed = []
    if model is Touchpoint:
        removed = list(Touchpoint.objects.filter(pk__in=ids).values_list("id", "contact_id"))
    model.objects.filter(pk__in=ids).delete()
    if removed:
        touchpoints_removed(removed, "import undone")


def _gone(run: ImportRun, now: dt.datetime) -> bool:
    if run.heartbeat_at < now - STALE_AFTER:
        return True
    if run.host != HOST or run.pid == os.getpid():  # another host, or another thread of this process
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def recover_interrupted_imports() -> list[int]:
    """Undo the runs whose process died mid-import (kill -9, a crash, a reboot); returns their ids."""
    now = timezone.now()
    gone = [run for run in ImportRun.objects.filter(status=ImportRun.Status.RUNNING) if _gone(run, now)]
    for run in gone:
        undo_run(run)
    return [run.pk for run in gone]
