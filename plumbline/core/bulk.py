"""Bulk writes, in one place for every app: COPY on PostgreSQL, multi-row INSERT on SQLite.

Two row shapes, for two kinds of caller:
- `insert_rows`: validated rows of typed Python values, one tuple per row, returning the new ids in order.
  Touchpoint batches (marketing) and CSV imports (interop) write through it.
- `insert_columns`: columns of strings already formatted the way the database reads them (the demo loader,
  millions of rows), so the hot path is one join per row and no per-value conversion.
Plus what a bulk load needs around the insert: `next_id`, `reset_sequences`, `indexes_deferred`, `analyze`.

`bulk_create` spends most of its time building a model object per row and preparing each value through its field;
for rows that are already validated and typed that work is pure overhead. Here a row is a tuple of Python values
(str, int, Decimal, aware datetime, dict for JSON, None) in the order of `columns`.

On PostgreSQL the ids are taken from the table's sequence first (one `nextval` query for the whole set), so COPY
can write them explicitly and callers can reference the new rows at once (a contact's lifecycle transition).
COPY's text format is produced by psycopg (`write_row`), which escapes tabs, newlines and backslashes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models

# SQLite allows 32,766 parameters per statement since 3.32; stay well below.
_MAX_PARAMS = 30_000
# Rows per write() when COPYing text columns.
COPY_ROWS = 100_000
Column = Sequence[str | None]


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
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    sql = _copy_sql(meta.db_table, [meta.pk.column, *(f.column for f in fields)])
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


def insert_columns(table: str, columns: Sequence[str], data: Sequence[Column]) -> int:
    """Insert rows given column by column as preformatted strings (None for NULL); returns the number of rows.

    The strings go to COPY's text format unescaped, so they must hold no tabs, newlines or backslashes (the demo
    vocabulary holds none); typed or user-supplied values go through `insert_rows`.
    """
    if not data or not len(data[0]):
        return 0
    n = len(data[0])
    if connection.vendor == "postgresql":
        cols = [[r"\N" if v is None else v for v in col] if None in col else col for col in data]
        with connection.cursor() as cursor, cursor.cursor.copy(_copy_sql(table, columns)) as out:
            for start in range(0, n, COPY_ROWS):
                part = [col[start:start + COPY_ROWS] for col in cols]
                out.write("\n".join(map("\t".join, zip(*part, strict=True))) + "\n")
    else:
        quote = connection.ops.quote_name
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES ({marks})",
                               list(zip(*data, strict=True)))
    return n


def _copy_sql(table: str, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"


def next_id(model: type[models.Model]) -> int:
    """The first free primary key; a loader that assigns ids itself can make rows reference each other."""
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def reset_sequences(model_list: Sequence[type[models.Model]]) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def analyze(model_list: Sequence[type[models.Model]]) -> None:
    """Refresh the planner's statistics after a bulk load; autovacuum would only get there minutes later, and until
    then PostgreSQL plans for tables it believes nearly empty (sort-based aggregates over 21M touchpoints)."""
    with connection.cursor() as cursor:
        for model in model_list:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@contextmanager
def indexes_deferred(model_list: Sequence[type[models.Model]]) -> Iterator[None]:
    """On PostgreSQL, drop the secondary indexes and foreign keys of `models` while loading, then rebuild them.

    Building an index once over millions of rows is far faster than updating it row by row, and checking foreign
    keys in one pass at the end beats one deferred trigger per row. Unique indexes stay, so duplicates still fail.
    The rebuild runs even when the load fails; only a killed process leaves them missing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in model_list]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)", [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
            "AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'", [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
