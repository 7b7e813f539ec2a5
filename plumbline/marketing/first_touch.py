"""Each contact's first touchpoint, stored in `FirstTouchpoint` by the actions that write touchpoints.

The first touchpoint is the earliest `occurred_at`, ties to the lowest id. It is kept set-based, in the
transaction that wrote the touchpoints:
- `note_inserted`: after inserting touchpoints, one statement for the whole batch. A new touchpoint becomes
  its contact's first when it is earlier than the stored one (it may arrive dated before it) or the contact
  had none; the upsert compares against the row as committed, so concurrent batches cannot lose an earlier one.
- `note_rows`: the same for touchpoints whose values the caller holds (a batch it just wrote): each contact's
  earliest of them is upserted from arrays on PostgreSQL, without reading the new rows back. Every one goes
  through the upsert, even when the stored touch is earlier: the upsert locks that row, so a `refresh` of the
  contact (its first touch deleted meanwhile) waits for this transaction and then sees its touchpoints.
- `refresh`: where the stored value may no longer hold (a touchpoint updated, deleted, or moved to another
  contact), recompute those contacts from the touchpoints table: three statements per 5,000 contacts. Their
  rows are locked first, so a concurrent batch that noted an earlier touch commits before they are read.
Rows are written in contact order, so two transactions over the same contacts wait for each other rather than
deadlock.
Deleting a campaign nulls `campaign` here as on the touchpoints (a SET NULL foreign key); deleting a contact
deletes its row (CASCADE).

Plain SQL that SQLite (3.25+: window functions, upsert) and PostgreSQL both run; times compare as the ORM
compares them (SQLite stores them as UTC text of one fixed format).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

REFRESH_CHUNK = 5_000
_TABLE = "marketing_firsttouchpoint"
_INSERT = f"INSERT INTO {_TABLE} (contact_id, touchpoint_id, occurred_at, channel, campaign_id) "
_SET = ("SET touchpoint_id = excluded.touchpoint_id, occurred_at = excluded.occurred_at, "
        "channel = excluded.channel, campaign_id = excluded.campaign_id")
_EARLIER = (f"excluded.occurred_at < {_TABLE}.occurred_at OR (excluded.occurred_at = {_TABLE}.occurred_at "
            f"AND excluded.touchpoint_id < {_TABLE}.touchpoint_id)")


def firsts_sql(where: str) -> str:
    """SELECT contact_id, id, occurred_at, channel, campaign_id of the first touchpoint of each contact, among the
    touchpoints `t` matching `where`."""
    # The outer WHERE also keeps SQLite from reading the upsert's ON CONFLICT as a join's ON.
    return (
        "SELECT contact_id, id, occurred_at, channel, campaign_id FROM ("
        "SELECT t.contact_id, t.id, t.occurred_at, t.channel, t.campaign_id, ROW_NUMBER() OVER ("
        f"PARTITION BY t.contact_id ORDER BY t.occurred_at, t.id) AS n FROM marketing_touchpoint t WHERE {where}"
        ") f WHERE f.n = 1 ORDER BY contact_id"
    )


def note_inserted(first_id: int, last_id: int) -> None:
    """Touchpoints with ids from `first_id` to `last_id` were just inserted: make each the first touch of its
    contact when it comes before the stored one. Other touchpoints in that id range (another writer's) are
    noted too, which changes nothing: a first touch is only ever replaced by an earlier one."""
    sql = (_INSERT + firsts_sql("t.id BETWEEN %s AND %s")
           + f" ON CONFLICT (contact_id) DO UPDATE {_SET} WHERE {_EARLIER}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [first_id, last_id])


def note_rows(rows: Iterable[tuple[int, int, Any, str, int | None]]) -> None:
    """Touchpoints (contact_id, id, occurred_at, channel, campaign_id) were just inserted: as `note_inserted`, from
    their values. SQLite, whose upsert cannot take arrays, notes them by their id range."""
    firsts: dict[int, tuple[int, int, Any, str, int | None]] = {}
    for row in rows:
        held = firsts.get(row[0])
        if held is None or (row[2], row[1]) < (held[2], held[1]):
            firsts[row[0]] = row
    if not firsts:
        return
    if connection.vendor != "postgresql":
        ids = [row[1] for row in firsts.values()]
        note_inserted(min(ids), max(ids))
        return
    ordered = [firsts[c] for c in sorted(firsts)]  # contact order: concurrent batches wait rather than deadlock
    columns = [list(c) for c in zip(*ordered, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT + "SELECT n.contact_id, n.touchpoint_id, n.occurred_at, n.channel, n.campaign_id FROM unnest("
            "%s::bigint[], %s::bigint[], %s::timestamptz[], %s::varchar[], %s::bigint[]) WITH ORDINALITY "
            "AS n(contact_id, touchpoint_id, occurred_at, channel, campaign_id, i) "
            f"ORDER BY n.i ON CONFLICT (contact_id) DO UPDATE {_SET} WHERE {_EARLIER}",
            columns,
        )


def refresh(contact_ids: Iterable[int]) -> None:
    """Recompute the first touch of these contacts from their touchpoints (none left: no row)."""
    ids = sorted(set(contact_ids))
    with connection.cursor() as cursor:
        for start in range(0, len(ids), REFRESH_CHUNK):
            part = ids[start:start + REFRESH_CHUNK]
            marks = ", ".join(["%s"] * len(part))
            # In PostgreSQL's read committed, each statement below then sees what the lock holders committed.
            if connection.features.has_select_for_update:
                cursor.execute(f"SELECT contact_id FROM {_TABLE} WHERE contact_id IN ({marks}) ORDER BY contact_id "
                               "FOR UPDATE", part)
            cursor.execute(
                f"DELETE FROM {_TABLE} WHERE contact_id IN ({marks}) AND NOT EXISTS ("
                f"SELECT 1 FROM marketing_touchpoint t WHERE t.contact_id = {_TABLE}.contact_id)", part,
            )
            cursor.execute(_INSERT + firsts_sql(f"t.contact_id IN ({marks})")
                           + f" ON CONFLICT (contact_id) DO UPDATE {_SET}", part)
