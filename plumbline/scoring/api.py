"""/contacts/{id}/score: the scores and why they are what they are; /scoring/models: the predictive model's
versions, training and activation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from plumbline.core.api_helpers import In, can_view, get_or_404
from plumbline.core.errors import NotFound
from plumbline.core.permissions import require
from plumbline.crm.models import Contact
from plumbline.scoring.actions import do_activate_model, do_score_contact, do_train_model
from plumbline.scoring.models import ContactScore, PredictiveModel, ScoreHistory

router = Router(tags=["scoring"])


class ScoreOut(Schema):
    contact_id: int
    fit_score: int
    fit_grade: str
    engagement_score: float
    definition_version: int
    computed_at: dt.datetime
    predictive_probability: float | None
    model_version: int | None
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
            "computed_at": s.computed_at, "predictive_probability": s.predictive_probability,
            "model_version": s.model_version, "explanation": s.explanation}


@router.get("/contacts/{contact_id}/score", response=ScoreOut, summary="Fit and engagement, explained")
def get_score(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    can_view(request, "contact")
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    score = ContactScore.objects.filter(contact=contact).first()
    if score is None or score.explanation.get("bulk"):  # never scored, or rescored in bulk without detail
        score = do_score_contact(contact=contact, promote=False, reason="first read" if score is None else "explained").score
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


# --- the predictive model's versions ------------------------------------------------------------------------


class ModelSummary(Schema):
    number: int
    is_active: bool
    kind: str
    created_at: dt.datetime
    created_by: str | None
    activated_at: dt.datetime | None
    cut_at: dt.datetime
    trained_until: dt.datetime
    rows: int
    positives: int
    positive_rate: float
    auc: float | None = Field(description="Cross-validated AUC; null when the model ranked nothing (see auc_note).")
    auc_note: str | None
    naive_bayes_auc: float | None
    naive_bayes_auc_note: str | None


class ModelOut(ModelSummary):
    metrics: dict[str, Any]
    features: list[str]
    columns: dict[str, Any]


class TrainIn(In):
    cut: dt.date | None = Field(None, description="Time cut: features before it, outcome after it.")
    horizon_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        None, description="Time cut this many days before now (default 120 when no cut is given).")
    folds: Annotated[int, Field(ge=2, le=20)] = 5
    seed: Annotated[int, Field(ge=0)] = 0
    kind: Literal["auto", "lightgbm", "logistic"] = "auto"


def _auc(figures: dict[str, Any]) -> tuple[float | None, str | None]:
    note = figures.get("auc_note")
    return (None if note else figures["auc"]), note


def _summary(m: PredictiveModel) -> dict[str, Any]:
    auc, note = _auc(m.metrics["model"])
    naive_auc, naive_note = _auc(m.metrics["naive_bayes"])
    return {
        "number": m.number, "is_active": m.is_active, "kind": m.kind, "created_at": m.created_at,
        "created_by": m.created_by.username if m.created_by else None, "activated_at": m.activated_at,
        "cut_at": m.cut_at, "trained_until": m.trained_until, "rows": m.rows, "positives": m.positives,
        "positive_rate": m.positive_rate, "auc": auc, "auc_note": note, "naive_bayes_auc": naive_auc,
        "naive_bayes_auc_note": naive_note,
    }


def _model_out(m: PredictiveModel) -> dict[str, Any]:
    return {**_summary(m), "metrics": m.metrics, "features": m.metadata.get("features", []),
            "columns": m.metadata.get("columns", {})}


def _versions() -> Any:
    return PredictiveModel.objects.select_related("created_by").defer("artifact")


@router.get("/scoring/models", response=list[ModelSummary], summary="Versions of the predictive model, newest first")
def list_models(request: HttpRequest) -> list[dict[str, Any]]:
    can_view(request, "model")
    return [_summary(m) for m in _versions()[:200]]


@router.get("/scoring/models/{number}", response=ModelOut, summary="One version with its cross-validated figures")
def get_model(request: HttpRequest, number: int) -> dict[str, Any]:
    can_view(request, "model")
    model = _versions().filter(number=number).first()
    if model is None:
        raise NotFound(f"No model version {number}.")
    return _model_out(model)


@router.post("/scoring/models", response={201: ModelOut}, summary="Train a new version and activate it")
def train_model(request: HttpRequest, payload: TrainIn) -> Status:
    model = do_train_model(by=request.user, cut=payload.cut, horizon_days=payload.horizon_days,
                           folds=payload.folds, seed=payload.seed, kind=payload.kind)
    return Status(201, _model_out(model))


@router.post("/scoring/models/{number}/activate", response=ModelOut, summary="Make a version the one in use (admins)")
def activate_model(request: HttpRequest, number: int) -> dict[str, Any]:
    can_view(request, "model")
    return _model_out(do_activate_model(by=request.user, number=number))
