"""Normalisation and validation helpers used by every action."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import models

from plumbline.core.errors import DomainError, ValidationFailed

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


NUL_MESSAGE = "must not contain NUL characters"


def has_nul(value: str) -> bool:
    """PostgreSQL text and jsonb cannot hold NUL, and SQLite would store it: every input path refuses it with
    NUL_MESSAGE (the API's schemas and the CSV import), rather than fail in the database."""
    return "\x00" in value


def nul_path(value: object, path: str = "") -> str | None:
    """The dotted path of the first string holding a NUL in a JSON-like value, or None; a key holding one is
    reported by the path of its mapping (the key itself is not printable)."""
    if isinstance(value, str):
        return path if has_nul(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and has_nul(key):
            return path
        if (found := nul_path(item, here)) is not None:
            return found
    return None


def normalize_email(raw: str | None, *, field: str = "email") -> str:
    """Trim and lowercase an email; refuse it if it is not one."""
    email = (raw or "").strip().lower()
    if not email:
        raise DomainError("Email is required.", field=field, code="required")
    if len(email) > 254:
        raise DomainError("Email is longer than 254 characters.", field=field, code="max_length")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(f"{raw!r} is not a valid email address.", field=field) from None
    return email


def normalize_domain(raw: str | None, *, field: str = "domain") -> str | None:
    """'https://WWW.Acme.com/about' -> 'acme.com'. Empty -> None."""
    value = (raw or "").strip().lower()
    if not value:
        return None
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = value.split("/", 1)[0].split("?", 1)[0].split("@")[-1].split(":", 1)[0].rstrip(".")
    if value.startswith("www."):
        value = value[4:]
    if not _DOMAIN_RE.match(value):
        raise DomainError(f"{raw!r} is not a valid domain name.", field=field)
    return value


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1]


def apply_changes(obj: models.Model, changes: dict[str, Any], allowed: Iterable[str]) -> list[str]:
    """Set `changes` on `obj`, refusing unknown fields. Returns the names of the fields that changed."""
    allowed = set(allowed)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationFailed([DomainError(f"Unknown or read-only field {f!r}.", field=f) for f in unknown])
    changed = []
    for name, value in changes.items():
        try:
            current = getattr(obj, name)
        except ObjectDoesNotExist:  # an unset required relation
            current = None
        if current is None or current != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def full_clean(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Model validation turned into field errors (unique violations become 409 conflicts)."""
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        errors: list[DomainError] = []
        for field, messages in exc.message_dict.items():
            for err in exc.error_dict.get(field, []):
                code = "conflict" if err.code == "unique" else (err.code or "invalid")
                msg = err.messages[0] if err.messages else messages[0]
                errors.append(DomainError(msg, field=None if field == "__all__" else field, code=code))
        failed = ValidationFailed(errors)
        if any(e.code == "conflict" for e in errors):
            failed.status = 409
        raise failed from None
