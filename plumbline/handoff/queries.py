"""Handoff reads: a rep's queue, SLA status, and the lead-quality feedback report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from plumbline.handoff.models import Assignment

GROUPINGS = {"campaign": "campaign__name", "channel": "channel", "source": "source", "rep": "rep__username"}


def can_decide(user: Any, assignment: Assignment) -> bool:
    """Only the assigned rep, the manager of the rep's team and admins accept or reject a lead. A rep without a team
    manager has every sales manager as theirs (as for SLA escalations), so no lead waits for an admin alone."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or user.role == "admin" or user.pk == assignment.rep_id:
        return True
    if user.role != "sales_manager":
        return False
    team = assignment.rep.team
    return team is None or team.manager_id is None or team.manager_id == user.pk


def queue(rep: Any | None = None) -> QuerySet[Assignment]:
    """Leads waiting for a decision, the oldest SLA first."""
    qs = Assignment.objects.filter(status=Assignment.Status.OPEN).select_related(
        "contact__company", "rep__team", "campaign"
    )
    if rep is not None:
        qs = qs.filter(rep=rep)
    return qs.order_by("sla_due_at", "id")


@dataclass(frozen=True)
class SlaStatus:
    state: str  # met | running | breached | stopped
    due_at: dt.datetime
    seconds_left: float


def sla_status(a: Assignment, now: dt.datetime | None = None) -> SlaStatus:
    now = now or timezone.now()
    if a.first_touch_at is not None:
        state = "met" if a.first_touch_at <= a.sla_due_at else "breached"
        return SlaStatus(state, a.sla_due_at, 0)
    if a.status in (Assignment.Status.REJECTED, Assignment.Status.REASSIGNED):
        return SlaStatus("stopped", a.sla_due_at, 0)
    left = (a.sla_due_at - now).total_seconds()
    return SlaStatus("running" if left > 0 else "breached", a.sla_due_at, left)


def lead_quality(
    *, group_by: str = "campaign", since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Per campaign/channel/source/rep: MQLs handed over, accepted, rejected (by reason), still waiting, SQLs and
    won; the acceptance rate counts decided leads only."""
    key = GROUPINGS[group_by]
    qs = Assignment.objects.exclude(status=Assignment.Status.REASSIGNED)
    if since is not None:
        qs = qs.filter(assigned_at__gte=since)
    if until is not None:
        qs = qs.filter(assigned_at__lt=until)
    rows = (
        qs.values(key)
        .annotate(
            mqls=Count("id", distinct=True),
            accepted=Count("id", filter=Q(status="accepted"), distinct=True),
            rejected=Count("id", filter=Q(status="rejected"), distinct=True),
            sql=Count("id", filter=Q(contact__lifecycle_transitions__to_stage="sql"), distinct=True),
            won=Count("id", filter=Q(contact__lifecycle_stage__in=["customer", "evangelist"]), distinct=True),
        )
        .order_by(key)
    )
    reasons: dict[Any, dict[str, int]] = {}
    for row in qs.filter(status="rejected").values(key, "reject_reason").annotate(n=Count("id")):
        reasons.setdefault(row[key], {})[row["reject_reason"]] = row["n"]
    return [
        {"group": r[key] or "(none)", "mqls": r["mqls"], "accepted": r["accepted"], "rejected": r["rejected"],
         "waiting": r["mqls"] - r["accepted"] - r["rejected"],
         "rejected_by_reason": reasons.get(r[key], {}), "sql": r["sql"], "won": r["won"],
         "acceptance_rate": _rate(r["accepted"], r["accepted"] + r["rejected"])}
        for r in rows
    ]


def _rate(accepted: int, decided: int) -> float | None:
    """Accepted of those decided: leads still waiting for the rep are neither; None until one is decided."""
    return round(accepted / decided, 3) if decided else None
