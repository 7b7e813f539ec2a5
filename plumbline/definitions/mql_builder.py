"""The MQL rule in the visual builder (static/js/builder.js): its catalogue, and the conversion between the rule's
`Condition` tree and the builder's JSON, both ways.

The builder writes rules as `{"any": [{"all": [LEAF, ...]}, ...]}` with leaves `{"field", "op", "value"}`; the MQL
rule is written in its own keys (`fit_grade_at_least`, ...). Field names follow the segments predicate language
where it has the same field (`score.fit_grade`, `lifecycle_stage`), so one set of words serves both (decision
0009). A group of one is stored as its only member, so the default rule survives a round trip unchanged.

    >>> when = {"any": [{"all": [{"fit_grade_at_least": "B"}, {"engagement_at_least": 50}]},
    ...                 {"lifecycle_in": ["lead"]}]}
    >>> from_builder(to_builder(when)) == when
    True
"""

from __future__ import annotations

from typing import Any

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.crm.models import LifecycleStage
from plumbline.definitions.schema import GRADES
from plumbline.marketing.models import TouchpointKind

# builder field -> (MQL key, the one operator, its label, label of the field, group, value type)
FIELDS: dict[str, tuple[str, str, str, str, str, str]] = {
    "score.fit_grade": ("fit_grade_at_least", "gte", "is at least", "Fit grade", "Scores", "grade"),
    "score.fit_score": ("fit_score_at_least", "gte", "is at least", "Fit score", "Scores", "integer"),
    "score.engagement": ("engagement_at_least", "gte", "is at least", "Engagement score", "Scores", "number"),
    "touchpoint_kind": (
        "touchpoint_kind_in",
        "in",
        "is any of",
        "Any touchpoint of kind",
        "Behaviour",
        "kinds",
    ),
    "lifecycle_stage": ("lifecycle_in", "in", "is any of", "Lifecycle stage", "Contact", "stages"),
}
_BY_KEY = {spec[0]: name for name, spec in FIELDS.items()}
_CHOICES: dict[str, list[tuple[str, str]]] = {
    "grade": [(g, g) for g in GRADES],
    "kinds": list(TouchpointKind.choices),
    "stages": list(LifecycleStage.choices),
}


def catalogue() -> dict[str, Any]:
    """The builder's catalogue for the MQL rule: one kind of condition (a field), five fields, no NOT."""
    fields = []
    for name, (_key, op, op_label, label, group, kind) in FIELDS.items():
        field: dict[str, Any] = {
            "key": name,
            "label": label,
            "group": group,
            "type": "number" if kind in ("integer", "number") else "choice",
            "ops": [{"op": op, "label": op_label}],
        }
        if kind in _CHOICES:
            field["choices"] = [{"value": v, "label": lbl} for v, lbl in _CHOICES[kind]]
        fields.append(field)
    return {"allow_not": False, "kinds": [{"key": "field", "label": "Condition", "fields": fields}]}


def to_builder(when: dict[str, Any]) -> dict[str, Any]:
    """An MQL condition (its JSON form, as stored in a version's body) as builder JSON."""
    for branch in ("any", "all"):
        if when.get(branch) is not None:
            return {branch: [to_builder(c) for c in when[branch]]}
    key, value = next((k, v) for k, v in when.items() if v is not None)
    name = _BY_KEY[key]
    return {"field": name, "op": FIELDS[name][1], "value": value}


def from_builder(data: Any) -> dict[str, Any]:
    """Builder JSON as an MQL condition, or ValidationFailed naming each error's JSON path (`$.any[0].all[1].value`)
    so the builder shows it next to its condition."""
    errors: list[DomainError] = []
    out = _convert(data, "$", errors)
    if errors:
        raise ValidationFailed(errors)
    return out


def _err(errors: list[DomainError], path: str, message: str) -> dict[str, Any]:
    errors.append(DomainError(message, field=path))
    return {}


def _convert(node: Any, path: str, errors: list[DomainError]) -> dict[str, Any]:
    if not isinstance(node, dict):
        return _err(errors, path, "Expected a condition or a group of conditions.")
    if "not" in node:
        return _err(errors, path, "The MQL rule has no NOT: say which stages or kinds count instead.")
    for branch in ("any", "all"):
        if branch in node:
            children = node[branch]
            if set(node) != {branch} or not isinstance(children, list) or not children:
                return _err(
                    errors, path, f"A group needs at least one condition, and only the key {branch!r}."
                )
            converted = [_convert(c, f"{path}.{branch}[{i}]", errors) for i, c in enumerate(children)]
            return converted[0] if len(converted) == 1 else {branch: converted}
    return _leaf(node, path, errors)


def _leaf(node: dict[str, Any], path: str, errors: list[DomainError]) -> dict[str, Any]:
    name = node.get("field")
    if name not in FIELDS:
        return _err(errors, f"{path}.field", f"Choose one of: {', '.join(s[3] for s in FIELDS.values())}.")
    key, op, op_label, label, _group, kind = FIELDS[name]
    if set(node) - {"field", "op", "value"}:
        return _err(
            errors, path, f"Unexpected keys: {', '.join(sorted(set(node) - {'field', 'op', 'value'}))}."
        )
    if node.get("op") != op:
        return _err(errors, f"{path}.op", f"{label} takes only “{op_label}”.")
    value = node.get("value")
    problem = _value_problem(kind, value)
    if problem:
        return _err(errors, f"{path}.value", f"{label}: {problem}")
    return {key: value}


def _value_problem(kind: str, value: Any) -> str | None:
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "give a whole number."
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value == value
        return None if ok else "give a number."
    codes = [v for v, _ in _CHOICES[kind]]
    if kind == "grade":
        return None if value in codes else f"choose one of {', '.join(codes)}."
    if not isinstance(value, list) or not value:
        return "choose at least one."
    unknown = [str(v) for v in value if v not in codes]
    return f"unknown: {', '.join(unknown)}." if unknown else None
