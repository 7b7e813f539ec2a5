"""Pages: framework admin, a deal's qualification panel, the objection log and report, the messaging library."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date

from plumbline.core.charts import Series, stacked_bars
from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import int_param, page
from plumbline.core.permissions import can, require
from plumbline.crm import queries as crm_queries
from plumbline.crm.models import Contact, Pipeline
from plumbline.definitions.labels import label
from plumbline.playbook import queries
from plumbline.playbook.actions import (
    do_create_framework,
    do_create_messaging_item,
    do_delete_framework,
    do_delete_messaging_item,
    do_log_objection,
    do_save_qualification,
    do_set_pipeline_framework,
    do_update_framework,
    do_update_messaging_item,
    do_update_objection,
)
from plumbline.playbook.forms import (
    ChooseFrameworkForm,
    CriteriaFormSet,
    FrameworkForm,
    FromTemplateForm,
    MessagingItemForm,
    ObjectionForm,
    OutcomeForm,
    QualificationForm,
    criteria_initial,
)
from plumbline.playbook.models import Framework, FunnelStage, MessagingItem, Objection, ObjectionCategory
from plumbline.playbook.templates import TEMPLATES

# --- frameworks -------------------------------------------------------------------------------------------


def _frameworks_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    links = {p.pk: queries.framework_for(p.pk) for p in Pipeline.objects.all()}
    return {
        "frameworks": Framework.objects.order_by("name"),
        "pipelines": [(p, links[p.pk]) for p in Pipeline.objects.order_by("name")],
        "templates": TEMPLATES,
        "can_change": can(request.user, "change", "framework"),
        "template_form": forms.get("template_form") or FromTemplateForm(),
        "choose_form": forms.get("choose_form") or ChooseFrameworkForm(),
    }


@page("framework")
def frameworks_page(request: HttpRequest) -> HttpResponse:
    return render(request, "playbook/frameworks.html", _frameworks_context(request))


@page("framework", action="add", methods=("POST",))
def framework_from_template(request: HttpRequest) -> HttpResponse:
    form = FromTemplateForm(request.POST)
    framework = form.is_valid() and run_action(
        form, do_create_framework, by=request.user, template=form.cleaned_data["template"],
        name=form.cleaned_data["name"] or None,
    )
    if framework:
        messages.success(request, f"Framework {framework} created; edit its criteria below.")
        return redirect("playbook_framework_edit", pk=framework.pk)
    return render(request, "playbook/frameworks.html", _frameworks_context(request, template_form=form),
                  status=form_status(form))


@page("framework", action="change", methods=("POST",))
def framework_choose(request: HttpRequest) -> HttpResponse:
    form = ChooseFrameworkForm(request.POST)
    if form.is_valid():
        run_action(form, do_set_pipeline_framework, by=request.user, pipeline=form.cleaned_data["pipeline"],
                   framework=form.cleaned_data["framework"])
        if not form.errors:
            chosen = form.cleaned_data["framework"]
            messages.success(request, f"{form.cleaned_data['pipeline']} now uses {chosen or 'no framework'}.")
            return redirect("playbook_frameworks")
    return render(request, "playbook/frameworks.html", _frameworks_context(request, choose_form=form),
                  status=form_status(form))


def _formset_errors(form: FrameworkForm, exc: DomainError, rows: list[int]) -> None:
    """Criteria errors name `criteria.<i>.<attr>` (i in the saved list); show them with the form's row number."""
    for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        field = err.field or ""
        if field in form.fields:
            form.add_error(field, err.message)
        else:
            parts = field.split(".")
            known = len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows)
            where = f"Criterion {rows[int(parts[1])] + 1} ({parts[2]}): " if known else ""
            form.add_error(None, where + err.message)


@page("framework", action="change", methods=("GET", "POST"))
def framework_edit(request: HttpRequest, pk: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=pk)
    form = FrameworkForm(request.POST or None, initial={"name": framework.name, "description": framework.description})
    formset = CriteriaFormSet(request.POST or None, initial=criteria_initial(framework), prefix="criteria")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        kept = [i for i, f in enumerate(formset.forms) if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        criteria = [formset.forms[i].criterion() for i in kept]
        try:
            do_update_framework(by=request.user, framework=framework, changes={
                "name": form.cleaned_data["name"], "description": form.cleaned_data["description"],
                "criteria": criteria,
            })
        except DomainError as exc:
            if exc.status == 403:
                raise
            _formset_errors(form, exc, kept)
        else:
            messages.success(request, f"Saved {framework}.")
            return redirect("playbook_framework_edit", pk=framework.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "playbook/framework_edit.html", {
        "framework": framework, "form": form, "formset": formset,
        "used_by": framework.pipeline_links.select_related("pipeline"),
    }, status=status)


@page("framework", action="delete", methods=("POST",))
def framework_delete(request: HttpRequest, pk: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=pk)
    form = FrameworkForm()
    run_action(form, do_delete_framework, by=request.user, framework=framework)
    if form.errors:
        messages.error(request, " ".join(form.non_field_errors()))
    else:
        messages.success(request, f"Deleted {framework.name}.")
    return redirect("playbook_frameworks")


# --- qualification on a deal ------------------------------------------------------------------------------


@page("deal", methods=("GET", "POST"))
def qualification_page(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(crm_queries.deals(), pk=pk)
    if request.method == "POST":
        require(request.user, "change", "deal", deal)
    framework, rows, complete = queries.qualification(deal)
    form = QualificationForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            do_save_qualification(by=request.user, deal=deal, answers=form.answers())
        except DomainError as exc:
            if exc.status == 403:
                raise
            for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
                parts = (err.field or "").split(".")
                name = f"{parts[2]}_{rows[int(parts[1])].criterion['key']}" if len(parts) == 3 else None
                form.add_error(name if name in form.fields else None, err.message)
        else:
            messages.success(request, "Qualification saved.")
            return redirect("playbook_qualification", pk=deal.pk)
    return render(request, "playbook/qualification.html", {
        "deal": deal, "framework": framework, "form": form, "completeness": complete,
        "percent": round((complete or 0) * 100), "can_change": can(request.user, "change", "deal", deal),
        "can_choose": can(request.user, "change", "framework"),
        "objection_count": deal.objections.count(),
    }, status=400 if form.is_bound and form.errors else 200)


# --- objections -------------------------------------------------------------------------------------------


def _day(value: str | None, *, end: bool = False) -> dt.datetime | None:
    """A date filter as a UTC instant; `end` makes the day inclusive (until the next midnight)."""
    day = parse_date(value or "") if value else None
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(0), tzinfo=dt.UTC)


def _responses_by_category() -> dict[str, list[MessagingItem]]:
    out: dict[str, list[MessagingItem]] = {}
    for item in queries.messaging(kind=MessagingItem.Kind.OBJECTION_RESPONSE):
        out.setdefault(item.objection_category, []).append(item)
    return out


OBJECTIONS_PER_PAGE = 50


def _objections_context(request: HttpRequest, form: ObjectionForm | None = None) -> dict[str, Any]:
    g = request.GET
    deal = crm_queries.deals().filter(pk=int_param(g.get("deal"))).first() if int_param(g.get("deal")) else None
    contact = Contact.objects.filter(pk=int_param(g.get("contact"))).first() if int_param(g.get("contact")) else None
    category = g.get("category") if g.get("category") in ObjectionCategory.values else None
    outcome = g.get("outcome") if g.get("outcome") in Objection.Outcome.values else None
    listing = Paginator(queries.objections(category=category, outcome=outcome, deal_id=deal.pk if deal else None,
                                           contact_id=contact.pk if contact else None), OBJECTIONS_PER_PAGE)
    shown = listing.get_page(g.get("page"))
    rows = list(shown)
    responses = _responses_by_category()
    for row in rows:
        row.suggested = responses.get(row.category, [])
        row.can_change = can(request.user, "change", "objection", row)
    keep = g.copy()
    keep.pop("page", None)
    if form is None:
        form = ObjectionForm(initial={"deal": deal.pk if deal else None, "contact_email": contact.email if contact else "",
                                      "category": category or ObjectionCategory.PRICE})
    chosen = form["category"].value() or ObjectionCategory.PRICE
    stage = queries.funnel_stage_of(deal=deal, lifecycle_stage=contact.lifecycle_stage if contact else "")
    return {
        "rows": rows, "shown": shown, "filters": keep.urlencode(),
        "deal": deal, "contact": contact, "category": category or "", "outcome": outcome or "",
        "categories": ObjectionCategory.choices, "outcomes": Objection.Outcome.choices, "form": form,
        "can_log": can(request.user, "add", "objection"), "funnel_stage": stage,
        "suggestions": queries.suggested_responses(chosen, stage=stage), "chosen_category": chosen,
    }


@page("objection", methods=("GET", "POST"))
def objections_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "playbook/objections.html", _objections_context(request))
    form = ObjectionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        objection = run_action(form, do_log_objection, by=request.user, category=data["category"],
                               verbatim=data["verbatim"], deal=data["deal"], contact=data["contact_email"])
        if objection is not None:
            messages.success(request, "Objection logged.")
            target = f"?deal={objection.deal_id}" if objection.deal_id else f"?contact={objection.contact_id}"
            return redirect(f"{request.path}{target}")
    return render(request, "playbook/objections.html", _objections_context(request, form), status=form_status(form))


@page("objection", action="change", methods=("POST",))
def objection_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection, pk=pk)
    form = OutcomeForm(request.POST)
    if form.is_valid() and run_action(form, do_update_objection, by=request.user, objection=objection,
                                      changes=form.cleaned_data):
        messages.success(request, f"Outcome recorded: {objection.get_outcome_display()}.")
    else:
        messages.error(request, "Could not record the outcome: " +
                       " ".join(e for errs in form.errors.values() for e in errs))
    target = f"?deal={objection.deal_id}" if objection.deal_id else f"?contact={objection.contact_id}"
    return redirect(f"/objections/{target}")


@page("objection")
def suggestions_fragment(request: HttpRequest) -> HttpResponse:
    """The "Suggested responses" panel for the category chosen in the log form (swapped in by HTMX)."""
    category = request.GET.get("category", "")
    stage = request.GET.get("stage") if request.GET.get("stage") in FunnelStage.values else None
    return render(request, "playbook/_suggestions.html", {
        "suggestions": queries.suggested_responses(category, stage=stage),
        "chosen_category": category if category in ObjectionCategory.values else "",
    })


REPORT_GROUP_LABELS = {"campaign": "Campaign", "channel": "Channel", "deal_stage": "Deal stage",
                       "lifecycle_stage": "Lifecycle stage", "segment": "Segment", "category": "Category"}
REPORT_GROUP_VOCABULARY = {"channel": "channel", "lifecycle_stage": "stage", "category": "objection_category"}


@page("objection")
def objection_report_page(request: HttpRequest) -> HttpResponse:
    group_by = request.GET.get("group_by", "campaign")
    if group_by not in queries.REPORT_GROUPS:
        group_by = "campaign"
    since, until = _day(request.GET.get("since")), _day(request.GET.get("until"), end=True)
    rows = queries.objection_report(group_by=group_by, since=since, until=until)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="objections-by-{group_by}.csv"'
        writer = csv.writer(response)
        writer.writerow([group_by, "total", "open", "resolved", "lost_deal", *ObjectionCategory.values])
        for r in rows:
            writer.writerow([r["group"], r["total"], r["open"], r["resolved"], r["lost_deal"],
                             *r["by_category"].values()])
        return response
    used = [c for c in ObjectionCategory if any(r["by_category"][c.value] for r in rows)]
    vocabulary = REPORT_GROUP_VOCABULARY.get(group_by)
    for r in rows:
        r["group_label"] = label(r["group"], vocabulary) or r["group"] if vocabulary else r["group"]
    chart = stacked_bars([r["group_label"] for r in rows],
                         [Series(c.label, [r["by_category"][c.value] for r in rows]) for c in used],
                         title=f"Objections by {REPORT_GROUP_LABELS[group_by].lower()} and category")
    return render(request, "playbook/objection_report.html", {
        "rows": rows, "chart": chart, "group_by": group_by, "group_label": REPORT_GROUP_LABELS[group_by],
        "groupings": [(g, REPORT_GROUP_LABELS[g]) for g in queries.REPORT_GROUPS],
        "categories": used, "since": request.GET.get("since", ""), "until": request.GET.get("until", ""),
    })


# --- messaging library ------------------------------------------------------------------------------------


@page("messaging")
def messaging_page(request: HttpRequest) -> HttpResponse:
    g = request.GET
    kind = g.get("kind") if g.get("kind") in MessagingItem.Kind.values else None
    stage = g.get("stage") if g.get("stage") in FunnelStage.values else None
    category = g.get("objection_category") if g.get("objection_category") in ObjectionCategory.values else None
    persona_id = int_param(g.get("persona"))
    items = list(queries.messaging(kind=kind, stage=stage, persona_id=persona_id, objection_category=category,
                                   q=(g.get("q") or "").replace("\x00", "").strip()[:100] or None)[:500])
    columns = [(s, [i for i in items if i.funnel_stage == s.value]) for s in FunnelStage]
    return render(request, "playbook/messaging.html", {
        "columns": columns, "anywhere": [i for i in items if not i.funnel_stage], "count": len(items),
        "kinds": MessagingItem.Kind.choices, "stages": FunnelStage.choices, "personas": queries.personas(),
        "categories": ObjectionCategory.choices, "kind": kind or "", "stage": stage or "", "persona_id": persona_id,
        "objection_category": category or "", "q": g.get("q", ""), "can_add": can(request.user, "add", "messaging"),
    })


def _item_form_page(request: HttpRequest, item: MessagingItem | None) -> HttpResponse:
    initial = {"kind": request.GET.get("kind", ""), "objection_category": request.GET.get("objection_category", "")}
    if item is not None:
        initial = {f: getattr(item, f) for f in ("kind", "title", "body", "url", "funnel_stage", "objection_category")}
        initial["persona"] = item.persona_id
    form = MessagingItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if item is None:
            saved = run_action(form, do_create_messaging_item, by=request.user, **form.values())
        else:
            saved = run_action(form, do_update_messaging_item, by=request.user, item=item, changes=form.values())
        if saved is not None:
            messages.success(request, f"Saved {saved.title}.")
            return redirect("playbook_messaging")
    status = form_status(form) if form.is_bound else 200
    return render(request, "playbook/messaging_form.html", {"form": form, "item": item}, status=status)


@page("messaging", action="add", methods=("GET", "POST"))
def messaging_create(request: HttpRequest) -> HttpResponse:
    return _item_form_page(request, None)


@page("messaging", action="change", methods=("GET", "POST"))
def messaging_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_form_page(request, get_object_or_404(MessagingItem, pk=pk))


@page("messaging", action="delete", methods=("POST",))
def messaging_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(MessagingItem, pk=pk)
    do_delete_messaging_item(by=request.user, item=item)
    messages.success(request, f"Deleted {item.title}.")
    return redirect("playbook_messaging")
