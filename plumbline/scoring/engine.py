"""Pure scoring functions: fit from the ICP rules, engagement with decay and caps, the MQL rule.

No database access here, so the same functions serve one contact (incremental) and bulk rescoring.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from plumbline.definitions.schema import GRADES, ICP, Condition, Engagement, FitRule
from plumbline.marketing.models import TouchpointKind

_KIND_LABELS = dict(TouchpointKind.choices)  # reasons people read name kinds by their label

# Sales activities that count toward engagement (logged by anyone; notes and tasks do not count).
SALES_TOUCH_KINDS = ("call", "meeting", "email")

_SENIORITY = [
    ("c_level", re.compile(r"\b(ceo|cto|cfo|coo|cmo|cio|cro|chief|founder|owner|president)\b")),
    ("vp", re.compile(r"\b(vp|vice president|svp|evp)\b")),
    ("director", re.compile(r"\b(director|head of)\b")),
    ("manager", re.compile(r"\b(manager|lead|supervisor)\b")),
]


def seniority(title: str) -> str:
    """c_level, vp, director, manager, individual, or unknown (no title)."""
    text = (title or "").lower()
    if not text.strip():
        return "unknown"
    for level, pattern in _SENIORITY:
        if pattern.search(text):
            return level
    return "individual"


@dataclass(frozen=True)
class Profile:
    """The fields fit rules can see, flattened: 'company.industry' -> 'Software'."""

    values: dict[str, Any]

    @classmethod
    def of(cls, contact: Any, company: Any | None) -> Profile:
        v: dict[str, Any] = {
            "contact.title": contact.title,
            "contact.seniority": seniority(contact.title),
            "contact.source": contact.source,
            "contact.email_domain": contact.email.rsplit("@", 1)[-1],
        }
        for key, value in (contact.custom or {}).items():
            v[f"contact.custom.{key}"] = value
        if company is not None:
            v.update({
                "company.industry": company.industry,
                "company.employee_count": company.employee_count,
                "company.annual_revenue": float(company.annual_revenue) if company.annual_revenue is not None else None,
                "company.country": company.country,
            })
            for key, value in (company.custom or {}).items():
                v[f"company.custom.{key}"] = value
        return cls(v)


def _matches(rule: FitRule, value: Any) -> bool:
    if value is None or value == "":
        return False
    op, target = rule.op, rule.value
    if op == "eq":
        return str(value).lower() == str(target).lower()
    if op in ("in", "not_in"):
        found = str(value).lower() in {str(t).lower() for t in target}
        return found if op == "in" else not found
    if op == "contains":
        return str(target).lower() in str(value).lower()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    if op == "gte":
        return number >= target
    if op == "lte":
        return number <= target
    low, high = target
    return low <= number <= high


@dataclass
class FitResult:
    score: int
    grade: str
    contributions: list[dict[str, Any]]


def grade_for(score: float, thresholds: dict[str, int]) -> str:
    for grade in ("A", "B", "C"):
        if score >= thresholds[grade]:
            return grade
    return "D"


def fit(profile: Profile, icp: ICP) -> FitResult:
    """Sum of the points of every matching rule, and the grade its thresholds give."""
    contributions = [
        {"label": r.label, "field": r.field, "points": r.points, "value": profile.values.get(r.field)}
        for r in icp.rules
        if _matches(r, profile.values.get(r.field))
    ]
    score = sum(c["points"] for c in contributions)
    return FitResult(score, grade_for(score, icp.grade_thresholds), contributions)


@dataclass(frozen=True)
class Event:
    """A touchpoint or activity as scoring sees it."""

    kind: str
    occurred_at: dt.datetime
    source: str = "touchpoint"  # touchpoint | activity
    campaign: str = ""
    content: str = ""
    ref: int | None = None


@dataclass
class EngagementResult:
    score: float
    contributions: list[dict[str, Any]] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    decaying: float = 0.0  # the decayed event points, unrounded, without constants (the competitor penalty)
    last_event_at: dt.datetime | None = None  # the latest event that counted


def decay(points: float, age_days: float, half_life_days: float) -> float:
    return points * math.pow(0.5, max(age_days, 0.0) / half_life_days)


def engagement(
    events: Iterable[Event], rules: Engagement, *, now: dt.datetime, email_domain: str = "",
    floor_at: dt.datetime | None = None,
) -> EngagementResult:
    """Decayed points of every event after `floor_at`, with per-kind caps per period and negative signals."""
    used: dict[tuple[str, int], float] = defaultdict(float)
    result = EngagementResult(0.0)
    # Ties in time go by id, as in the bulk rescore, so caps clamp the same events whatever order they came in.
    for ev in sorted(events, key=lambda e: (e.occurred_at, e.source != "touchpoint", e.ref or 0)):
        if floor_at is not None and ev.occurred_at < floor_at:
            continue
        table = rules.points if ev.source == "touchpoint" else rules.activity_points
        base = float(table.get(ev.kind, 0) + rules.campaign_points.get(ev.campaign, 0)
                     + rules.content_points.get(ev.content, 0))
        result.kinds.add(ev.kind)
        cap = rules.caps.get(ev.kind) if ev.source == "touchpoint" else None
        if cap is not None and base > 0:
            bucket = (ev.kind, int(ev.occurred_at.timestamp() // (cap.period_days * 86400)))
            base = min(base, cap.max_points - used[bucket])
            used[bucket] += max(base, 0)
        if base == 0:
            continue
        age = (now - ev.occurred_at).total_seconds() / 86400
        points = decay(base, age, rules.half_life_days)
        result.score += points
        result.last_event_at = ev.occurred_at
        result.contributions.append({
            "kind": ev.kind, "source": ev.source, "occurred_at": ev.occurred_at.isoformat(), "campaign": ev.campaign,
            "base": base, "points": round(points, 2), "ref": ev.ref,
        })
    result.decaying = result.score
    if email_domain and email_domain in {d.lower() for d in rules.competitor_domains}:
        result.score += rules.competitor_points
        result.contributions.append({"kind": "competitor_domain", "source": "rule", "base": rules.competitor_points,
                                     "points": float(rules.competitor_points), "occurred_at": None, "campaign": ""})
    result.score = round(result.score, 2)
    result.contributions.sort(key=lambda c: abs(c["points"]), reverse=True)
    return result


@dataclass(frozen=True)
class RuleContext:
    fit_score: int
    fit_grade: str
    engagement: float
    kinds: frozenset[str]
    lifecycle_stage: str


def explain_rule(cond: Condition, ctx: RuleContext) -> tuple[bool, str]:
    """Whether the condition holds, and a sentence saying why (the branch that held, or the first that failed)."""
    if cond.all is not None:
        parts = [explain_rule(c, ctx) for c in cond.all]
        ok = all(p[0] for p in parts)
        return ok, " and ".join(p[1] for p in parts) if ok else next(p[1] for p in parts if not p[0])
    if cond.any is not None:
        parts = [explain_rule(c, ctx) for c in cond.any]
        for held, why in parts:
            if held:
                return True, why
        return False, "; ".join(p[1] for p in parts) or "no branch"
    if cond.fit_grade_at_least is not None:
        ok = GRADES.index(ctx.fit_grade) <= GRADES.index(cond.fit_grade_at_least)
        return ok, f"fit grade {ctx.fit_grade} {'≥' if ok else '<'} {cond.fit_grade_at_least}"
    if cond.fit_score_at_least is not None:
        ok = ctx.fit_score >= cond.fit_score_at_least
        return ok, f"fit {ctx.fit_score} {'≥' if ok else '<'} {cond.fit_score_at_least}"
    if cond.engagement_at_least is not None:
        ok = ctx.engagement >= cond.engagement_at_least
        return ok, f"engagement {ctx.engagement:.1f} {'≥' if ok else '<'} {cond.engagement_at_least:g}"
    if cond.touchpoint_kind_in is not None:
        hit = sorted(ctx.kinds & set(cond.touchpoint_kind_in))
        named = [_KIND_LABELS.get(k, k) for k in hit] or [_KIND_LABELS.get(k, k) for k in cond.touchpoint_kind_in]
        return bool(hit), f"hand-raiser {', '.join(named)}" if hit else "no " + "/".join(named)
    assert cond.lifecycle_in is not None
    ok = ctx.lifecycle_stage in cond.lifecycle_in
    return ok, f"stage {ctx.lifecycle_stage}"


def rule_kinds(cond: Condition) -> set[str]:
    """The touchpoint kinds a rule names as hand-raisers, at any depth."""
    kinds = set(cond.touchpoint_kind_in or [])
    for child in (cond.all or []) + (cond.any or []):
        kinds |= rule_kinds(child)
    return kinds


def rule_kinds_text(cond: Condition, seen: set[str]) -> str:
    """The hand-raiser kinds of `cond` among `seen`, stored on the score as ',kind,kind,' ('' for none)."""
    hit = sorted(rule_kinds(cond) & seen)
    return "," + ",".join(hit) + "," if hit else ""
