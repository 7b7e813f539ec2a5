"""The predicate language's JSON form, validated with pydantic into typed nodes.

    >>> p = parse({"any": [{"all": [
    ...     {"field": "lifecycle_stage", "op": "in", "value": ["mql", "sql"]},
    ...     {"touchpoints": {"kind": "page_view", "channel": "seo"}, "op": "gte", "value": 3, "within_days": 14},
    ... ]}, {"consent": {"channel": "email", "subscription": "newsletter"}, "op": "granted"}]})
    >>> p.version
    1

A CONDITION is `{"any": [C, ...]}`, `{"all": [C, ...]}`, `{"not": C}`, a field condition
`{"field": F, "op": OP, "value": V}` (F from FIELDS, `custom.<key>` from crm's contact CustomFields), a touchpoint
count `{"touchpoints": {"kind", "channel", "campaign"}, "op": gte|lte|eq|gt|lt, "value": n, "within_days": d}`,
consent `{"consent": {"channel", "subscription"}, "op": "granted"|"not_granted"}` or lifecycle history
`{"lifecycle": {"became": stage}, "within_days": d}`. The top level may carry `"version": 1`. Every error names its
JSON path (`$.any[0].all[1].op`) and the reason; `PredicateInvalid` is a 422 with all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from plumbline.consent.models import Channel as ConsentChannel
from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.crm.models import ConsentStatus, CustomField, LifecycleStage
from plumbline.marketing.models import Channel, TouchpointKind

VERSION = 1

TEXT, CHOICE, NUMBER, DATE, BOOLEAN, MOMENT = "text", "choice", "number", "date", "boolean", "datetime"
# Which operators apply to which type of field.
OPS: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "neq", "in", "not_in", "contains", "starts_with", "is_set", "is_not_set"),
    CHOICE: ("eq", "neq", "in", "not_in", "is_set", "is_not_set"),
    NUMBER: ("eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "between", "is_set", "is_not_set"),
    DATE: ("eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "between", "is_set", "is_not_set"),
    BOOLEAN: ("eq", "neq", "is_set", "is_not_set"),
    # Moments compare with relative dates only: {"days_ago": n} is `now` - n x 24 h.
    MOMENT: ("lt", "lte", "gt", "gte", "between", "is_set", "is_not_set"),
}
ALL_OPS = ("eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "between", "contains", "starts_with", "is_set",
           "is_not_set")


@dataclass(frozen=True)
class FieldSpec:
    """A field a predicate may name: its type, where it lives (`contact`, `company`, `score` or `custom`) and the
    model attribute there; `choices` for choice fields; `label`, the name people read ("Company industry")."""

    name: str
    type: str
    source: str
    attr: str
    choices: tuple[str, ...] = ()
    label: str = ""


def _spec(name: str, type_: str, source: str, attr: str, choices: Any = (), label: str = "") -> FieldSpec:
    return FieldSpec(name, type_, source, attr, tuple(choices), label)


# The registry of contact, company and score fields.
FIELDS: dict[str, FieldSpec] = {s.name: s for s in [
    _spec("email", TEXT, "contact", "email", label="Email"),
    _spec("first_name", TEXT, "contact", "first_name", label="First name"),
    _spec("last_name", TEXT, "contact", "last_name", label="Last name"),
    _spec("title", TEXT, "contact", "title", label="Job title"),
    _spec("phone", TEXT, "contact", "phone", label="Phone"),
    _spec("source", TEXT, "contact", "source", label="Contact source"),
    _spec("lifecycle_stage", CHOICE, "contact", "lifecycle_stage", LifecycleStage.values, label="Lifecycle stage"),
    _spec("consent_status", CHOICE, "contact", "consent_status", ConsentStatus.values, label="Consent status"),
    _spec("created_at", MOMENT, "contact", "created_at", label="Created"),
    _spec("lifecycle_changed_at", MOMENT, "contact", "lifecycle_changed_at", label="Lifecycle stage changed"),
    _spec("company.name", TEXT, "company", "name", label="Company name"),
    _spec("company.domain", TEXT, "company", "domain", label="Company domain"),
    _spec("company.industry", TEXT, "company", "industry", label="Company industry"),
    _spec("company.country", TEXT, "company", "country", label="Company country"),
    _spec("company.employees", NUMBER, "company", "employee_count", label="Company employees"),
    _spec("score.fit_grade", CHOICE, "score", "fit_grade", ("A", "B", "C", "D"), label="Fit grade"),
    _spec("score.fit_score", NUMBER, "score", "fit_score", label="Fit score"),
    _spec("score.engagement", NUMBER, "score", "engagement_score", label="Engagement score"),
    _spec("score.predictive", NUMBER, "score", "predictive_probability", label="Predictive probability"),
    _spec("score.last_event_at", MOMENT, "score", "last_event_at", label="Last engagement"),
]}


def custom_specs() -> dict[str, FieldSpec]:
    """The contact custom fields crm defines, as `custom.<key>` specs."""
    return {f"custom.{f.key}": _spec(f"custom.{f.key}", f.type, "custom", f.key, f.choices or (), f.label)
            for f in CustomField.objects.filter(applies_to=CustomField.AppliesTo.CONTACT)}


def known_spec(name: str, custom: dict[str, FieldSpec]) -> FieldSpec:
    """The field's spec, or PredicateInvalid when a saved predicate names a field that no longer exists."""
    spec = field_spec(name, custom)
    if spec is None:
        raise PredicateInvalid([DomainError(f"unknown field {name!r}", field="field", code="unknown_field")])
    return spec


def field_spec(name: str, custom: dict[str, FieldSpec] | None = None) -> FieldSpec | None:
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith("custom."):
        return (custom if custom is not None else custom_specs()).get(name)
    return None


# ---- the nodes ----

class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AnyOf(_Node):
    any: list[Condition] = Field(min_length=1)


class AllOf(_Node):
    all: list[Condition] = Field(min_length=1)


class Not(_Node):
    not_: Condition = Field(alias="not")


class FieldCondition(_Node):
    field: str
    op: Literal["eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "between", "contains", "starts_with",
                "is_set", "is_not_set"]
    value: Any = None


class TouchpointFilter(_Node):
    kind: Literal[tuple(TouchpointKind.values)] | None = None  # type: ignore[valid-type]
    channel: Literal[tuple(Channel.values)] | None = None  # type: ignore[valid-type]
    campaign: int | None = None


class TouchpointCount(_Node):
    touchpoints: TouchpointFilter
    op: Literal["gte", "lte", "eq", "gt", "lt"]
    value: int = Field(ge=0)
    within_days: int | None = Field(default=None, ge=1, le=3650)


class ConsentFilter(_Node):
    channel: Literal[tuple(ConsentChannel.values)]  # type: ignore[valid-type]
    subscription: str | None = None


class ConsentCondition(_Node):
    consent: ConsentFilter
    op: Literal["granted", "not_granted"]


class LifecycleFilter(_Node):
    became: Literal[tuple(LifecycleStage.values)]  # type: ignore[valid-type]


class LifecycleCondition(_Node):
    lifecycle: LifecycleFilter
    within_days: int | None = Field(default=None, ge=1, le=3650)


_KEYS = ("any", "all", "not", "field", "touchpoints", "consent", "lifecycle")
_TAGS = {k: f"<{k}>" for k in _KEYS}


def _discriminate(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in _KEYS:
            if key in value:
                return _TAGS[key]
    elif isinstance(value, BaseModel):
        return _TAGS[{AnyOf: "any", AllOf: "all", Not: "not", FieldCondition: "field", TouchpointCount: "touchpoints",
                      ConsentCondition: "consent", LifecycleCondition: "lifecycle"}[type(value)]]
    return None


Condition = Annotated[
    (Annotated[AnyOf, Tag(_TAGS["any"])] | Annotated[AllOf, Tag(_TAGS["all"])] | Annotated[Not, Tag(_TAGS["not"])]
     | Annotated[FieldCondition, Tag(_TAGS["field"])] | Annotated[TouchpointCount, Tag(_TAGS["touchpoints"])]
     | Annotated[ConsentCondition, Tag(_TAGS["consent"])] | Annotated[LifecycleCondition, Tag(_TAGS["lifecycle"])]),
    Discriminator(_discriminate, custom_error_type="unknown_condition",
                  custom_error_message="a condition needs one of the keys " + ", ".join(_KEYS)),
]

for _model in (AnyOf, AllOf, Not):
    _model.model_rebuild()


class _Root(BaseModel):
    root: Condition


@dataclass(frozen=True)
class Predicate:
    """A validated predicate: its language version and its root condition."""

    root: Any
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, **to_json(self.root)}


def to_json(node: Any) -> dict[str, Any]:
    return node.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False)


class PredicateInvalid(ValidationFailed):
    """The predicate's errors, each with its JSON path as `field`."""

    status = 422


def _path(loc: tuple) -> str:
    out = "$"
    for part in loc[1:]:  # loc[0] is the wrapper's `root`
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _TAGS.values():
            continue
        else:
            out += f".{part}"
    return out


def parse(data: Any, *, custom: dict[str, FieldSpec] | None = None) -> Predicate:
    """Validate a predicate's JSON form into typed nodes, or raise PredicateInvalid naming every error's path.
    `custom` (the custom field specs) is read from crm when not given."""
    errors: list[DomainError] = []
    version = VERSION
    if isinstance(data, dict) and "version" in data:
        data = dict(data)
        version = data.pop("version")
        if version != VERSION:
            raise PredicateInvalid([DomainError(f"unknown version {version!r}; this is version {VERSION}",
                                                field="$.version", code="version")])
    try:
        root = _Root.model_validate({"root": data}).root
    except ValidationError as exc:
        for err in exc.errors():
            errors.append(DomainError(err["msg"], field=_path(err["loc"]), code=err["type"]))
        raise PredicateInvalid(errors) from None
    _check(root, "$", custom if custom is not None else custom_specs(), errors)
    if errors:
        raise PredicateInvalid(errors)
    return Predicate(root=root, version=version)


def _err(errors: list[DomainError], path: str, reason: str, code: str = "invalid") -> None:
    errors.append(DomainError(reason, field=path, code=code))


def _check(node: Any, path: str, custom: dict[str, FieldSpec], errors: list[DomainError]) -> None:
    if isinstance(node, (AnyOf, AllOf)):
        key = "any" if isinstance(node, AnyOf) else "all"
        for i, child in enumerate(getattr(node, key)):
            _check(child, f"{path}.{key}[{i}]", custom, errors)
    elif isinstance(node, Not):
        _check(node.not_, f"{path}.not", custom, errors)
    elif isinstance(node, FieldCondition):
        spec = field_spec(node.field, custom)
        if spec is None:
            _err(errors, f"{path}.field", f"unknown field {node.field!r}", "unknown_field")
            return
        if node.op not in OPS[spec.type]:
            _err(errors, f"{path}.op", f"{node.op!r} does not apply to the {spec.type} field {spec.name!r}; use one "
                 f"of {', '.join(OPS[spec.type])}", "op")
            return
        _check_value(spec, node.op, node.value, f"{path}.value", errors)


def _scalar_error(spec: FieldSpec, value: Any) -> str | None:
    if spec.type == MOMENT:
        ok = (isinstance(value, dict) and set(value) == {"days_ago"} and isinstance(value["days_ago"], int)
              and not isinstance(value["days_ago"], bool) and -3650 <= value["days_ago"] <= 36500)
        return None if ok else 'expected a relative date, {"days_ago": n}'
    if spec.type == NUMBER:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
        return None if ok else "expected a number"
    if spec.type == BOOLEAN:
        return None if isinstance(value, bool) else "expected true or false"
    if not isinstance(value, str) or not value:
        return "expected a non-empty string"
    if spec.type == DATE:
        try:
            import datetime as dt
            dt.date.fromisoformat(value)
        except ValueError:
            return "expected a date as YYYY-MM-DD"
        return None if len(value) == 10 else "expected a date as YYYY-MM-DD"
    if spec.type == CHOICE and spec.choices and value not in spec.choices:
        return f"{value!r} is not one of {', '.join(spec.choices)}"
    return None


def _check_value(spec: FieldSpec, op: str, value: Any, path: str, errors: list[DomainError]) -> None:
    if op in ("is_set", "is_not_set"):
        if value is not None:
            _err(errors, path, f"{op} takes no value")
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            _err(errors, path, f"{op} takes a non-empty list")
            return
        for i, item in enumerate(value):
            if (reason := _scalar_error(spec, item)) is not None:
                _err(errors, f"{path}[{i}]", reason)
    elif op == "between":
        if not isinstance(value, list) or len(value) != 2:
            _err(errors, path, "between takes a list of two values, [low, high]")
            return
        for i, item in enumerate(value):
            if (reason := _scalar_error(spec, item)) is not None:
                _err(errors, f"{path}[{i}]", reason)
    elif (reason := _scalar_error(spec, value)) is not None:
        _err(errors, path, reason)
