"""Validation of admin-defined custom field values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.crm.models import CustomField


def _coerce(field: CustomField, value: Any) -> Any:
    if value is None or value == "":
        return None
    t = field.type
    if t == CustomField.Type.TEXT:
        text = str(value)
        if len(text) > 1000:
            raise ValueError("is longer than 1000 characters")
        return text
    if t == CustomField.Type.NUMBER:
        if isinstance(value, bool):
            raise ValueError("must be a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not number.is_finite():
            raise ValueError("must be a finite number")
        return float(number) if number != number.to_integral_value() else int(number)
    if t == CustomField.Type.DATE:
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError("must be a date like 2026-01-31") from None
    if t == CustomField.Type.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "1", "y"}:
            return True
        if text in {"false", "no", "0", "n"}:
            return False
        raise ValueError("must be yes or no")
    if str(value) not in field.choices:
        raise ValueError(f"must be one of {', '.join(map(str, field.choices))}")
    return str(value)


def clean_custom(applies_to: str, data: dict[str, Any] | None, *, current: dict[str, Any] | None = None) -> dict:
    """Validate and coerce custom values against the definitions; unknown keys are refused."""
    fields = {f.key: f for f in CustomField.objects.filter(applies_to=applies_to)}
    merged = dict(current or {})
    errors: list[DomainError] = []
    for key, value in (data or {}).items():
        field = fields.get(key)
        if field is None:
            errors.append(DomainError(f"Unknown custom field {key!r}.", field=f"custom.{key}"))
            continue
        try:
            coerced = _coerce(field, value)
        except ValueError as exc:
            errors.append(DomainError(f"{field.label} {exc}.", field=f"custom.{key}"))
            continue
        if coerced is None:
            merged.pop(key, None)
        else:
            merged[key] = coerced
    for key, field in fields.items():
        if field.required and key not in merged:
            errors.append(DomainError(f"{field.label} is required.", field=f"custom.{key}", code="required"))
    if errors:
        raise ValidationFailed(errors)
    return merged
