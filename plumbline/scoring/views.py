"""The model page: the predictive model in use, its cross-validated figures beside naive Bayes, its versions, and
the latest training run, which the page follows by HTMX polling while the worker trains."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from plumbline.core.charts import Curve, calibration_chart
from plumbline.core.errors import DomainError, PermissionDenied
from plumbline.core.pages import page
from plumbline.core.permissions import can
from plumbline.crm.models import Contact
from plumbline.scoring.models import ContactScore, PredictiveModel, TrainingRun
from plumbline.scoring.predictive.actions import (
    DEFAULT_HORIZON_DAYS,
    MAX_FOLDS,
    do_activate_model,
    do_request_training,
)
from plumbline.scoring.queries import explain_score


class TrainForm(forms.Form):
    cut = forms.DateField(label="Time cut (YYYY-MM-DD)", required=False,
                          help_text=f"Features from before it, outcome after it. Empty: {DEFAULT_HORIZON_DAYS} days ago "
                                    "or the horizon below.")
    horizon_days = forms.IntegerField(label="…or days before now", required=False, min_value=1, max_value=3650)
    folds = forms.IntegerField(label="Cross-validation folds", initial=5, min_value=2, max_value=MAX_FOLDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("cut") and data.get("horizon_days"):
            self.add_error("horizon_days", "Give a cut date or a number of days, not both.")
        return data


def _calibration_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"bin": i, "model": m, "naive_bayes": n}
            for i, (m, n) in enumerate(zip(metrics["model"]["calibration"], metrics["naive_bayes"]["calibration"],
                                           strict=True), start=1)]


def _chart(metrics: dict[str, Any]) -> str:
    curves = [Curve(name, [(row["mean_predicted"], row["observed_rate"]) for row in metrics[key]["calibration"]])
              for key, name in (("model", "Predictive model"), ("naive_bayes", "Naive Bayes"))]
    return calibration_chart(curves, title="Predicted against observed rate per bin, cross-validated")


def _latest_run() -> TrainingRun | None:
    return TrainingRun.objects.select_related("requested_by", "model").defer("model__artifact").first()


def _run_context(run: TrainingRun | None) -> dict[str, Any]:
    return {"run": run, "training_busy": run is not None and run.status in TrainingRun.IN_PROGRESS}


def _page(request: HttpRequest, form: TrainForm, status: int = 200) -> HttpResponse:
    versions = list(PredictiveModel.objects.select_related("created_by").defer("artifact")[:50])
    active = next((m for m in versions if m.is_active), None) or PredictiveModel.objects.filter(
        is_active=True).defer("artifact").select_related("created_by").first()
    context: dict[str, Any] = {
        "active": active, "versions": versions, "form": form, **_run_context(_latest_run()),
        "can_train": can(request.user, "add", "model"),
        "can_activate": can(request.user, "change", "model", PredictiveModel()),
    }
    if active is not None:
        from plumbline.scoring.training_data import feature_label  # its module loads pandas: not at start-up

        dropped = active.metadata.get("columns", {}).get("dropped", {})
        context.update(
            calibration=_calibration_rows(active.metrics), chart=_chart(active.metrics),
            features=[(name, feature_label(name)) for name in active.metadata.get("features", [])],
            dropped=[(name, feature_label(name), why) for name, why in dropped.items()],
            left_out=[(name, feature_label(name), why) for name, why in active.metrics.get("left_out", {}).items()],
        )
    return render(request, "scoring/model.html", context, status=status)


@page("model")
def model_page(request: HttpRequest) -> HttpResponse:
    if request.GET.get("part") == "training":
        return training_status(request)
    return _page(request, TrainForm())


def training_status(request: HttpRequest) -> HttpResponse:
    """The latest run's card (`?part=training`), polled by HTMX while the run is queued or running."""
    context = _run_context(_latest_run())
    response = render(request, "scoring/_training_status.html", context)
    if request.headers.get("HX-Request") and not context["training_busy"]:
        # Only a card that was in progress polls: it is over now, so reload for the new version and its figures.
        response["HX-Refresh"] = "true"
    return response


@page("model", action="add", methods=("POST",))
def train_page(request: HttpRequest) -> HttpResponse:
    """Queue a training run and come back to the page, which follows it; training itself is the worker's."""
    form = TrainForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = do_request_training(by=request.user, cut=data["cut"], horizon_days=data["horizon_days"],
                                      folds=data["folds"])
        except PermissionDenied:
            raise
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = exc.status
        else:
            messages.success(request, f"Training queued (run {run.pk}): the worker trains the new version and puts "
                                      "it in use; this page shows how it goes.")
            return redirect("scoring_model")
    return _page(request, form, status=status)


@page("model", action="change", methods=("POST",))
def activate_page(request: HttpRequest, number: int) -> HttpResponse:
    model = do_activate_model(by=request.user, number=number)
    messages.success(request, f"Model v{model.number} is now in use; scores take it at their next rescore.")
    return redirect("scoring_model")


@page("contact")
def contact_score_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The score card on a contact page (loaded by HTMX): fit, engagement and prediction, each explained."""
    contact = get_object_or_404(Contact, pk=pk)
    score = ContactScore.objects.filter(contact=contact).first()
    if score is None or score.explanation.get("bulk"):  # never scored, or rescored in bulk without the detail
        score = explain_score(contact=contact)  # computed for the page, not stored: a read never writes
    return render(request, "scoring/_contact_panel.html", {"score": score, "x": score.explanation})
