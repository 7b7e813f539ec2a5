"""Reading the plumb line: the current version, any version, and the difference between two."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.schema import DEFAULT, PlumbLine


def current_version() -> DefinitionVersion:
    """The version in force. Version 1 (the documented defaults) is written by the migrations, so reads find it;
    creating it here is left for a database emptied since (a test flush)."""
    latest = DefinitionVersion.objects.order_by("-number").first()
    if latest is not None:
        return latest
    body = PlumbLine.model_validate(DEFAULT).model_dump(mode="json")
    try:
        with transaction.atomic():
            return DefinitionVersion.objects.create(number=1, body=body, note="Initial definitions")
    except IntegrityError:
        return DefinitionVersion.objects.get(number=1)


def parsed(version: DefinitionVersion) -> PlumbLine:
    return PlumbLine.model_validate(version.body)


# Parsed bodies by (pk, number, created_at): a version never changes once published, so each process reads and
# validates a body once. created_at is in the key so that a number reused after a rollback (tests) is not mistaken.
_PARSED: dict[tuple[Any, ...], tuple[DefinitionVersion, PlumbLine]] = {}


def definitions_for(key: tuple[Any, ...] | None) -> tuple[DefinitionVersion, PlumbLine]:
    """The version with this (pk, number, created_at) key, read by the caller (the scoring path reads it in the
    same statement as the contact), and its parsed body: cached per process, read once. None: no version yet."""
    version = None
    if key is None:  # a fresh install: version 1 is created now, and cached as the caller will read it next time
        version = current_version()
        key = (version.pk, version.number, version.created_at)
    hit = _PARSED.get(key)
    if hit is None:
        if version is None:
            version = DefinitionVersion.objects.get(pk=key[0])
        hit = (version, parsed(version))
        if len(_PARSED) > 32:
            _PARSED.clear()
        _PARSED[key] = hit
    return hit


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for i, item in enumerate(value):
            label = item.get("label") or item.get("code") or str(i)
            out.update(_flatten(item, f"{prefix}[{label}]"))
        return out
    return {prefix: value}


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Changed, added and removed settings between two bodies, as rows {path, change, old, new}."""
    a, b = _flatten(old), _flatten(new)
    rows = []
    for path in sorted(set(a) | set(b)):
        if path not in a:
            rows.append({"path": path, "change": "added", "old": None, "new": b[path]})
        elif path not in b:
            rows.append({"path": path, "change": "removed", "old": a[path], "new": None})
        elif a[path] != b[path]:
            rows.append({"path": path, "change": "changed", "old": a[path], "new": b[path]})
    return rows
