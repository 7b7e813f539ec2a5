"""What a valid touchpoint is, written once: the batch API, single records, corrections and the CSV import all
validate with `TouchpointIn` (a whole batch with `TOUCHPOINTS`, one pydantic `TypeAdapter` call), and the API
documents the same schema.

Every constraint here runs in pydantic's core (no Python validator per field): a Python validator costs a
microsecond or more per call, which is most of a 1,000-item batch's validation. NUL is refused by a pattern and the
error reworded (`field_errors`); instants are converted to UTC by the action, once per distinct value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from plumbline.core.api_helpers import NO_NUL_PATTERN, NOT_BLANK_PATTERN, Id, money, requires_one_of
from plumbline.core.errors import DomainError
from plumbline.core.validation import NUL_MESSAGE
from plumbline.marketing.models import Channel, TouchpointKind

ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
KindName = Literal[tuple(TouchpointKind.values)]  # type: ignore[valid-type]
Value = money(max_digits=14, minimum=None)


def text(max_length: int) -> Any:
    """A string (never a number coerced to one) of at most `max_length` characters, without NUL."""
    return Annotated[str, StringConstraints(strict=True, max_length=max_length, pattern=NO_NUL_PATTERN)]


# Documented as not blank (a blank email names no contact, which the action reports); refused only for NUL.
EmailRef = Annotated[text(254), Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN})]


class TouchpointFields(BaseModel):
    """A touchpoint's own fields: what a correction may change."""

    model_config = ConfigDict(extra="forbid")

    campaign_id: Id | None = None
    channel: ChannelName | None = None
    kind: KindName
    source: text(100) = ""
    medium: text(100) = ""
    utm_campaign: text(100) = ""
    utm_content: text(200) = ""
    utm_term: text(200) = ""
    content: text(300) = ""
    occurred_at: AwareDatetime | None = None
    value: Value = Decimal(0)


class TouchpointIn(TouchpointFields):
    """One touchpoint; the contact is named by `contact_id` or `contact_email`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"allOf": [
        requires_one_of(("contact_id",), ("contact_email",)),
        requires_one_of(("channel",), ("campaign_id",)),  # a campaign gives its channel
    ]})

    contact_id: Id | None = None
    contact_email: EmailRef | None = None


TOUCHPOINTS = TypeAdapter(list[TouchpointIn])
TOUCHPOINT_FIELDS = TypeAdapter(TouchpointFields)


def field_errors(exc: ValidationError, *, nested: bool) -> list[tuple[int, DomainError]]:
    """pydantic's errors as (item index, error naming the field); `nested` when the location starts with the index
    (a list was validated), else every error is item 0's."""
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        index = loc.pop(0) if nested and loc and isinstance(loc[0], int) else 0
        field = ".".join(str(p) for p in loc) or None
        message, code = err["msg"], err["type"]
        if code == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == NO_NUL_PATTERN:
            message, code = NUL_MESSAGE, "value_error"
        out.append((index, DomainError(message, field=field, code=code)))
    return out
