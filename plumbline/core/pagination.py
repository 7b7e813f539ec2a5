"""Cursor pagination: stable pages over (sort key, id) for any whitelisted sort field.

A cursor is opaque to clients: base64 of the sort it was made for and the (value, id) of the last row served.
The next page is every row strictly after that pair in (sort key, id) order, so rows with equal sort keys are
neither skipped nor repeated, and rows inserted meanwhile do not shift the pages already served. Sort fields
must be non-null columns of the model itself.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from plumbline.core.errors import DomainError

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidQuery(DomainError):
    """A query parameter the server cannot use (an unknown sort, a cursor that is not ours)."""

    status = 422


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(sort: str, value: Any, pk: Any) -> str:
    raw = json.dumps({"s": sort, "v": _encode_value(value), "id": pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, model: type[Model]) -> tuple[Any, Any]:
    """The (value, id) a cursor points after; refuses cursors made for another sort or not made by us."""
    invalid = InvalidQuery("The cursor is not valid; start again without one.", field="cursor", code="invalid_cursor")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        made_for, value, pk = data["s"], data["v"], data["id"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise invalid from None
    if made_for != sort:
        raise InvalidQuery(
            f"This cursor was made for sort={made_for!r}; keep the same sort while paging.", field="cursor",
            code="invalid_cursor",
        )
    field = model._meta.get_field(sort.lstrip("-"))
    try:
        value = field.to_python(value)
        pk = model._meta.pk.to_python(pk)
    except (ValidationError, TypeError, ValueError):
        raise invalid from None
    if value is None or pk is None or (isinstance(value, str) and "\x00" in value):
        raise invalid
    return value, pk


def check_sort(sort: str, allowed: Sequence[str]) -> str:
    """`sort` when it is `name` or `-name` for an allowed name, else a 422 naming the choices."""
    if sort.lstrip("-") not in allowed or sort.count("-") > 1:
        choices = ", ".join(f"{n}, -{n}" for n in allowed)
        raise InvalidQuery(f"Cannot sort by {sort!r}; choose one of {choices}.", field="sort", code="invalid_sort")
    return sort


def paginate(
    qs: QuerySet[M], *, sort: str, allowed: Sequence[str], cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> tuple[list[M], str | None]:
    """One page of `qs` ordered by `sort` then id, and the cursor of the next page (None on the last page)."""
    sort = check_sort(sort, allowed)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery(f"limit must be 1 to {MAX_LIMIT}.", field="limit", code="out_of_range")
    name, descending = sort.lstrip("-"), sort.startswith("-")
    if cursor:
        value, pk = decode_cursor(cursor, sort, qs.model)
        op = "lt" if descending else "gt"
        qs = qs.filter(Q(**{f"{name}__{op}": value}) | Q(**{name: value, f"pk__{op}": pk}))
    order = [f"-{name}", "-pk"] if descending else [name, "pk"]
    rows = list(qs.order_by(*order)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(sort, getattr(last, name), last.pk)


def page(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
