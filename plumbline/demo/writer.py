"""Bulk inserts for the demo loader: COPY on PostgreSQL, executemany on SQLite.

Rows arrive column-wise as lists of strings (None for NULL), already formatted the way the database reads them,
so the hot path is one join per row and no per-value Python conversion.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Model

Column = Sequence[str | None]
COPY_ROWS = 100_000


def insert(table: str, columns: Sequence[str], data: Sequence[Column]) -> int:
    """Insert the rows given column by column; returns the number of rows."""
    if not data or not len(data[0]):
        return 0
    n = len(data[0])
    if connection.vendor == "postgresql":
        _copy(table, columns, data, n)
    else:
        _executemany(table, columns, data)
    return n


def _copy(table: str, columns: Sequence[str], data: Sequence[Column], n: int) -> None:
    # COPY's text format: tab-separated, \N for NULL. The demo vocabulary holds no tabs, newlines or backslashes.
    cols = [[r"\N" if v is None else v for v in col] if None in col else col for col in data]
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for start in range(0, n, COPY_ROWS):
            part = [col[start:start + COPY_ROWS] for col in cols]
            copy.write("\n".join(map("\t".join, zip(*part, strict=True))) + "\n")


def _executemany(table: str, columns: Sequence[str], data: Sequence[Column]) -> None:
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(zip(*data, strict=True)))


def next_id(model: type[Model]) -> int:
    """The first free primary key; the loader assigns ids itself so rows can reference each other."""
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def reset_sequences(models: Sequence[type[Model]]) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def analyze(models: Sequence[type[Model]]) -> None:
    """Refresh the planner's statistics after a bulk load; autovacuum would only get there minutes later, and until
    then PostgreSQL plans for tables it believes nearly empty (sort-based aggregates over 21M touchpoints)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@contextmanager
def indexes_deferred(models: Sequence[type[Model]]) -> Iterator[None]:
    """On PostgreSQL, drop the secondary indexes and foreign keys of `models` while loading, then rebuild them.

    Building an index once over millions of rows is far faster than updating it row by row, and checking foreign
    keys in one pass at the end beats one deferred trigger per row. Unique indexes stay, so duplicates still fail.
    The rebuild runs even when the load fails; only a killed process leaves them missing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models]
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
