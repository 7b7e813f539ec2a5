"""Pieces every API router shares: strict input schemas, page schemas, 404s, view checks, field renames."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from plumbline.core.errors import DomainError, NotFound, ValidationFailed
from plumbline.core.permissions import require
from plumbline.core.validation import NUL_MESSAGE, has_nul

M = TypeVar("M", bound=Model)

# The largest id a row can have (a bigint). A larger number names nothing, and SQLite cannot even compare a
# column with it (OverflowError), so ids beyond it are refused as invalid (422) before any query.
MAX_ID = 2**63 - 1


def _whole_number(value: Any) -> Any:
    """JSON has one number type: 3.0 is the integer 3 (JSON Schema agrees), so it passes a strict int as 3."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def whole(*, ge: int, le: int) -> Any:
    """An integer in a JSON body, from `ge` to `le`: a number (3 or 3.0, never "3" or true)."""
    return Annotated[int, Field(strict=True, ge=ge, le=le), BeforeValidator(_whole_number)]


def requires_one_of(*groups: tuple[str, ...]) -> dict[str, Any]:
    """`json_schema_extra` for a body that needs one group of fields given (not null), e.g. a contact, a company
    or a deal: the schema says so (anyOf), as the action that refuses a body naming none of them does."""
    return {"anyOf": [{"required": list(group), "properties": {f: {"not": {"type": "null"}} for f in group}}
                      for group in groups]}


# An id in a JSON body: a number (never "3" or true) from 1 to MAX_ID.
Id = whole(ge=1, le=MAX_ID)
# An id in a path or query string (text, so converted): every int path and filter parameter uses it.
IdParam = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=200)]


def _no_nul(value: str) -> str:
    if has_nul(value):
        raise ValueError(NUL_MESSAGE)
    return value


def _searchable(value: str) -> str:
    if "\x00" in value or "\U0010ffff" in value:
        raise ValueError("must not contain NUL or U+10FFFF characters")
    return value


def _json_without_nul(value: dict[str, Any]) -> dict[str, Any]:
    if "\\u0000" in json.dumps(value):
        raise ValueError(NUL_MESSAGE)
    return value


# What Python's str.strip() removes (JSON Schema's \s is another set): a name of only these is blank.
_SPACE = "\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NO_NUL_PATTERN = "^[^\\u0000]*$"
NOT_BLANK_PATTERN = f"^[^\\u0000]*[^\\u0000{_SPACE}][^\\u0000]*$"


def text(max_length: int) -> Any:
    """A string (never a number or bool coerced to one) of at most `max_length` characters, without NUL."""
    return Annotated[str, StringConstraints(strict=True, max_length=max_length), AfterValidator(_no_nul),
                     Field(json_schema_extra={"pattern": NO_NUL_PATTERN})]


def email_text(max_length: int = 254) -> Any:
    """An email address (Django's EmailValidator checks it; the schema says `format: email`)."""
    return Annotated[str, StringConstraints(strict=True, max_length=max_length), AfterValidator(_no_nul),
                     Field(json_schema_extra={"format": "email"})]


# An http(s) address with a host name (Django's URLValidator decides; it also takes IP addresses and ports).
URL_PATTERN = (r"^$|^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
               r"(/[A-Za-z0-9._~%/-]*)?$")


def url_text(max_length: int) -> Any:
    """A web address, or "" for none."""
    return Annotated[str, StringConstraints(strict=True, max_length=max_length), AfterValidator(_no_nul),
                     Field(json_schema_extra={"pattern": URL_PATTERN})]


def name_text(max_length: int) -> Any:
    """A name: text that is not blank (the actions strip it and refuse what is left empty)."""
    return Annotated[str, StringConstraints(strict=True, max_length=max_length), AfterValidator(_no_nul),
                     Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN})]


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware instants go on in UTC: PostgreSQL refuses offsets beyond +-15:59 that ISO 8601 allows (a 500, and
    a broken transaction, instead of a result), and an instant such as year 1 east of UTC has no UTC value."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("is outside the supported range of dates") from None


# A date and time in a query string or body (every datetime input uses one of these, never dt.datetime).
Instant = Annotated[dt.datetime, AfterValidator(_utc)]
AwareInstant = Annotated[AwareDatetime, AfterValidator(_utc)]



def money(*, max_digits: int, minimum: int | None = 0) -> Any:
    """An amount with two decimal places and at most `max_digits` digits, as a JSON number or a string such as
    "1234.50": the schema states both forms exactly (a number that is a whole number of cents, a string of
    digits), so every documented value is one the field takes."""
    whole_digits = max_digits - 2
    top = 10**whole_digits - 1
    signed = minimum is None
    pattern = rf"^{'-?' if signed else ''}[0-9]{{1,{whole_digits}}}(\.[0-9]{{1,2}})?$"
    number = {"type": "number", "maximum": top, "minimum": -top if signed else minimum, "multipleOf": 0.01}
    schema = {"anyOf": [number, {"type": "string", "pattern": pattern}]}
    bounds = {} if signed else {"ge": minimum}
    return Annotated[Decimal, Field(max_digits=max_digits, decimal_places=2, **bounds), WithJsonSchema(schema)]


def sort_param(allowed: tuple[str, ...]) -> Any:
    """The `sort` query parameter: one of the allowed names, ascending or with `-` for descending. The
    schema lists the choices; `paginate` refuses anything else with a 422 that names them."""
    choices = [c for name in allowed for c in (name, f"-{name}")]
    return Annotated[str, Field(json_schema_extra={"enum": choices})]


QueryText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_searchable)]
# Custom fields: JSON without NUL anywhere. The schema documents flat values (keys and text without NUL).
_CUSTOM_SCHEMA = {"type": "object", "propertyNames": {"pattern": NO_NUL_PATTERN}, "additionalProperties": {"anyOf": [
    {"type": "string", "pattern": NO_NUL_PATTERN}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]}}
Custom = Annotated[dict[str, Any], AfterValidator(_json_without_nul), WithJsonSchema(_CUSTOM_SCHEMA)]


class In(Schema):
    """Request bodies: unknown fields are refused (422 naming the field) rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class InvalidReference(DomainError):
    """A body field points at a row that does not exist."""

    status = 422

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, field=field, code="does_not_exist")


def can_view(request: HttpRequest, resource: str) -> None:
    require(request.user, "view", resource)


def get_or_404(qs: QuerySet[M], pk: int, what: str) -> M:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"No {what} with id {pk}.")
    return obj


def ref(model: type[M], pk: int | None, field: str) -> M | None:
    """The row a body field names by id (None stays None); 422 naming the field when there is none."""
    if pk is None:
        return None
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise InvalidReference(f"No {model._meta.verbose_name} with id {pk}.", field=field)
    return obj


def resolve_refs(data: dict[str, Any], refs: dict[str, tuple[type[Model], str]]) -> dict[str, Any]:
    """Turn `<name>_id` body fields into objects under the action's field name: {"company_id": 3} -> company."""
    out = dict(data)
    for api_field, (model, action_field) in refs.items():
        if api_field in out:
            out[action_field] = ref(model, out.pop(api_field), api_field)
    return out


@contextmanager
def api_fields(renames: dict[str, str]) -> Iterator[None]:
    """Report action errors under the API's field names (the action says `company`, the API `company_id`)."""
    try:
        yield
    except DomainError as exc:
        items = exc.errors if isinstance(exc, ValidationFailed) else [exc]
        for err in items:
            if err.field in renames:
                err.field = renames[err.field]
        if exc.field in renames:
            exc.field = renames[exc.field]
        raise


REF_RENAMES = {
    "owner": "owner_id", "company": "company_id", "contact": "contact_id", "deal": "deal_id",
    "pipeline": "pipeline_id", "stage": "stage_id", "campaign": "campaign_id",
}


def fresh(obj: M) -> M:
    """The row as stored, so the response shows what the database holds (Decimal scale, defaults)."""
    obj.refresh_from_db()
    return obj


def unreadable_body(exc: BaseException | None) -> dict[str, Any] | None:
    """The error item for a JSON body that cannot be read, naming the line and column, or None if `exc` is
    not about the body's encoding or syntax. JSON is UTF-8 (RFC 8259): other bytes are refused where they are."""
    if isinstance(exc, UnicodeDecodeError) and isinstance(exc.object, bytes):
        body = exc.object
        line = body.count(b"\n", 0, exc.start) + 1
        column = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = body[exc.start:exc.start + 1].hex()
        return {"field": None, "code": "invalid_encoding",
                "message": f"Line {line}, column {column}: byte 0x{byte} is not valid UTF-8; send the body as UTF-8."}
    if isinstance(exc, json.JSONDecodeError):
        return {"field": None, "code": "invalid_json",
                "message": f"Line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})."}
    return None
