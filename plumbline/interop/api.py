"""/imports: the CSV import of the import page, over the API: same importers, same mapping guess, same report."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status, UploadedFile
from pydantic import Field

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.idempotency import idempotent
from plumbline.core.permissions import require
from plumbline.interop.actions import MODES, check_import_permission, do_import
from plumbline.interop.importers import IMPORTERS
from plumbline.interop.importers.base import ImportReport

router = Router(tags=["imports"])

MAX_UPLOAD = 200 * 1024 * 1024  # as on the import page


class ImportErrorOut(Schema):
    line: int | None
    column: str | None
    field: str | None
    message: str
    code: str


class ImportOut(Schema):
    message: str
    kind: str
    mode: str
    dry_run: bool
    rejected: bool
    rows: int
    imported: int
    created: int
    updated: int
    unchanged: int
    failed: int
    mapping: dict[str, str]
    ignored_columns: list[str]
    file_error: str | None
    errors: list[ImportErrorOut]


class MappingError(DomainError):
    status = 422


def _mapping(raw: str, kind: str) -> dict[str, str] | None:
    """The `mapping` form field: a JSON object {"CSV column": "field"} ("" ignores a column); None guesses."""
    if not raw.strip():
        return None
    try:
        mapping = json.loads(raw)
    except ValueError:
        raise MappingError('Send the mapping as a JSON object like {"E-mail": "email"}.', field="mapping") from None
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise MappingError("The mapping maps column names (text) to field names (text).", field="mapping")
    fields = IMPORTERS[kind].fields
    errors = [MappingError(f"{target!r} is not a {kind} field; choose one of {', '.join(fields)}.",
                           field=f"mapping.{column}")
              for column, target in mapping.items() if target and target not in fields]
    if errors:
        failed = ValidationFailed(errors)
        failed.status = 422
        raise failed
    return mapping


def _message(report: ImportReport) -> str:
    if report.file_error:
        return f"The file cannot be imported: {report.file_error}"
    if report.rejected:
        return (f"Rejected: {report.failed} of {report.rows} rows have errors, so nothing was written "
                "(mode all-or-nothing).")
    verb = "Would import" if report.dry_run else "Imported"
    return (f"{verb} {report.kind}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.failed} with errors.")


def _body(report: ImportReport) -> dict[str, Any]:
    columns = report.mapping
    errors = [{"line": e.line, "column": e.column, "field": columns.get(e.column) if e.column else None,
               "message": e.message, "code": "invalid_row"} for e in report.errors]
    if report.file_error:
        errors.insert(0, {"line": None, "column": None, "field": "file", "message": report.file_error,
                          "code": "bad_file"})
    written = not report.dry_run and not report.rejected and not report.file_error
    return {
        **{k: getattr(report, k) for k in ("kind", "mode", "dry_run", "rejected", "rows", "created", "updated",
                                            "unchanged", "failed", "mapping", "ignored_columns", "file_error")},
        "message": _message(report),
        "imported": report.created + report.updated if written else 0,
        "errors": errors,
    }


# Checked by the import itself (its message names the choices); the schema lists them.
ImportKind = Annotated[str, Field(json_schema_extra={"enum": list(IMPORTERS)})]


@router.post("/imports", response={200: ImportOut, 400: ImportOut}, summary="Import a CSV file")
@idempotent
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[ImportKind],
    mapping: Form[str] = "",
    mode: Form[str] = "all-or-nothing",
    dry_run: Form[bool] = False,
) -> Status:
    """Multipart upload of a UTF-8 CSV whose first line names the columns; `kind` is contacts, companies, deals
    or touchpoints. `mapping` (JSON, optional) maps CSV columns to fields and overrides the guess the import
    page proposes for those columns ("" ignores a column). Mode all-or-nothing (the default) writes nothing when
    any row has an error; good-rows writes the others. `dry_run` validates and writes nothing.

    200 with the report when it was imported (or would be); 400 with the same report when the file cannot be
    read or all-or-nothing rejected it: every bad row with its line (the header is line 1), column, field and
    reason."""
    require(request.user, "add", "import")  # a role that may not import hears so before anything about its input
    check_import_permission(request.user, kind)
    if mode not in MODES:
        raise DomainError(f"Unknown mode {mode!r}; choose one of {', '.join(MODES)}.", field="mode")
    if file.size > MAX_UPLOAD:
        raise DomainError(f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB.", field="file")
    chosen = _mapping(mapping, kind)
    report = do_import(by=request.user, kind=kind, stream=file.file, mapping=chosen, mode=mode, dry_run=dry_run,
                       filename=(file.name or "")[:200])
    return Status(400 if report.file_error or report.rejected else 200, _body(report))
