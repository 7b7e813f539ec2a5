"""What every importer shares: the report, row errors, text/number cleaning, counting the verbs' results."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any

from django.db.models import Model

from plumbline.core.errors import DomainError
from plumbline.core.validation import normalize_domain
from plumbline.crm.actions import RowResult

PREVIEW_ROWS = 20


@dataclass
class RowError:
    line: int
    column: str | None
    message: str


@dataclass
class ImportReport:
    """The outcome of one import (or dry run): counts, every row error, a preview of the first rows."""

    kind: str
    mode: str
    dry_run: bool
    mapping: dict[str, str] = field(default_factory=dict)  # CSV column -> field
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    file_error: str | None = None
    rejected: bool = False  # all-or-nothing with errors: nothing was written

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.rejected and (self.created + self.updated) > 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=100_000)
def _domain(value: str) -> tuple[str | None, str | None]:
    """normalize_domain's result or refusal; a file names the same company domains again and again."""
    try:
        return normalize_domain(value), None
    except DomainError as exc:
        return None, exc.message


@cache
def _max_length(model: type[Model], field: str) -> int | None:
    return model._meta.get_field(field).max_length


class Row:
    """One CSV row: its line, its values by field name, and the column each field came from (for errors)."""

    __slots__ = ("line", "values", "columns", "errors")

    def __init__(self, line: int, values: dict[str, str], columns: dict[str, str]) -> None:
        self.line, self.values, self.columns = line, values, columns
        self.errors: list[RowError] = []

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def has(self, name: str) -> bool:
        return bool(self.values.get(name, ""))

    def error(self, name: str | None, message: str) -> None:
        self.errors.append(RowError(self.line, self.columns.get(name, name) if name else None, message))

    def text(self, name: str, model: type[Model], model_field: str | None = None) -> str:
        value = self.values.get(name, "")
        limit = _max_length(model, model_field or name)
        if limit and len(value) > limit:
            self.error(name, f"is longer than {limit} characters.")
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.get(name).lower().replace(" ", "_")
        if value and value not in choices:
            self.error(name, f"{self.get(name)!r} is not one of {', '.join(choices)}.")
        return value

    def domain(self, name: str) -> str | None:
        domain, problem = _domain(self.get(name))
        if problem:
            self.error(name, problem)
        return domain

    def integer(self, name: str, *, minimum: int = 0) -> int | None:
        value = self.get(name).replace(",", "").replace("_", "")
        if not value:
            return None
        try:
            number = int(Decimal(value)) if Decimal(value) == Decimal(value).to_integral_value() else None
        except InvalidOperation:
            number = None
        if number is None or number < minimum or number > 2_147_483_647:
            self.error(name, f"{self.get(name)!r} is not a whole number of at least {minimum}.")
            return None
        return number

    def decimal(self, name: str, *, digits: int = 16) -> Decimal | None:
        value = self.get(name).replace(",", "")
        if not value:
            return None
        try:
            number = Decimal(value)
            if not number.is_finite() or number < 0 or abs(number) >= Decimal(10) ** (digits - 2):
                raise InvalidOperation
        except InvalidOperation:
            self.error(name, f"{self.get(name)!r} is not an amount from 0 to {10 ** (digits - 2):,}.")
            return None
        return number.quantize(Decimal("0.01"))

    def date(self, name: str) -> dt.date | None:
        value = self.get(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.error(name, f"{value!r} is not a date like 2026-01-31.")
            return None

    def user(self, name: str, users: dict[str, Any]) -> Any:
        value = self.get(name)
        if not value:
            return None
        user = users.get(value.lower())
        if user is None:
            self.error(name, f"No user named {value!r}.")
        return user


def report_failed(report: ImportReport, row: Row) -> None:
    report.failed += 1
    report.errors.extend(row.errors)


def preview(report: ImportReport, row: Row, outcome: str, data: dict[str, Any]) -> None:
    if len(report.preview) < PREVIEW_ROWS:
        shown = {k: ("" if v is None else getattr(v, "username", v)) for k, v in data.items()}
        report.preview.append({"line": row.line, "action": outcome, "values": {k: str(v) for k, v in shown.items()}})


def apply_results(report: ImportReport, rows: list[tuple[Row, dict[str, Any]]], results: list[RowResult],
                  fields: tuple[str, ...]) -> None:
    """Count what a bulk verb did with each row of a chunk; its errors go on the row's column (when the field is
    one of the file's) and line."""
    for (row, data), result in zip(rows, results, strict=True):
        if result.errors:
            for error in result.errors:
                row.error(error.field if error.field in fields else None, error.message)
            report_failed(report, row)
            continue
        if result.outcome == "create":
            report.created += 1
        elif result.outcome == "update":
            report.updated += 1
        else:
            report.unchanged += 1
        if len(report.preview) < PREVIEW_ROWS:
            preview(report, row, result.outcome, {**data, **(result.shown or {})})
