"""Pipelines admin page: every pipeline with its stages; forms to create, rename and delete pipelines and to add,
edit, reorder and remove stages.

Each form posts to its own view, which calls the stage action; HTMX requests get the redrawn pipeline card
(with the errors in place), other requests a redirect back to the page or the page with the errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from plumbline.core.errors import DomainError, NotFound, PermissionDenied
from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import page
from plumbline.core.permissions import can
from plumbline.crm.actions import (
    do_add_stage,
    do_create_pipeline,
    do_delete_pipeline,
    do_remove_stage,
    do_reorder_stages,
    do_update_pipeline,
    do_update_stage,
)
from plumbline.crm.forms import STANDARD_STAGES, NewStageForm, PipelineForm, StageForm
from plumbline.crm.models import Pipeline, PipelineStage


def card_context(
    request: HttpRequest, pipeline: Pipeline, *, bound: forms.Form | None = None, bound_for: int | None = None,
    error: str = "", notice: str = "",
) -> dict[str, Any]:
    """One pipeline's card; `bound` (a form with errors) replaces the blank form of stage `bound_for`
    (or the add form when `bound_for` is None)."""
    stages = list(PipelineStage.objects.filter(pipeline=pipeline).annotate(deal_count=Count("deals"))
                  .order_by("position"))
    rows = []
    for stage in stages:
        form = bound if bound is not None and bound_for == stage.pk else StageForm(
            prefix=f"stage-{stage.pk}", initial={"name": stage.name, "probability": stage.probability})
        rows.append({"stage": stage, "form": form})
    new_form = bound if bound is not None and bound_for is None else NewStageForm(prefix=f"new-{pipeline.pk}")
    pipeline_form = bound if bound is not None and bound_for == -1 else PipelineForm(
        prefix=f"pipeline-{pipeline.pk}", initial={"name": pipeline.name, "is_default": pipeline.is_default})
    return {
        "pipeline": pipeline, "rows": rows, "new_form": new_form, "pipeline_form": pipeline_form,
        "card_error": error, "notice": notice, "can_change": can(request.user, "change", "pipeline", pipeline),
        "can_delete": can(request.user, "delete", "pipeline", pipeline),
    }


def _page(request: HttpRequest, status: int = 200, failed: Pipeline | None = None,
          create_form: PipelineForm | None = None, **card: Any) -> HttpResponse:
    """The whole page; `card` holds the error state of the `failed` pipeline's card, `create_form` a new
    pipeline's form with its errors."""
    cards = [card_context(request, p, **card) if p == failed else card_context(request, p)
             for p in Pipeline.objects.order_by("-is_default", "name")]
    context = {"cards": cards, "can_add": can(request.user, "add", "pipeline"),
               "create_form": create_form or PipelineForm(prefix="create"),
               "standard_stages": ", ".join(s["name"] for s in STANDARD_STAGES)}
    return render(request, "crm/pipelines.html", context, status=status)


def _answer(request: HttpRequest, pipeline: Pipeline, *, done: str | None, status: int = 200,
            **card: Any) -> HttpResponse:
    """After a post: the redrawn card for HTMX, else a redirect (success) or the page with the errors."""
    if request.headers.get("HX-Request"):
        context = card_context(request, pipeline, notice=done or "", **card)
        return render(request, "crm/_pipeline_card.html", context, status=200 if done else status)
    if done:
        messages.success(request, done)
        return redirect(f"{reverse('pipeline_list')}#pipeline-{pipeline.pk}")
    return _page(request, status, failed=pipeline, **card)


@page("pipeline")
def pipeline_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _stage(pipeline_pk: int, stage_pk: int) -> PipelineStage:
    return get_object_or_404(PipelineStage.objects.select_related("pipeline"), pk=stage_pk, pipeline_id=pipeline_pk)


@page("pipeline", action="change", methods=("POST",))
def stage_add(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = NewStageForm(request.POST, prefix=f"new-{pipeline.pk}")
    stage = form.is_valid() and run_action(
        form, do_add_stage, by=request.user, pipeline=pipeline, name=form.cleaned_data["name"],
        probability=form.cleaned_data["probability"], kind=form.cleaned_data["kind"],
    )
    if stage:
        return _answer(request, pipeline, done=f"Stage {stage.name} added to {pipeline.name}.")
    return _answer(request, pipeline, done=None, status=form_status(form), bound=form)


@page("pipeline", action="change", methods=("POST",))
def stage_update(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    stage = _stage(pk, stage_pk)
    form = StageForm(request.POST, prefix=f"stage-{stage.pk}")
    saved = form.is_valid() and run_action(
        form, do_update_stage, by=request.user, stage=stage, name=form.cleaned_data["name"],
        probability=form.cleaned_data["probability"],
    )
    if saved:
        return _answer(request, stage.pipeline, done=f"Stage {saved.name} saved.")
    return _answer(request, stage.pipeline, done=None, status=form_status(form), bound=form, bound_for=stage.pk)


def _refused(request: HttpRequest, pipeline: Pipeline, exc: DomainError) -> HttpResponse:
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    return _answer(request, pipeline, done=None, status=exc.status, error=exc.message)


@page("pipeline", action="change", methods=("POST",))
def stage_move(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    """Move a stage one place up or down: the new order of every stage goes to the reorder action."""
    stage = _stage(pk, stage_pk)
    ids = list(PipelineStage.objects.filter(pipeline_id=pk).order_by("position").values_list("pk", flat=True))
    at = ids.index(stage.pk)
    to = at + {"up": -1, "down": 1}.get(request.POST.get("direction", ""), 0)
    if to == at or not 0 <= to < len(ids):
        where = "first" if at == 0 else "last" if at == len(ids) - 1 else "here"
        return _answer(request, stage.pipeline, done=None, status=400,
                       error=f"{stage.name} cannot move that way: choose up or down (it is {where}).")
    ids[at], ids[to] = ids[to], ids[at]
    try:
        do_reorder_stages(by=request.user, pipeline=stage.pipeline, stage_ids=ids)
    except DomainError as exc:
        return _refused(request, stage.pipeline, exc)
    return _answer(request, stage.pipeline, done=f"Stage {stage.name} moved {request.POST['direction']}.")


@page("pipeline", action="change", methods=("POST",))
def stage_remove(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    stage = _stage(pk, stage_pk)
    pipeline, name = stage.pipeline, stage.name
    try:
        do_remove_stage(by=request.user, stage=stage)
    except DomainError as exc:
        return _refused(request, pipeline, exc)
    return _answer(request, pipeline, done=f"Stage {name} removed from {pipeline.name}.")


@page("pipeline", action="add", methods=("POST",))
def pipeline_create(request: HttpRequest) -> HttpResponse:
    """A new pipeline with the standard stages, to be edited on its card."""
    form = PipelineForm(request.POST, prefix="create")
    made = form.is_valid() and run_action(
        form, do_create_pipeline, by=request.user, name=form.cleaned_data["name"],
        is_default=form.cleaned_data["is_default"], stages=[dict(s) for s in STANDARD_STAGES],
    )
    if made:
        messages.success(request, f"Pipeline {made.name} created with the standard stages; edit them below.")
        return redirect(f"{reverse('pipeline_list')}#pipeline-{made.pk}")
    return _page(request, form_status(form), create_form=form)


@page("pipeline", action="change", methods=("POST",))
def pipeline_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a pipeline, or make it the default. (Unticking the default box changes nothing: another pipeline
    becomes the default by being made so.)"""
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineForm(request.POST, prefix=f"pipeline-{pipeline.pk}")
    saved = form.is_valid() and run_action(
        form, do_update_pipeline, by=request.user, pipeline=pipeline, name=form.cleaned_data["name"],
        is_default=form.cleaned_data["is_default"] or None,
    )
    if saved:
        return _answer(request, saved, done=f"Pipeline {saved.name} saved.")
    return _answer(request, pipeline, done=None, status=form_status(form), bound=form, bound_for=-1)


@page("pipeline", action="delete", methods=("POST",))
def pipeline_delete(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    name = pipeline.name
    try:
        do_delete_pipeline(by=request.user, pipeline=pipeline)
    except DomainError as exc:
        return _refused(request, pipeline, exc)
    messages.success(request, f"Pipeline {name} deleted.")
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("pipeline_list")
        return response
    return redirect("pipeline_list")
