"""Many lifecycle moves at once, each recorded exactly as `do_change_lifecycle` records one.

For system moves over many contacts (the bulk rescore promoting thousands of MQLs): the contacts are locked in id
order, a contact whose current stage no longer allows the move (it moved meanwhile) is left alone, the transitions
are written in one COPY on PostgreSQL (one multi-row INSERT on SQLite) and the contacts in one UPDATE per target
stage. Nothing is checked per user: the caller is the system.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import transaction

from plumbline.core.bulk import insert_rows
from plumbline.crm.lifecycle import refusal
from plumbline.crm.models import Contact, LifecycleTransition

LOCK_CHUNK = 10_000  # ids per locking query: far below SQLite's parameter limit


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


@transaction.atomic
def do_bulk_change_lifecycle(
    *, moves: Sequence[Move], occurred_at: dt.datetime, source: str = "automation",
    definition_version: int | None = None, from_stages: Collection[str] | None = None,
) -> list[Moved]:
    """Apply `moves` (one per contact) and return those applied, in contact id order.

    A move is skipped when the contact is gone, when its current stage refuses the move (crm.lifecycle), or when
    `from_stages` is given and the contact is in none of them."""
    by_contact = {m.contact_id: m for m in moves}
    current = _locked_stages(sorted(by_contact))
    applied: list[tuple[Move, str]] = []
    for contact_id, stage in current:
        move = by_contact[contact_id]
        if from_stages is not None and stage not in from_stages:
            continue
        if refusal(stage, move.to_stage) is None:
            applied.append((move, stage))
    ids = insert_rows(
        LifecycleTransition,
        ["contact_id", "from_stage", "to_stage", "occurred_at", "by_id", "reason", "source", "definition_version"],
        [(m.contact_id, stage, m.to_stage, occurred_at, None, m.reason[:500], source, definition_version)
         for m, stage in applied],
    )
    targets: dict[str, list[int]] = defaultdict(list)
    for m, _ in applied:
        targets[m.to_stage].append(m.contact_id)
    for to_stage, contact_ids in targets.items():
        for start in range(0, len(contact_ids), LOCK_CHUNK):
            Contact.objects.filter(pk__in=contact_ids[start:start + LOCK_CHUNK]).update(
                lifecycle_stage=to_stage, lifecycle_changed_at=occurred_at, updated_at=occurred_at)
    return [Moved(m.contact_id, stage, m.to_stage, pk) for (m, stage), pk in zip(applied, ids, strict=True)]


def _locked_stages(contact_ids: list[int]) -> list[tuple[int, str]]:
    """Each contact's stage, its row locked to the end of the transaction (as `do_change_lifecycle` locks one; in id
    order, so two bulk moves over overlapping contacts cannot deadlock)."""
    rows: list[tuple[int, str]] = []
    for start in range(0, len(contact_ids), LOCK_CHUNK):
        chunk = contact_ids[start:start + LOCK_CHUNK]
        rows += (Contact.objects.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk")
                 .values_list("pk", "lifecycle_stage"))
    return rows
