"""Publishing a new version of the plumb line."""

from __future__ import annotations

from typing import Any

import pydantic
from django.db import IntegrityError, transaction
from django.db.models import Max

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.permissions import check
from plumbline.core.validation import NUL_MESSAGE, nul_path
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.schema import PlumbLine
from plumbline.events.actions import emit


def validate_body(body: Any) -> dict[str, Any]:
    """Validate a plumb line document; returns it normalised (JSON-ready) or raises field errors."""
    if not isinstance(body, dict):
        raise DomainError("The definitions must be an object/mapping.", field=None)
    try:
        parsed = PlumbLine.model_validate(body)
    except pydantic.ValidationError as exc:
        raise ValidationFailed([
            DomainError(e["msg"], field=".".join(str(p) for p in e["loc"]) or None, code=e["type"])
            for e in exc.errors()
        ]) from None
    return parsed.model_dump(mode="json")


def do_publish_definitions(*, by: Any = None, body: Any, note: str) -> DefinitionVersion:
    """Validate and store `body` as the next version. Unchanged bodies are refused: a version must differ.
    A `definitions.published` event is written in the same transaction; scoring reads it and rescores every
    contact, so scores, grades and MQLs follow the new definitions at once rather than at the nightly run."""
    check(by, "change", "definitions")
    note = (note or "").strip()
    if not note:
        raise DomainError("Say why you are changing the definitions.", field="note", code="required")
    if len(note) > 500:
        raise DomainError("The note is longer than 500 characters.", field="note", code="max_length")
    clean = validate_body(body)
    for field, value in (("note", note), ("body", clean)):
        if (where := nul_path(value, field if field == "note" else "")) is not None:
            where = where or "body"
            raise DomainError(f"{where} {NUL_MESSAGE}.", field=where, code="invalid")
    for _ in range(3):
        try:
            with transaction.atomic():
                latest = DefinitionVersion.objects.order_by("-number").first()
                if latest is not None and latest.body == clean:
                    raise DomainError("Nothing changed: this is the current version.", field=None, code="unchanged")
                number = (DefinitionVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
                version = DefinitionVersion.objects.create(number=number, body=clean, created_by=by, note=note)
                emit(kind="definitions.published", subject=version, actor=by, payload={"version": number})
                return version
        except IntegrityError:
            continue  # another publish took the number; try the next one
    raise DomainError("The definitions are being changed by someone else; try again.", code="conflict")

