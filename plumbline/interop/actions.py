"""Import and export verbs. An import runs in chunks: validate in Python, resolve keys with one query per chunk,
write with bulk inserts/updates, each chunk in its own short transaction so other writers are never kept out for
long. All-or-nothing records how to undo each committed chunk and undoes them all when any row fails (or, after a
crash, at the next import); good-rows keeps the chunks that worked; a dry run is one transaction, rolled back."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, BinaryIO

from django.db import IntegrityError, connection, transaction

from plumbline.accounts.models import User
from plumbline.core.errors import DomainError, PermissionDenied
from plumbline.core.permissions import can
from plumbline.core.validation import NUL_MESSAGE, has_nul
from plumbline.interop.csvfile import CsvRows, FileError, unescape
from plumbline.interop.importers import IMPORTERS
from plumbline.interop.importers.base import ImportReport, Row, RowError, report_failed
from plumbline.interop.undo import Journal, NoJournal, recover_interrupted_imports

MODES = ("all-or-nothing", "good-rows")
# Rows per chunk: each is one write transaction, which on SQLite keeps other writers out while it runs (500 rows:
# ~0.7 s at most on the loaded bench machine, 2,000: ~1.5 s; bench/import_lock_bench.py), at no cost in rows/s.
# PostgreSQL keeps no writer out, and there each chunk's fixed cost (a dozen statements, a commit) weighs: 2,000
# rows import new contacts 25-35% faster than 500 (bench/ingest_bench.py). Set CHUNK_ROWS to force one size.
CHUNK_ROWS: int | None = None
DEFAULT_CHUNK_ROWS = {"sqlite": 500, "postgresql": 2000}


def chunk_rows() -> int:
    return CHUNK_ROWS or DEFAULT_CHUNK_ROWS.get(connection.vendor, 500)

Progress = Callable[[int], None]


class _Rollback(Exception):
    pass


class _Skip(Exception):
    """An all-or-nothing import that already failed checks its later chunks without keeping them."""


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def _squeezed(key: str) -> str:
    """"E-mail Address", "Email address", "EmailAddress" and "email_address" all become "emailaddress"."""
    return key.replace("_", "")


def guess_mapping(kind: str, header: list[str]) -> dict[str, str]:
    """CSV column -> field, guessed from the column names (exact field names first, then common aliases), ignoring
    case, spaces, hyphens and underscores."""
    importer = IMPORTERS[kind]
    fields = {_squeezed(f): f for f in importer.fields}
    aliases = {_squeezed(a): f for a, f in importer.aliases.items()}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for column in header:
            key = _squeezed(_key(column))
            target = fields.get(key) if exact else aliases.get(key)
            if column and column not in mapping and target and target not in taken:
                mapping[column] = target
                taken.add(target)
    return mapping


def check_mapping(kind: str, header: list[str], mapping: dict[str, str]) -> None:
    importer = IMPORTERS[kind]
    for column, target in mapping.items():
        if column not in header:
            raise FileError(f"The file has no column {column!r}; its columns are {', '.join(header)}.")
        if target not in importer.fields:
            raise FileError(f"{target!r} is not a {kind} field; choose one of {', '.join(importer.fields)}.")
    targets = list(mapping.values())
    for target in set(targets):
        if targets.count(target) > 1:
            raise FileError(f"Two columns are mapped to {target!r}.")
    missing = [f for f in importer.required if f not in targets]
    if missing:
        raise FileError(f"Missing required column {', '.join(missing)}: add it or map a column to it.", line=1)


def check_import_permission(by: Any, kind: str) -> None:
    if kind not in IMPORTERS:
        raise DomainError(f"Unknown kind {kind!r}; choose one of {', '.join(IMPORTERS)}.", field="kind")
    if by is not None and not (can(by, "add", "import") and can(by, "add", IMPORTERS[kind].resource)
                               and can(by, "change", IMPORTERS[kind].resource)):
        raise PermissionDenied(f"Your role may not import {kind}.")


def do_import(
    *, by: Any = None, kind: str, stream: BinaryIO, mapping: dict[str, str] | None = None,
    mode: str = "all-or-nothing", dry_run: bool = False, filename: str = "", progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV of `kind`. Never raises for bad data: file and row problems are in the report."""
    check_import_permission(by, kind)
    if mode not in MODES:
        raise DomainError(f"Unknown mode {mode!r}; choose one of {', '.join(MODES)}.", field="mode")
    report = ImportReport(kind=kind, mode=mode, dry_run=dry_run)
    try:
        rows = CsvRows(stream)
        chosen = {**guess_mapping(kind, rows.header), **(mapping or {})}
        chosen = {c: f for c, f in chosen.items() if f}
        check_mapping(kind, rows.header, chosen)
    except FileError as exc:
        report.file_error, report.rejected = exc.message, True
        return report
    report.mapping = chosen
    report.ignored_columns = [c for c in rows.header if c not in chosen]
    users = {u.username.lower(): u for u in User.objects.filter(is_active=True)}
    importer = IMPORTERS[kind](by=by, users=users, filename=filename)
    recover_interrupted_imports()  # a killed all-or-nothing import is taken back before anything else is written
    if dry_run:  # one transaction, rolled back: later chunks see what earlier ones would have written
        importer.journal = NoJournal()
        try:
            with transaction.atomic():
                _run(importer, rows, chosen, report, progress)
                raise _Rollback
        except _Rollback:
            pass
    elif mode == "good-rows":
        importer.journal = NoJournal()
        _run(importer, rows, chosen, report, progress)
    else:
        _run_all_or_nothing(importer, rows, chosen, report, progress, by=by, filename=filename)
    report.errors.sort(key=lambda e: e.line)  # a chunk reports its rows' checks before its writes' refusals
    return report


def _run_all_or_nothing(importer: Any, rows: CsvRows, mapping: dict[str, str], report: ImportReport,
                        progress: Progress | None, *, by: Any, filename: str) -> None:
    """Chunks commit one by one with their undo records; any row error undoes them all. A process killed midway
    leaves its run for `recover_interrupted_imports`, which the next import calls first."""
    journal = Journal.start(kind=importer.kind, by=by, filename=filename)
    importer.journal = journal
    try:
        _run(importer, rows, mapping, report, progress)
    except Exception:
        journal.undo()
        raise
    if report.errors or report.file_error:
        journal.undo()
        report.rejected = True
    else:
        journal.finish()


def _run(importer: Any, rows: CsvRows, mapping: dict[str, str], report: ImportReport,
         progress: Progress | None) -> None:
    index = {i: mapping[c] for i, c in enumerate(rows.header) if c in mapping}
    columns = {f: c for c, f in mapping.items()}
    width = len(rows.header)
    chunk: list[tuple[Row, dict[str, Any]]] = []
    size = chunk_rows()
    try:
        for line, cells in rows:
            report.rows += 1
            values = {f: cells[i].strip() for i, f in index.items() if i < len(cells)}
            for f, value in values.items():
                if value[:1] == "'":  # a formula's guard quote, rarely there
                    values[f] = unescape(value)
            row = Row(line, values, columns)
            if len(cells) != width:
                row.error(None, f"Expected {width} columns like the header, found {len(cells)}.")
            for name in [f for f, value in row.values.items() if has_nul(value)]:
                row.error(name, NUL_MESSAGE + ".")
            if row.errors:
                report_failed(report, row)
                continue
            data = importer.clean(row)
            if data is None:
                report_failed(report, row)
                continue
            chunk.append((row, data))
            if len(chunk) >= size:
                _flush(importer, chunk, report, progress, line)
                chunk = []
    except FileError as exc:
        report.file_error = exc.message
    if chunk:
        _flush(importer, chunk, report, progress, chunk[-1][0].line)


def _flush(importer: Any, chunk: list, report: ImportReport, progress: Progress | None, line: int) -> None:
    # Each chunk is one short transaction (a savepoint inside a dry run's). Once an all-or-nothing import has
    # failed, its later chunks are still checked, to report every error, but rolled back at once.
    discard = isinstance(importer.journal, Journal) and bool(report.errors or report.file_error)
    try:
        with transaction.atomic():
            importer.process(chunk, report)
            if discard:
                raise _Skip
            importer.journal.chunk_committing()
    except _Skip:
        pass
    except IntegrityError as exc:  # a concurrent write took a key between our lookup and our insert
        for row, _ in chunk:
            row.error(None, f"Not written: the database refused the chunk ({str(exc).splitlines()[0]}); retry.")
            report_failed(report, row)
    if progress:
        progress(line)


def report_lines(report: ImportReport) -> list[str]:
    """The report as text for the command line."""
    verb = "Would import" if report.dry_run else "Rejected" if report.rejected else "Imported"
    lines = [f"{verb} {report.kind}: {report.rows:,} rows, {report.created:,} created, {report.updated:,} updated, "
             f"{report.unchanged:,} unchanged, {report.failed:,} with errors."]
    if report.rejected and not report.file_error:
        lines.append("Mode all-or-nothing: the file has errors, so nothing was written.")
    if report.file_error:
        lines.append(f"File error: {report.file_error}")
    if report.ignored_columns:
        lines.append(f"Ignored columns: {', '.join(report.ignored_columns)}")
    lines += [_error_line(e) for e in report.errors]
    return lines


def _error_line(error: RowError) -> str:
    return f"line {error.line}" + (f", column {error.column}" if error.column else "") + f": {error.message}"
