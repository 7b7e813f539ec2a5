"""The predicate language's JSON form, validated with pydantic into typed nodes.

    >>> p = parse({"any": [{"all": [
    ...     {"field": "lifecycle_stage", "op": "in", "value": ["mql", "sql"]},
    ...     {"touchpoints": {"kind": "page_view", "channel": "seo"}, "op": "gte", "value": 3, "within_days": 14},
    ... ]}, {"consent": {"channel": "email", "subscription": "newsletter"}, "op": "granted"}]})
    >>> p.version
    1

A CONDITION is one of:
- `{"any": [C, ...]}`, `{"all": [C, ...]}`, `{"not": C}`;
- a field condition `{"field": F, "op": OP, "value": V}`: F from FIELDS, `custom.<key>` for crm's contact
  CustomFields, `company.custom.<key>` for its company CustomFields; OP from OPS by the field's type;
- a touchpoint count `{"touchpoints": FILTER, "op": gte|lte|eq|gt|lt, "value": n, "within_days": d}`, FILTER
  with any of `kind`, `channel`, `campaign` (an id), `content` (the page path, form or event name),
  `content_starts_with`, `source`, `medium`, `utm_campaign`. "At least 3 page views of /pricing in 14 days":
  `{"touchpoints": {"kind": "page_view", "content": "/pricing"}, "op": "gte", "value": 3, "within_days": 14}`;
  "no email click in 90 days": `{"touchpoints": {"kind": "email_click"}, "op": "eq", "value": 0,
  "within_days": 90}`;
- consent `{"consent": {"channel", "subscription"}, "op": "granted"|"not_granted"}`;
- lifecycle history `{"lifecycle": {"became": stage}, "within_days": d}`;
- segment membership `{"segment": id, "op": "member"|"not_member"}` (the id must name a segment: parse reads
  them, or takes `segments=` from a caller that has them);
- a deal count `{"deals": FILTER, "op": gte|lte|eq|gt|lt, "value": n}` (op and value default to gte 1: "has such
  a deal"), FILTER with any of `via` ("contact": deals the contact has a role on, the default; "company": its
  company's deals), `status` (open, won, lost), `pipeline` (an id), `stage` (an id, or a name in any pipeline),
  `min_amount`, `max_amount`. "An open deal in Proposal worth at least 10,000":
  `{"deals": {"status": "open", "stage": "Proposal", "min_amount": 10000}}`. Pipeline and stage must exist.

Form answers are not in the language: webforms sits beside segments in the layers (docs/decisions/0007-layers.md)
and keeps submissions to itself. A form's answers mapped to contact or custom fields are field conditions; a
submission is a `form_submit` touchpoint whose `content` is the form's name.

The top level may carry `"version": 1`. Every error names its JSON path (`$.any[0].all[1].op`) and the reason;
`PredicateInvalid` is a 422 with all of them. Ids and counts are JSON integers (not true, not "7").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator

from plumbline.consent.models import Channel as ConsentChannel
from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.crm.models import ConsentStatus, CustomField, Deal, LifecycleStage, Pipeline, PipelineStage
from plumbline.marketing.models import Channel, TouchpointKind
from plumbline.segments.models import Segment

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
    """The custom fields crm defines: a contact's as `custom.<key>`, its company's as `company.custom.<key>`."""
    specs = {}
    for f in CustomField.objects.order_by("applies_to", "key"):
        if f.applies_to == CustomField.AppliesTo.CONTACT:
            specs[f"custom.{f.key}"] = _spec(f"custom.{f.key}", f.type, "custom", f.key, f.choices or (), f.label)
        else:
            label = f"Company {f.label[:1].lower() + f.label[1:] if f.label[1:2].islower() else f.label}"
            specs[f"company.custom.{f.key}"] = _spec(f"company.custom.{f.key}", f.type, "company_custom", f.key,
                                                     f.choices or (), label)
    return specs


def known_spec(name: str, custom: dict[str, FieldSpec]) -> FieldSpec:
    """The field's spec, or PredicateInvalid when a saved predicate names a field that no longer exists."""
    spec = field_spec(name, custom)
    if spec is None:
        raise PredicateInvalid([DomainError(f"unknown field {name!r}", field="field", code="unknown_field")])
    return spec


def is_custom(name: str) -> bool:
    return name.startswith(("custom.", "company.custom."))


def field_spec(name: str, custom: dict[str, FieldSpec] | None = None) -> FieldSpec | None:
    if name in FIELDS:
        return FIELDS[name]
    if is_custom(name):
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


_Text = Annotated[str, Field(min_length=1, max_length=300)]
# Ids and counts are JSON integers: not true, not "7".
_Id = Annotated[int, Field(strict=True)]
_Amount = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]


class TouchpointFilter(_Node):
    kind: Literal[tuple(TouchpointKind.values)] | None = None  # type: ignore[valid-type]
    channel: Literal[tuple(Channel.values)] | None = None  # type: ignore[valid-type]
    campaign: _Id | None = None
    content: _Text | None = None  # the page path, form or custom event name: equal
    content_starts_with: _Text | None = None  # ... or beginning with this
    source: _Text | None = None  # the UTM source (or referring host), medium and campaign: equal
    medium: _Text | None = None
    utm_campaign: _Text | None = None

    TEXTS: ClassVar[tuple[str, ...]] = ("content", "source", "medium", "utm_campaign")


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


class SegmentCondition(_Node):
    segment: _Id
    op: Literal["member", "not_member"]


class DealFilter(_Node):
    via: Literal["contact", "company"] = "contact"
    status: Literal[tuple(Deal.Status.values)] | None = None  # type: ignore[valid-type]
    pipeline: _Id | None = None
    stage: int | str | None = None  # an id, or a name (in any pipeline, unless `pipeline` says which)
    min_amount: _Amount | None = None
    max_amount: _Amount | None = None

    @field_validator("stage", mode="before")
    @classmethod
    def _stage(cls, value: Any) -> Any:
        ok = (value is None or isinstance(value, int) and not isinstance(value, bool)
              or isinstance(value, str) and 1 <= len(value) <= 100)
        if not ok:
            raise ValueError("expected a stage id or a stage name")
        return value


class DealCount(_Node):
    deals: DealFilter
    op: Literal["gte", "lte", "eq", "gt", "lt"] = "gte"
    value: int = Field(default=1, ge=0, strict=True)


_KEYS = ("any", "all", "not", "field", "touchpoints", "consent", "lifecycle", "segment", "deals")
_TAGS = {k: f"<{k}>" for k in _KEYS}


def _discriminate(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in _KEYS:
            if key in value:
                return _TAGS[key]
    elif isinstance(value, BaseModel):
        return _TAGS[{AnyOf: "any", AllOf: "all", Not: "not", FieldCondition: "field", TouchpointCount: "touchpoints",
                      ConsentCondition: "consent", LifecycleCondition: "lifecycle", SegmentCondition: "segment",
                      DealCount: "deals"}[type(value)]]
    return None


Condition = Annotated[
    (Annotated[AnyOf, Tag(_TAGS["any"])] | Annotated[AllOf, Tag(_TAGS["all"])] | Annotated[Not, Tag(_TAGS["not"])]
     | Annotated[FieldCondition, Tag(_TAGS["field"])] | Annotated[TouchpointCount, Tag(_TAGS["touchpoints"])]
     | Annotated[ConsentCondition, Tag(_TAGS["consent"])] | Annotated[LifecycleCondition, Tag(_TAGS["lifecycle"])]
     | Annotated[SegmentCondition, Tag(_TAGS["segment"])] | Annotated[DealCount, Tag(_TAGS["deals"])]),
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


class _Known:
    """The ids a predicate may name, each read once on first need (or given by a caller that has them)."""

    def __init__(self, segments: Collection[int] | None) -> None:
        self._segments = None if segments is None else set(segments)
        self._pipelines: set[int] | None = None
        self._stages: list[tuple[int, str, int]] | None = None

    def segments(self) -> set[int]:
        if self._segments is None:
            self._segments = set(Segment.objects.values_list("pk", flat=True))
        return self._segments

    def pipelines(self) -> set[int]:
        if self._pipelines is None:
            self._pipelines = set(Pipeline.objects.values_list("pk", flat=True))
        return self._pipelines

    def stages(self) -> list[tuple[int, str, int]]:
        if self._stages is None:
            self._stages = list(PipelineStage.objects.values_list("pk", "name", "pipeline_id"))
        return self._stages


def parse(data: Any, *, custom: dict[str, FieldSpec] | None = None,
          segments: Collection[int] | None = None, references: bool = True) -> Predicate:
    """Validate a predicate's JSON form into typed nodes, or raise PredicateInvalid naming every error's path.
    `custom` (the custom field specs) is read from crm when not given; `segments` (the ids a segment condition
    may name) from the segments when not given and needed, and a deal condition's pipeline and stage from crm.
    `references=False` checks the shape only, not what the predicate names (fields, values, segments, pipelines,
    stages): for showing a saved predicate whose custom field or segment has gone since, never for saving one."""
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
    if not references:
        return Predicate(root=root, version=version)
    _check(root, "$", custom if custom is not None else custom_specs(), errors, _Known(segments))
    if errors:
        raise PredicateInvalid(errors)
    return Predicate(root=root, version=version)


def _err(errors: list[DomainError], path: str, reason: str, code: str = "invalid") -> None:
    errors.append(DomainError(reason, field=path, code=code))


def _check(node: Any, path: str, custom: dict[str, FieldSpec], errors: list[DomainError], known: _Known) -> None:
    if isinstance(node, (AnyOf, AllOf)):
        key = "any" if isinstance(node, AnyOf) else "all"
        for i, child in enumerate(getattr(node, key)):
            _check(child, f"{path}.{key}[{i}]", custom, errors, known)
    elif isinstance(node, Not):
        _check(node.not_, f"{path}.not", custom, errors, known)
    elif isinstance(node, SegmentCondition):
        if node.segment not in known.segments():
            _err(errors, f"{path}.segment", f"no segment has the id {node.segment}", "unknown_segment")
    elif isinstance(node, DealCount):
        _check_deals(node.deals, f"{path}.deals", errors, known)
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


def _check_deals(f: DealFilter, path: str, errors: list[DomainError], known: _Known) -> None:
    if f.pipeline is not None and f.pipeline not in known.pipelines():
        _err(errors, f"{path}.pipeline", f"no pipeline has the id {f.pipeline}", "unknown_pipeline")
    if f.stage is not None:
        by_id = isinstance(f.stage, int)
        found = [s for s in known.stages() if s[0 if by_id else 1] == f.stage]
        if not found:
            _err(errors, f"{path}.stage", f"no pipeline stage has the {'id' if by_id else 'name'} {f.stage!r}",
                 "unknown_stage")
        elif f.pipeline is not None and all(s[2] != f.pipeline for s in found):
            _err(errors, f"{path}.stage", f"the stage {f.stage!r} is not in the pipeline {f.pipeline}", "stage")
    if f.min_amount is not None and f.max_amount is not None and f.min_amount > f.max_amount:
        _err(errors, f"{path}.max_amount", "max_amount is below min_amount")


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
