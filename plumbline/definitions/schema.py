"""The shape of the plumb line: ICP, engagement, MQL rule, SLA, reject reasons and recycling, as validated data."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plumbline.crm.models import LifecycleStage
from plumbline.marketing.models import TouchpointKind

GRADES = ("A", "B", "C", "D")
FIT_FIELDS = (
    "company.industry", "company.employee_count", "company.annual_revenue", "company.country",
    "contact.title", "contact.seniority", "contact.source", "contact.email_domain",
)
ACTIVITY_KINDS = ("call", "meeting", "email", "note", "task")


def _keys(names: Any) -> dict[str, Any]:
    return {"propertyNames": {"enum": list(names)}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FitRule(Strict):
    """Points when a contact or company field matches, e.g. industry in [Software, Fintech] -> +20."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [  # the value each op takes (`value_matches_op`)
        {"properties": {"op": {"enum": ["in", "not_in"]}, "value": {"type": "array"}}},
        {"properties": {"op": {"const": "between"}, "value": {"type": "array", "minItems": 2, "maxItems": 2}}},
        {"properties": {"op": {"enum": ["gte", "lte"]}, "value": {"type": "number"}}},
        {"properties": {"op": {"enum": ["eq", "contains"]}}},
    ]})

    label: str = Field(max_length=100)
    field: str = Field(json_schema_extra={"anyOf": [
        {"enum": list(FIT_FIELDS)}, {"pattern": r"^(contact|company)\.custom\..+$"}]})
    op: Literal["eq", "in", "not_in", "gte", "lte", "between", "contains"]
    value: Any
    points: int = Field(ge=-1000, le=1000)

    @field_validator("field")
    @classmethod
    def known_field(cls, v: str) -> str:
        if v not in FIT_FIELDS and not v.startswith(("contact.custom.", "company.custom.")):
            raise ValueError(f"unknown field; use one of {', '.join(FIT_FIELDS)} or contact.custom.<key>")
        return v

    @model_validator(mode="after")
    def value_matches_op(self) -> FitRule:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"{self.op} needs a list value")
        if self.op == "between" and not (isinstance(self.value, list) and len(self.value) == 2):
            raise ValueError("between needs [low, high]")
        if self.op in ("gte", "lte") and not isinstance(self.value, int | float):
            raise ValueError(f"{self.op} needs a number")
        return self


class ICP(Strict):
    rules: list[FitRule] = Field(default_factory=list, max_length=200)
    grade_thresholds: dict[Literal["A", "B", "C"], int] = Field(default_factory=lambda: {"A": 60, "B": 40, "C": 20})

    @model_validator(mode="after")
    def thresholds_descend(self) -> ICP:
        t = self.grade_thresholds
        if set(t) != {"A", "B", "C"} or not t["A"] >= t["B"] >= t["C"]:
            raise ValueError("grade_thresholds needs A >= B >= C")
        return self


class Cap(Strict):
    max_points: int = Field(ge=0)
    period_days: int = Field(ge=1, le=3650)


class Engagement(Strict):
    points: dict[str, int] = Field(default_factory=dict, json_schema_extra=_keys(TouchpointKind.values))
    activity_points: dict[str, int] = Field(default_factory=dict, json_schema_extra=_keys(ACTIVITY_KINDS))
    campaign_points: dict[str, int] = Field(default_factory=dict, description="extra points per utm_campaign key")
    content_points: dict[str, int] = Field(default_factory=dict, description="extra points per content name")
    half_life_days: float = Field(default=30, gt=0, le=3650)
    caps: dict[str, Cap] = Field(default_factory=dict, json_schema_extra=_keys(TouchpointKind.values))
    competitor_domains: list[str] = Field(default_factory=list)
    competitor_points: int = Field(default=-100, le=0)

    @field_validator("points", "caps")
    @classmethod
    def known_kinds(cls, v: dict) -> dict:
        unknown = sorted(set(v) - set(TouchpointKind.values))
        if unknown:
            raise ValueError(f"unknown touchpoint kinds: {', '.join(unknown)}")
        return v

    @field_validator("activity_points")
    @classmethod
    def known_activity_kinds(cls, v: dict) -> dict:
        unknown = sorted(set(v) - set(ACTIVITY_KINDS))
        if unknown:
            raise ValueError(f"unknown activity kinds: {', '.join(unknown)}")
        return v


def _exactly_one_key(schema: dict[str, Any]) -> None:
    """The schema of a Condition: one key, not null (what `exactly_one` checks)."""
    for prop in schema["properties"].values():
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        if branches:
            prop.update(branches[0])
        prop.pop("default", None)
    schema["minProperties"] = schema["maxProperties"] = 1


class Condition(Strict):
    """One leaf or branch of the MQL rule. Exactly one key is set."""

    model_config = ConfigDict(json_schema_extra=_exactly_one_key)

    all: list[Condition] | None = None
    any: list[Condition] | None = None
    fit_grade_at_least: Literal["A", "B", "C", "D"] | None = None
    fit_score_at_least: int | None = None
    engagement_at_least: float | None = None
    touchpoint_kind_in: list[Annotated[str, Field(json_schema_extra={"enum": list(TouchpointKind.values)})]] | None = None
    lifecycle_in: list[Annotated[str, Field(json_schema_extra={"enum": list(LifecycleStage.values)})]] | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> Condition:
        set_keys = [k for k, v in self.__dict__.items() if v is not None]
        if len(set_keys) != 1:
            raise ValueError("each condition has exactly one of: " + ", ".join(self.model_fields))
        if self.touchpoint_kind_in is not None:
            unknown = sorted(set(self.touchpoint_kind_in) - set(TouchpointKind.values))
            if unknown:
                raise ValueError(f"unknown touchpoint kinds: {', '.join(unknown)}")
        if self.lifecycle_in is not None:
            unknown = sorted(set(self.lifecycle_in) - set(LifecycleStage.values))
            if unknown:
                raise ValueError(f"unknown lifecycle stages: {', '.join(unknown)}")
        return self


class MqlRule(Strict):
    name: str = Field(default="MQL rule", max_length=100)
    when: Condition
    eligible_stages: list[str] = Field(default_factory=lambda: ["subscriber", "lead"])


# A wall-clock time of day: the SLA's timezone applies, so an offset ("09:00+01:00") has no meaning here.
_TIME_OF_DAY = {"pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"}


class WorkingHours(Strict):
    start: dt.time = Field(dt.time(9, 0), json_schema_extra=_TIME_OF_DAY)
    end: dt.time = Field(dt.time(17, 0), json_schema_extra=_TIME_OF_DAY)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=lambda: [0, 1, 2, 3, 4],
                                                              json_schema_extra={"minItems": 1})

    @field_validator("start", "end")
    @classmethod
    def wall_clock(cls, v: dt.time) -> dt.time:
        if v.tzinfo is not None:
            raise ValueError("give a time of day without an offset; the SLA's timezone applies")
        return v

    @model_validator(mode="after")
    def ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if not self.weekdays:
            raise ValueError("at least one working day")
        return self


class SLA(Strict):
    first_touch_hours: float = Field(default=4, gt=0, le=1000, description="business hours")
    escalate_after_hours: float = Field(default=8, gt=0, le=1000)
    reassign_on_breach: bool = False
    timezone: str = Field("UTC", json_schema_extra=lambda s: s.update(enum=sorted(zoneinfo.available_timezones())))
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    holidays: list[dt.date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class Reason(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(max_length=100)


class Recycle(Strict):
    engagement_reset: Literal["zero", "halve", "keep"] = "zero"
    nurture_days: int = Field(default=90, ge=0, le=3650)


class PlumbLine(Strict):
    """The whole shared definition both teams agree on."""

    icp: ICP = Field(default_factory=ICP)
    engagement: Engagement = Field(default_factory=Engagement)
    mql: MqlRule
    sla: SLA = Field(default_factory=SLA)
    reject_reasons: list[Reason] = Field(min_length=1)
    recycle: Recycle = Field(default_factory=Recycle)

    @field_validator("reject_reasons")
    @classmethod
    def unique_codes(cls, v: list[Reason]) -> list[Reason]:
        codes = [r.code for r in v]
        if len(codes) != len(set(codes)):
            raise ValueError("reject reason codes must be unique")
        return v


DEFAULT: dict[str, Any] = {
    "icp": {
        "rules": [
            {"label": "Target industry", "field": "company.industry", "op": "in",
             "value": ["Software", "Financial services", "Healthcare", "Manufacturing"], "points": 20},
            {"label": "Mid-market or larger", "field": "company.employee_count", "op": "gte", "value": 200, "points": 20},
            {"label": "Revenue over $10M", "field": "company.annual_revenue", "op": "gte", "value": 10000000,
             "points": 10},
            {"label": "Core markets", "field": "company.country", "op": "in", "value": ["US", "GB", "DE", "CA"],
             "points": 10},
            {"label": "Decision maker", "field": "contact.seniority", "op": "in", "value": ["c_level", "vp", "director"],
             "points": 25},
            {"label": "Manager", "field": "contact.seniority", "op": "eq", "value": "manager", "points": 10},
            {"label": "Free-mail address", "field": "contact.email_domain", "op": "in",
             "value": ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"], "points": -30},
        ],
        "grade_thresholds": {"A": 60, "B": 40, "C": 20},
    },
    "engagement": {
        "points": {
            "page_view": 1, "pricing_view": 10, "email_open": 1, "email_click": 3, "form_submit": 10,
            "demo_request": 40, "content_download": 8, "ad_click": 2, "event_attended": 15,
            "webinar_registered": 5, "webinar_attended": 15, "qr_scan": 3, "unsubscribe": -20, "bounce": -10,
        },
        "activity_points": {"meeting": 10, "call": 3},
        "half_life_days": 30,
        "caps": {"page_view": {"max_points": 15, "period_days": 30}, "email_open": {"max_points": 10, "period_days": 30}},
        "competitor_domains": [],
        "competitor_points": -100,
    },
    "mql": {
        "name": "Fit and engagement, or a hand-raiser",
        "when": {"any": [
            {"all": [{"fit_grade_at_least": "B"}, {"engagement_at_least": 50}]},
            {"all": [{"touchpoint_kind_in": ["demo_request", "pricing_view"]}, {"fit_grade_at_least": "C"}]},
        ]},
        "eligible_stages": ["subscriber", "lead"],
    },
    "sla": {
        "first_touch_hours": 4, "escalate_after_hours": 8, "reassign_on_breach": False, "timezone": "UTC",
        "working_hours": {"start": "09:00", "end": "17:00", "weekdays": [0, 1, 2, 3, 4]}, "holidays": [],
    },
    "reject_reasons": [
        {"code": code, "label": label} for code, label in [
            ("bad_fit", "Bad fit"), ("no_budget", "No budget"), ("no_authority", "No authority"),
            ("no_need", "No need"), ("bad_timing", "Bad timing"), ("wrong_contact", "Wrong contact"),
            ("competitor", "Competitor"), ("student", "Student"), ("duplicate", "Duplicate"), ("other", "Other"),
        ]
    ],
    "recycle": {"engagement_reset": "zero", "nurture_days": 90},
}
