"""/contacts/{id}/score: the scores and why they are what they are; /scoring/models: the predictive model's
versions and activation; training is queued (202 with a run) and /scoring/training-runs follows it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from plumbline.core.api_helpers import IdParam, In, can_view, get_or_404
from plumbline.core.errors import NotFound
from plumbline.core.idempotency import idempotent
from plumbline.core.permissions import require
from plumbline.crm.models import Contact
from plumbline.scoring.actions import do_score_contact
from plumbline.scoring.models import ContactScore, PredictiveModel, ScoreHistory, TrainingRun
from plumbline.scoring.predictive.actions import do_activate_model, do_request_training
from plumbline.scoring.queries import explain_score

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
def get_score(request: HttpRequest, contact_id: IdParam) -> dict[str, Any]:
    can_view(request, "contact")
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    score = ContactScore.objects.filter(contact=contact).first()
    if score is None or score.explanation.get("bulk"):  # never scored, or rescored in bulk without detail
        score = explain_score(contact=contact)  # computed for the answer, not stored: a GET never writes
    return _out(score)


@router.post("/contacts/{contact_id}/score", response=ScoreOut, summary="Rescore now (and promote to MQL if due)")
def rescore(request: HttpRequest, contact_id: IdParam) -> dict[str, Any]:
    contact = get_or_404(Contact.objects.all(), contact_id, "contact")
    require(request.user, "change", "contact", contact)
    do_score_contact(contact=contact, reason="manual")  # a new MQL is routed by handoff, from the feed
    return _out(ContactScore.objects.get(contact=contact))


@router.get("/contacts/{contact_id}/score/history", response=list[HistoryRow])
def score_history(request: HttpRequest, contact_id: IdParam) -> list[ScoreHistory]:
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
    # A cut date or a horizon, not both (the schema says so: not both given, neither null).
    model_config = ConfigDict(json_schema_extra={"not": {
        "required": ["cut", "horizon_days"],
        "properties": {"cut": {"type": "string"}, "horizon_days": {"type": "integer"}}}})

    cut: dt.date | None = Field(None, description="Time cut: features before it, outcome after it.")
    horizon_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        None, description="Time cut this many days before now (default 120 when no cut is given).")
    folds: Annotated[int, Field(ge=2, le=20)] = 5
    seed: Annotated[int, Field(ge=0)] = 0
    kind: Literal["auto", "lightgbm", "logistic"] = "auto"


class TrainingRunOut(Schema):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    requested_by: str | None
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    cut: dt.date | None
    horizon_days: int | None
    folds: int
    seed: int
    kind: str
    model_number: int | None = Field(description="The version a done run stored (and activated).")
    error: str | None = Field(description="Why a failed run failed.")
    error_field: str | None


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


def _run_out(run: TrainingRun) -> dict[str, Any]:
    return {
        "id": run.pk, "status": run.status, "requested_by": run.requested_by.username if run.requested_by else None,
        "requested_at": run.requested_at, "started_at": run.started_at, "finished_at": run.finished_at,
        "cut": run.cut, "horizon_days": run.horizon_days, "folds": run.folds, "seed": run.seed, "kind": run.kind,
        "model_number": run.model.number if run.model else None, "error": run.error or None,
        "error_field": run.error_field or None,
    }


def _runs() -> Any:
    return TrainingRun.objects.select_related("requested_by", "model").defer("model__artifact")


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
def get_model(request: HttpRequest, number: IdParam) -> dict[str, Any]:
    can_view(request, "model")
    model = _versions().filter(number=number).first()
    if model is None:
        raise NotFound(f"No model version {number}.")
    return _model_out(model)


@router.post("/scoring/models", response={202: TrainingRunOut},
             summary="Queue training of a new version (activated when it is done)")
@idempotent
def train_model(request: HttpRequest, response: HttpResponse, payload: TrainIn) -> Status:
    """Training takes seconds to minutes, so the worker does it: follow the run at the `Location` given.
    409 while another run is queued or running."""
    run = do_request_training(by=request.user, cut=payload.cut, horizon_days=payload.horizon_days,
                              folds=payload.folds, seed=payload.seed, kind=payload.kind)
    response["Location"] = reverse("api:scoring_training_run", args=[run.pk])
    return Status(202, _run_out(_runs().get(pk=run.pk)))


@router.get("/scoring/training-runs", response=list[TrainingRunOut], summary="Training runs, newest first")
def list_training_runs(request: HttpRequest) -> list[dict[str, Any]]:
    can_view(request, "model")
    return [_run_out(run) for run in _runs()[:100]]


@router.get("/scoring/training-runs/{run_id}", response=TrainingRunOut, url_name="scoring_training_run",
            summary="One training run: queued, running, done (with its version) or failed (with why)")
def get_training_run(request: HttpRequest, run_id: IdParam) -> dict[str, Any]:
    can_view(request, "model")
    return _run_out(get_or_404(_runs(), run_id, "training run"))


@router.post("/scoring/models/{number}/activate", response=ModelOut, summary="Make a version the one in use (admins)")
def activate_model(request: HttpRequest, number: IdParam) -> dict[str, Any]:
    can_view(request, "model")
    return _model_out(do_activate_model(by=request.user, number=number))
