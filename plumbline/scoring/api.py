"""/contacts/{id}/score: the scores and why they are what they are."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from plumbline.core.permissions import require
from plumbline.crm.api._common import can_view, get_or_404
from plumbline.crm.models import Contact
from plumbline.scoring.actions import do_score_contact
from plumbline.scoring.models import ContactScore, ScoreHistory

router = Router(tags=["scoring"])


class ScoreOut(Schema):
    contact_id: int
    fit_score: int
    fit_grade: str
    engagement_score: float
    definition_version: int
    computed_at: dt.datetime
    explanation: dict[str, Any]


class HistoryRow(Schema):
    fit_score: int
    fit_grade: str
    engagement_score: float
    definition_version: int
    computed_at: dt.datetime
    reason: str


def _out(s: ContactScore) -> dict[str, Any]:
    return {"contact_id": s.contact_id, "fit_score": s.fit_score, "fit_grade": s.fit_grade,
            "engagement_score": s.engagement_score, "definition_version": s.definition_version,
            "computed_at": s.computed_at, "explanation": s.explanation}


@router.get("/contacts/{contact_id}/score", response=ScoreOut, summary="Fit and engagement, explained")
def get_score(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    can_view(request, "contact")
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    score = ContactScore.objects.filter(contact=contact).first()
    if score is None:  # never scored yet: score now (read-only: no promotion)
        score = do_score_contact(contact=contact, promote=False, reason="first read").score
    return _out(score)


@router.post("/contacts/{contact_id}/score", response=ScoreOut, summary="Rescore now (and promote to MQL if due)")
def rescore(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    require(request.user, "change", "contact", contact)
    from plumbline.handoff.actions import do_score_and_route

    do_score_and_route(contact=contact, reason="manual")
    return _out(ContactScore.objects.get(contact=contact))


@router.get("/contacts/{contact_id}/score/history", response=list[HistoryRow])
def score_history(request: HttpRequest, contact_id: int) -> list[ScoreHistory]:
    can_view(request, "contact")
    get_or_404(Contact.objects.all(), contact_id, "contact")
    return list(ScoreHistory.objects.filter(contact_id=contact_id)[:200])
