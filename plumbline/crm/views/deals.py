"""Deals: the kanban board per pipeline (drag to move), the deal page and its move form, create, edit, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import int_param, page, refuse
from plumbline.core.permissions import can, level
from plumbline.crm import queries
from plumbline.crm.actions import do_create_deal, do_delete_deal, do_move_deal, do_update_deal
from plumbline.crm.forms import ActivityForm, DealForm, DealMoveForm
from plumbline.crm.models import Deal, DealContact, Pipeline
from plumbline.crm.views.deletion import confirm_delete, counted

EDIT_FIELDS = ("name", "amount", "currency", "expected_close_date", "owner", "company")


def _pipeline(request: HttpRequest) -> Pipeline | None:
    pk = int_param(request.GET.get("pipeline"))
    pipelines = Pipeline.objects.order_by("-is_default", "name")
    return (pipelines.filter(pk=pk).first() if pk else None) or pipelines.first()


def _board_limits(request: HttpRequest) -> dict[int, int]:
    """`?cards=<stage id>:<n>` (repeatable): how many cards a column shows after "Show more"."""
    limits = {}
    for value in request.GET.getlist("cards"):
        stage, _, n = value.partition(":")
        if int_param(stage) and int_param(n):
            limits[int(stage)] = int(n)
    return limits


def _more_url(request: HttpRequest, pipeline: Pipeline, column: queries.BoardColumn) -> str:
    params = request.GET.copy()
    params["pipeline"] = str(pipeline.pk)
    params.setlist("cards", [v for v in params.getlist("cards") if v.partition(":")[0] != str(column.stage.pk)]
                   + [f"{column.stage.pk}:{column.limit + queries.BOARD_MORE}"])
    return f"?{params.urlencode()}"


def board_context(request: HttpRequest, pipeline: Pipeline | None, error: str = "") -> dict[str, Any]:
    columns = queries.deal_board(pipeline, limits=_board_limits(request)) if pipeline else []
    for column in columns:
        more = column.count > len(column.deals) and column.limit < queries.BOARD_MAX_CARDS
        column.more_url = _more_url(request, pipeline, column) if more else ""
    return {
        "pipeline": pipeline,
        "pipelines": Pipeline.objects.order_by("-is_default", "name"),
        "columns": columns,
        # Reps move their own deals only; the cards they may not move are not draggable.
        "move_all": level(request.user, "deal") == "all",
        "move_own": level(request.user, "deal") == "own",
        "board_error": error,
    }


@page("deal")
def deal_board(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/deal_board.html", board_context(request, _pipeline(request)))


def deal_context(request: HttpRequest, deal: Deal, **forms: Any) -> dict[str, Any]:
    stages = list(deal.pipeline.stages.order_by("position"))
    return {
        "deal": deal,
        "can_change": can(request.user, "change", "deal", deal),
        "can_delete": can(request.user, "delete", "deal", deal),
        "can_log": can(request.user, "add", "activity"),
        "move_form": forms.get("move_form") or DealMoveForm(stages=stages, current_id=deal.stage_id),
        "transitions": list(deal.transitions.select_related("from_stage", "to_stage", "by")),
        "roles": list(DealContact.objects.filter(deal=deal).select_related("contact").order_by("contact__last_name")),
        "timeline": [e for e in queries.timeline(deal=deal) if e.kind == "activity"],
        "activity_form": forms.get("activity_form") or ActivityForm(),
        "log_url": reverse("deal_log", args=[deal.pk]),
    }


@page("deal")
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(queries.deals(), pk=pk)
    return render(request, "crm/deal_detail.html", deal_context(request, deal))


@page("deal", action="change", methods=("POST",))
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal; the board posts with `from=board` and gets the redrawn board back, the deal page a redirect."""
    deal = get_object_or_404(queries.deals(), pk=pk)
    stages = list(deal.pipeline.stages.order_by("position"))
    form = DealMoveForm(request.POST, stages=stages, current_id=deal.stage_id)
    moved = form.is_valid() and run_action(
        form, do_move_deal, by=request.user, deal=deal, stage=form.stages[form.cleaned_data["stage"]],
        reason=form.cleaned_data["reason"],
    )
    if request.POST.get("from") == "board":
        error = "" if moved else " ".join(e for errs in form.errors.values() for e in errs)
        ctx = board_context(request, deal.pipeline, error=error)
        return render(request, "crm/_board.html", ctx, status=200 if moved else form_status(form))
    if moved:
        messages.success(request, f"Moved to {deal.stage.name}.")
        return redirect("deal_detail", pk=deal.pk)
    return render(request, "crm/deal_detail.html", deal_context(request, deal, move_form=form),
                  status=form_status(form))


@page("deal", action="add", methods=("GET", "POST"))
def deal_create(request: HttpRequest) -> HttpResponse:
    form = DealForm(request.POST or None, initial={"pipeline": _pipeline(request)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contacts = [(data["contact"], data["role"])] if data.get("contact") else []
        deal = run_action(
            form, do_create_deal, by=request.user, name=data["name"], pipeline=data["pipeline"],
            amount=data["amount"], currency=data["currency"], expected_close_date=data["expected_close_date"],
            owner=data["owner"], company=data["company"], contacts=contacts,
        )
        if deal is not None:
            messages.success(request, f"Deal {deal} created.")
            return redirect("deal_detail", pk=deal.pk)
    status = form_status(form) if form.is_bound else 200
    return render(request, "crm/deal_form.html", {"form": form, "deal": None}, status=status)


@page("deal", methods=("GET", "POST"))
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The deal's own fields; its stage changes only through a recorded move (the deal page's move form)."""
    deal = get_object_or_404(queries.deals(), pk=pk)
    if not can(request.user, "change", "deal", deal):
        return refuse(request, "change", "deal")
    initial = {
        **{f: getattr(deal, f) for f in EDIT_FIELDS if f not in ("owner", "company")},
        "owner": deal.owner_id,
        "company": deal.company.domain or deal.company.name if deal.company else "",
    }
    form = DealForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in EDIT_FIELDS}
        if run_action(form, do_update_deal, by=request.user, deal=deal, changes=changes) is not None:
            messages.success(request, "Deal saved.")
            return redirect("deal_detail", pk=deal.pk)
        deal.refresh_from_db()  # the refused change was set on the instance; the heading shows what is stored
    status = form_status(form) if form.is_bound else 200
    return render(request, "crm/deal_form.html", {"form": form, "deal": deal}, status=status)


@page("deal", action="delete", methods=("GET", "POST"))
def deal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(queries.deals(), pk=pk)

    def consequences() -> list[str]:
        activities = counted(deal.activities.count(), "logged activity", "logged activities")
        return [f"Deleted with it: its stage history, its contacts' roles on it, {activities}, "
                "qualification answers and objections."]

    return confirm_delete(
        request, obj=deal, resource="deal", action=do_delete_deal,
        cancel_url=reverse("deal_detail", args=[deal.pk]),
        done_url=f"{reverse('deal_board')}?pipeline={deal.pipeline_id}",
        consequences=consequences,
    )
