"""Bulk inserts of validated rows that return the new ids: COPY on PostgreSQL, multi-row INSERT ... RETURNING
elsewhere (SQLite).

`bulk_create` spends most of its time building a model object per row and preparing each value through its field;
for rows that are already validated and typed that work is pure overhead. Here a row is a tuple of Python values
(str, int, Decimal, aware datetime, dict for JSON, None) in the order of `columns`.

On PostgreSQL the ids are taken from the table's sequence first (one `nextval` query for the whole set), so COPY
can write them explicitly and callers can reference the new rows at once (a contact's lifecycle transition).
COPY's text format is produced by psycopg (`write_row`), which escapes tabs, newlines and backslashes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

# SQLite allows 32,766 parameters per statement since 3.32; stay well below.
_MAX_PARAMS = 30_000


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, copy: bool | None = None
) -> list[int]:
    """Insert `rows` into `model`'s table and return their new ids, in the order of `rows`.

    `columns` are field names or attnames (`contact_id`). `copy` forces the COPY path (True, PostgreSQL only) or
    the INSERT path (False); by default PostgreSQL uses COPY.
    """
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in columns]
    use_copy = connection.vendor == "postgresql" if copy is None else copy
    if use_copy:
        return _copy(model, fields, rows)
    return _insert_returning(model, fields, rows)


def _copy(model: type[models.Model], fields: list[Any], rows: Sequence[Sequence[Any]]) -> list[int]:
    meta = model._meta
    quote = connection.ops.quote_name
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    sql = (f"COPY {quote(meta.db_table)} ({quote(meta.pk.column)}, {', '.join(quote(f.column) for f in fields)}) "
           "FROM STDIN")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = sorted(pk for (pk,) in cursor.fetchall())
        # The raw psycopg cursor: wrap its errors so a duplicate key is Django's IntegrityError, as with INSERT.
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as out:
            write = out.write_row
            if json_at:
                for pk, row in zip(ids, rows, strict=True):
                    values = list(row)
                    for i in json_at:
                        values[i] = None if values[i] is None else json.dumps(values[i])
                    write((pk, *values))
            else:
                for pk, row in zip(ids, rows, strict=True):
                    write((pk, *row))
    return ids


def _insert_returning(model: type[models.Model], fields: list[Any], rows: Sequence[Sequence[Any]]) -> list[int]:
    meta = model._meta
    quote = connection.ops.quote_name
    head = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES ")
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, _MAX_PARAMS // len(fields))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start:start + per_statement]
            params = [f.get_db_prep_save(v, connection) for row in part for f, v in zip(fields, row, strict=True)]
            cursor.execute(head + ", ".join([marks] * len(part)) + f" RETURNING {quote(meta.pk.column)}", params)
            ids.extend(pk for (pk,) in cursor.fetchall())
    return ids
