"""Playbook reads. `completeness(deal)` and `completeness_by_deal(ids)` are the contract the predictive model and
the forecast import: a deal's weighted share of confirmed qualification criteria (partial counts half)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from plumbline.crm.models import Deal
from plumbline.playbook.models import (
    AnswerStatus,
    DealQualification,
    Framework,
    FunnelStage,
    MessagingItem,
    Objection,
    ObjectionCategory,
    PipelineFramework,
)

CREDIT = {AnswerStatus.CONFIRMED: 1.0, AnswerStatus.PARTIAL: 0.5, AnswerStatus.UNKNOWN: 0.0}


def framework_for(pipeline_id: int) -> Framework | None:
    link = PipelineFramework.objects.select_related("framework").filter(pipeline_id=pipeline_id).first()
    return link.framework if link else None


def score(criteria: list[dict[str, Any]], statuses: dict[str, str]) -> float:
    """Weighted share of the criteria answered: confirmed 1, partial 0.5, unknown or missing 0."""
    total = sum(c["weight"] for c in criteria)
    if not total:
        return 0.0
    earned = sum(c["weight"] * CREDIT.get(statuses.get(c["key"], AnswerStatus.UNKNOWN), 0.0) for c in criteria)
    return round(earned / total, 4)


def completeness(deal: Deal) -> float | None:
    """0-1 for a deal whose pipeline has a framework; None when its pipeline asks for no qualification."""
    return completeness_by_deal([deal.pk]).get(deal.pk)


def completeness_by_deal(deal_ids: Iterable[int]) -> dict[int, float | None]:
    """Completeness of many deals in three queries (for model features and the forecast)."""
    ids = list(deal_ids)
    pipelines = dict(Deal.objects.filter(pk__in=ids).values_list("pk", "pipeline_id"))
    frameworks = {
        link.pipeline_id: link.framework.criteria
        for link in PipelineFramework.objects.select_related("framework").filter(pipeline_id__in=set(pipelines.values()))
    }
    statuses: dict[int, dict[str, str]] = {}
    for deal_id, key, status in DealQualification.objects.filter(deal_id__in=ids).values_list(
            "deal_id", "criterion", "status"):
        statuses.setdefault(deal_id, {})[key] = status
    return {
        deal_id: score(frameworks[pipeline_id], statuses.get(deal_id, {})) if pipeline_id in frameworks else None
        for deal_id, pipeline_id in pipelines.items()
    }


@dataclass(frozen=True)
class QualificationRow:
    criterion: dict[str, Any]
    answer: DealQualification | None

    @property
    def status(self) -> str:
        return self.answer.status if self.answer else AnswerStatus.UNKNOWN

    @property
    def value(self) -> str:
        return self.answer.value if self.answer else ""


def qualification(deal: Deal) -> tuple[Framework | None, list[QualificationRow], float | None]:
    """The deal's framework, one row per criterion with its answer, and the completeness."""
    framework = framework_for(deal.pipeline_id)
    if framework is None:
        return None, [], None
    answers = {a.criterion: a for a in DealQualification.objects.filter(deal=deal).select_related("updated_by")}
    rows = [QualificationRow(c, answers.get(c["key"])) for c in framework.criteria]
    return framework, rows, score(framework.criteria, {k: a.status for k, a in answers.items()})


# --- objections -------------------------------------------------------------------------------------------


def objections(
    *, category: str | None = None, outcome: str | None = None, deal_id: int | None = None,
    contact_id: int | None = None, campaign_id: int | None = None, since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Objection]:
    qs = Objection.objects.select_related("deal", "contact", "campaign", "logged_by")
    filters = {"category": category, "outcome": outcome, "deal_id": deal_id, "contact_id": contact_id,
               "campaign_id": campaign_id, "occurred_at__gte": since, "occurred_at__lt": until}
    return qs.filter(**{k: v for k, v in filters.items() if v is not None}).order_by("-occurred_at", "-id")


REPORT_GROUPS = {
    "campaign": "campaign__name", "channel": "channel", "deal_stage": "deal_stage",
    "lifecycle_stage": "lifecycle_stage", "segment": "segment", "category": "category",
}


def objection_report(
    *, group_by: str = "campaign", since: dt.datetime | None = None, until: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Objections counted per group (campaign, channel, stage, segment) and category, with their outcomes."""
    key = REPORT_GROUPS[group_by]
    qs = objections(since=since, until=until).order_by()
    rows: dict[Any, dict[str, Any]] = {}
    for r in qs.values(key, "category").annotate(
        n=Count("id"), resolved=Count("id", filter=Q(outcome="resolved")),
        lost=Count("id", filter=Q(outcome="lost_deal")),
    ).order_by(key, "category"):
        row = rows.setdefault(r[key], {
            "group": r[key] or "(none)", "total": 0, "open": 0, "resolved": 0, "lost_deal": 0,
            "by_category": dict.fromkeys(ObjectionCategory.values, 0),
        })
        row["by_category"][r["category"]] += r["n"]
        row["total"] += r["n"]
        row["resolved"] += r["resolved"]
        row["lost_deal"] += r["lost"]
        row["open"] += r["n"] - r["resolved"] - r["lost"]
    return sorted(rows.values(), key=lambda row: (-row["total"], row["group"]))


# --- messaging --------------------------------------------------------------------------------------------

# Where in the funnel a record is, for ordering the responses that fit best first.
LIFECYCLE_FUNNEL = {
    "subscriber": FunnelStage.AWARENESS, "lead": FunnelStage.AWARENESS, "mql": FunnelStage.CONSIDERATION,
    "sal": FunnelStage.CONSIDERATION, "sql": FunnelStage.DECISION, "opportunity": FunnelStage.DECISION,
    "customer": FunnelStage.RETENTION, "evangelist": FunnelStage.RETENTION, "past_customer": FunnelStage.RETENTION,
}


def messaging(
    *, kind: str | None = None, stage: str | None = None, persona_id: int | None = None,
    objection_category: str | None = None, q: str | None = None,
) -> QuerySet[MessagingItem]:
    """Library items; a stage or persona filter also keeps items meant for any stage or persona."""
    qs = MessagingItem.objects.select_related("persona", "owner")
    if kind:
        qs = qs.filter(kind=kind)
    if stage:
        qs = qs.filter(Q(funnel_stage=stage) | Q(funnel_stage=""))
    if persona_id:
        qs = qs.filter(Q(persona_id=persona_id) | Q(persona__isnull=True))
    if objection_category:
        qs = qs.filter(objection_category=objection_category)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    return qs.order_by("kind", "title", "id")


def suggested_responses(category: str, *, stage: str | None = None, limit: int = 10) -> list[MessagingItem]:
    """The library's responses to an objection category; those for the record's funnel stage first."""
    if category not in ObjectionCategory.values:
        return []
    qs = MessagingItem.objects.filter(kind=MessagingItem.Kind.OBJECTION_RESPONSE, objection_category=category)
    fit = Case(When(funnel_stage=stage or "-", then=Value(0)), When(funnel_stage="", then=Value(1)), default=Value(2),
               output_field=IntegerField())
    return list(qs.select_related("persona").annotate(fit=fit).order_by("fit", "title", "id")[:limit])


def funnel_stage_of(*, deal: Deal | None = None, lifecycle_stage: str = "") -> str:
    """An open deal is at the decision stage; otherwise the contact's lifecycle says where it is."""
    if deal is not None:
        return FunnelStage.RETENTION if deal.status == Deal.Status.WON else FunnelStage.DECISION
    return LIFECYCLE_FUNNEL.get(lifecycle_stage, "")


def personas() -> QuerySet[MessagingItem]:
    return MessagingItem.objects.filter(kind=MessagingItem.Kind.PERSONA).order_by("title")
