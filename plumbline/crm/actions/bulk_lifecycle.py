"""Many lifecycle moves at once, each recorded exactly as `do_change_lifecycle` records one.

For system moves over many contacts (the bulk rescore promoting hundreds of thousands of MQLs). A contact whose
current stage no longer allows the move (it moved meanwhile) is left alone. On PostgreSQL one statement per stage
left does it all: the UPDATE of the contacts in that stage (which locks them, and checks the stage again on each
row's latest version) returns the contacts moved and feeds the INSERT of their transitions; the contact rows are
written once, not locked first and written again. On SQLite (one writer at a time) the stages are read, the
transitions inserted in multi-row INSERTs and the contacts updated. Nothing is checked per user: the caller is the
system.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from plumbline.core.bulk import insert_rows
from plumbline.crm.lifecycle import refusal
from plumbline.crm.models import Contact, LifecycleStage, LifecycleTransition
from plumbline.events.actions import EventSpec, emit_many

logger = logging.getLogger(__name__)
CHUNK = 10_000  # ids per statement on SQLite: far below its parameter limit


@dataclass(frozen=True)
class Move:
    """Move `contact_id` to `to_stage` because of `reason` (at most 500 characters, as a transition's reason)."""

    contact_id: int
    to_stage: str
    reason: str


@dataclass(frozen=True)
class Moved:
    contact_id: int
    from_stage: str
    to_stage: str
    transition_id: int


def lifecycle_events(
    moved: Sequence[Moved], *, occurred_at: dt.datetime, source: str, definition_version: int | None,
) -> list[EventSpec]:
    """The `lifecycle.changed` event of each move, as `do_change_lifecycle` writes one."""
    return [EventSpec(kind="lifecycle.changed", subject_type="contact", subject_id=m.contact_id,
                      occurred_at=occurred_at,
                      payload={"from": m.from_stage, "to": m.to_stage, "source": source,
                               "transition_id": m.transition_id, "definition_version": definition_version})
            for m in moved]


@transaction.atomic
def do_bulk_change_lifecycle(
    *, moves: Sequence[Move], occurred_at: dt.datetime, source: str = "automation",
    definition_version: int | None = None, from_stages: Collection[str] | None = None, emit_events: bool = True,
) -> list[Moved]:
    """Apply `moves` (one per contact) and return those applied, in contact id order, with a `lifecycle.changed`
    event each (unless `emit_events` is false: then the caller writes `lifecycle_events(...)` later in the same
    transaction, as late as it can, after it has locked whatever else it needs).

    A move is skipped when the contact is gone, when its current stage refuses the move (crm.lifecycle), or when
    `from_stages` is given and the contact is in none of them."""
    targets: dict[str, list[Move]] = defaultdict(list)
    for m in sorted(moves, key=lambda m: m.contact_id):
        targets[m.to_stage].append(m)
    moved: list[Moved] = []
    for to_stage, group in targets.items():
        allowed = [s for s in (from_stages if from_stages is not None else LifecycleStage.values)
                   if refusal(s, to_stage) is None]
        if not allowed:
            continue
        move = _move_pg if connection.vendor == "postgresql" else _move_rows
        started = time.perf_counter()
        moved += move(group, to_stage, allowed, occurred_at=occurred_at, source=source,
                      definition_version=definition_version)
        logger.debug("%.2f s, %s rows: moved to %s", time.perf_counter() - started, len(group), to_stage)
    moved.sort(key=lambda m: m.contact_id)
    if emit_events:
        emit_many(lifecycle_events(moved, occurred_at=occurred_at, source=source,
                                   definition_version=definition_version))
    return moved


def _move_pg(
    moves: list[Move], to_stage: str, allowed: list[str], *, occurred_at: dt.datetime, source: str,
    definition_version: int | None,
) -> list[Moved]:
    ids, reasons = [m.contact_id for m in moves], [m.reason[:500] for m in moves]
    moved: list[Moved] = []
    with connection.cursor() as cur:
        for stage in allowed:  # one statement per stage left, so the stage is known without reading it first
            cur.execute(
                "WITH moved AS (UPDATE crm_contact SET lifecycle_stage = %s, lifecycle_changed_at = %s, "
                "  updated_at = %s WHERE id = ANY(%s) AND lifecycle_stage = %s RETURNING id) "
                "INSERT INTO crm_lifecycletransition (contact_id, from_stage, to_stage, occurred_at, by_id, reason, "
                "  source, definition_version) "
                "SELECT m.id, %s, %s, %s, NULL, w.reason, %s, %s FROM moved m "
                "JOIN unnest(%s::bigint[], %s::text[]) AS w(contact_id, reason) ON w.contact_id = m.id "
                "RETURNING contact_id, id",
                [to_stage, occurred_at, occurred_at, ids, stage,
                 stage, to_stage, occurred_at, source, definition_version, ids, reasons],
            )
            moved += [Moved(contact_id, stage, to_stage, pk) for contact_id, pk in cur.fetchall()]
    return moved


def _move_rows(
    moves: list[Move], to_stage: str, allowed: list[str], *, occurred_at: dt.datetime, source: str,
    definition_version: int | None,
) -> list[Moved]:
    by_contact = {m.contact_id: m for m in moves}
    ids = sorted(by_contact)
    current: list[tuple[int, str]] = []
    for start in range(0, len(ids), CHUNK):
        current += (Contact.objects.select_for_update(no_key=True).filter(pk__in=ids[start:start + CHUNK])
                    .filter(lifecycle_stage__in=allowed).order_by("pk").values_list("pk", "lifecycle_stage"))
    pks = insert_rows(
        LifecycleTransition,
        ["contact_id", "from_stage", "to_stage", "occurred_at", "by_id", "reason", "source", "definition_version"],
        [(pk, stage, to_stage, occurred_at, None, by_contact[pk].reason[:500], source, definition_version)
         for pk, stage in current],
    )
    for start in range(0, len(current), CHUNK):
        Contact.objects.filter(pk__in=[pk for pk, _ in current[start:start + CHUNK]]).update(
            lifecycle_stage=to_stage, lifecycle_changed_at=occurred_at, updated_at=occurred_at)
    return [Moved(pk, stage, to_stage, t) for (pk, stage), t in zip(current, pks, strict=True)]
