"""Staff pages: forms with their fields (HTMX rows), submissions with CSV export, landing pages, guided flows."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.forms import attach_errors, form_status, run_action
from plumbline.core.pages import page, refuse
from plumbline.core.permissions import can
from plumbline.webforms import queries
from plumbline.webforms.actions import (
    do_create_flow,
    do_create_form,
    do_create_landing_page,
    do_delete_form,
    do_update_flow,
    do_update_form,
    do_update_landing_page,
)
from plumbline.webforms.export import csv_rows
from plumbline.webforms.fields import targets
from plumbline.webforms.forms import FLOW_EXAMPLE, FlowForm, FormSettingsForm, LandingPageForm
from plumbline.webforms.models import FieldType, Flow, Form, HiddenSource, LandingPage
from plumbline.webforms.subscriptions import subscription_choices

SUBMISSIONS_PER_PAGE = 50
ROW_KEYS = ("label", "key", "type", "maps_to", "options", "help_text", "subscription", "hidden_source", "position")


def public_url(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


@page("form")
def form_list(request: HttpRequest) -> HttpResponse:
    return render(request, "webforms/form_list.html", {
        "forms": queries.forms_with_counts(), "pages": queries.landing_pages(), "flows": queries.flows(),
        "can_add": can(request.user, "add", "form"),
    })


# --- the form editor ---------------------------------------------------------------------------------------


def _choices() -> dict[str, Any]:
    return {"types": FieldType.choices, "targets": targets(), "subscriptions": subscription_choices(),
            "sources": HiddenSource.choices}


def _row_from_field(f: Any) -> dict[str, Any]:
    return {"rid": secrets.token_hex(4), "label": f.label, "key": f.key, "type": f.type, "maps_to": f.maps_to,
            "required": f.required, "options": ", ".join(f.options), "help_text": f.help_text,
            "subscription": f.subscription, "hidden_source": f.hidden_source, "position": f.position + 1,
            "errors": []}


def _rows_from_post(request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    for rid in request.POST.getlist("row"):
        row = {k: request.POST.get(f"{rid}-{k}", "").strip() for k in ROW_KEYS}
        row.update(rid=rid, required=request.POST.get(f"{rid}-required") == "on", errors=[])
        rows.append(row)
    rows.sort(key=lambda r: int(r["position"]) if r["position"].isdigit() else 10_000)
    return rows


def _field_dicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"label": r["label"], "key": r["key"], "type": r["type"], "maps_to": r["maps_to"],
             "required": r["required"], "options": [o.strip() for o in r["options"].split(",") if o.strip()],
             "help_text": r["help_text"], "subscription": r["subscription"], "hidden_source": r["hidden_source"]}
            for r in rows]


def _save(request: HttpRequest, settings_form: FormSettingsForm, rows: list[dict[str, Any]],
          form: Form | None) -> Form | None:
    values = settings_form.values()
    try:
        if form is None:
            return do_create_form(by=request.user, fields=_field_dicts(rows), **values)
        return do_update_form(by=request.user, form=form, changes={**values, "fields": _field_dicts(rows)})
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
        general = []
        for err in errors:
            parts = (err.field or "").split(".")
            if parts[0] == "fields" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(rows):
                rows[int(parts[1])]["errors"].append(err.message)
            else:
                general.append(err)
        if general:
            attach_errors(settings_form, ValidationFailed(general))
        settings_form.error_status = exc.status  # type: ignore[attr-defined]
        return None


def _editor(request: HttpRequest, form: Form | None) -> HttpResponse:
    if form is None:
        initial: dict[str, Any] = {}
        rows = [{"rid": secrets.token_hex(4), "label": "Email", "key": "email", "type": "email",
                 "maps_to": "contact.email", "required": True, "options": "", "help_text": "", "subscription": "",
                 "hidden_source": "", "position": 1, "errors": []}]
    else:
        initial = {k: getattr(form, k) for k in ("name", "slug", "submit_label", "thank_you_message", "redirect_url",
                                                 "profiling_max_fields", "is_active")}
        initial.update(campaign=form.campaign_id, notify=form.notify_id)
        rows = [_row_from_field(f) for f in form.fields.all()]
    settings_form = FormSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        rows = _rows_from_post(request)
        if settings_form.is_valid():
            saved = _save(request, settings_form, rows, form)
            if saved is not None:
                messages.success(request, f"Form {saved.name} saved.")
                return redirect("webforms_form_detail", pk=saved.pk)
    status = form_status(settings_form) if settings_form.is_bound else 200
    return render(request, "webforms/form_edit.html", {"settings_form": settings_form, "rows": rows, "form": form,
                                                        **_choices()}, status=status)


@page("form", action="add", methods=("GET", "POST"))
def form_create(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


@page("form", methods=("GET", "POST"))
def form_edit(request: HttpRequest, pk: int) -> HttpResponse:
    form = get_object_or_404(Form, pk=pk)
    if not can(request.user, "change", "form", form):
        return refuse(request, "change", "form")
    return _editor(request, form)


@page("form")
def field_row(request: HttpRequest) -> HttpResponse:
    """HTMX: a new, empty field row for the editor."""
    row = {"rid": secrets.token_hex(4), "label": "", "key": "", "type": "text", "maps_to": "", "required": False,
           "options": "", "help_text": "", "subscription": "", "hidden_source": "",
           "position": request.GET.get("position", ""), "errors": []}
    return render(request, "webforms/_field_row.html", {"row": row, **_choices()})


@page("form")
def field_row_removed(request: HttpRequest) -> HttpResponse:
    """HTMX: the editor's remove button swaps its row for this nothing (the row is dropped when the form saves)."""
    return HttpResponse("")


@page("form", action="delete", methods=("POST",))
def form_delete(request: HttpRequest, pk: int) -> HttpResponse:
    form = get_object_or_404(Form, pk=pk)
    try:
        do_delete_form(by=request.user, form=form)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("webforms_form_detail", pk=pk)
    messages.success(request, f"Form {form.name} deleted.")
    return redirect("webforms_form_list")


# --- submissions -------------------------------------------------------------------------------------------


@page("form")
def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    form = get_object_or_404(Form.objects.select_related("campaign", "notify"), pk=pk)
    fields = list(form.fields.all())
    pages = Paginator(queries.submissions(form), SUBMISSIONS_PER_PAGE)
    current = pages.get_page(request.GET.get("page"))
    rows = [(s, [s.answers.get(f.key, "") for f in fields]) for s in current]
    return render(request, "webforms/form_detail.html", {
        "form": form, "fields": fields, "rows": rows, "page": current,
        "hosted_url": public_url(f"/f/{form.slug}"),
        "embed_tag": f'<script src="{public_url(f"/f/{form.slug}/embed.js")}"></script>',
        "can_change": can(request.user, "change", "form", form),
        "can_delete": can(request.user, "delete", "form", form),
    })


@page("submission")
def submissions_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    form = get_object_or_404(Form, pk=pk)
    response = StreamingHttpResponse(csv_rows(form), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="submissions-{form.slug}.csv"'
    return response


# --- landing pages and flows ------------------------------------------------------------------------------


def _simple_editor(request: HttpRequest, form_class: type, obj: Any, create: Any, update: Any, template: str,
                   initial: dict[str, Any], done: str) -> HttpResponse:
    django_form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and django_form.is_valid():
        values = django_form.values()
        if obj is None:
            saved = run_action(django_form, create, by=request.user, **values)
        else:
            saved = run_action(django_form, update, by=request.user, changes=values,
                               **{"page" if isinstance(obj, LandingPage) else "flow": obj})
        if saved is not None:
            messages.success(request, "Saved.")
            return redirect(done)
    status = form_status(django_form) if django_form.is_bound else 200
    return render(request, template, {"django_form": django_form, "obj": obj}, status=status)


@page("form", methods=("GET", "POST"))
def landing_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    obj = get_object_or_404(LandingPage, pk=pk) if pk else None
    if not can(request.user, "change" if obj else "add", "form", obj):
        return refuse(request, "change", "form")
    initial = {} if obj is None else {
        **{k: getattr(obj, k) for k in ("headline", "slug", "body_html", "cta_label", "cta_url", "is_published")},
        "campaign": obj.campaign_id, "form": obj.form_id}
    return _simple_editor(request, LandingPageForm, obj, do_create_landing_page, do_update_landing_page,
                          "webforms/landing_edit.html", initial, "webforms_form_list")


def _definition_errors(action: Any) -> Any:
    """The flow's definition errors shown on its one text area, each with the part of the JSON it is about."""
    def run(**kwargs: Any) -> Any:
        try:
            return action(**kwargs)
        except ValidationFailed as exc:
            raise ValidationFailed([DomainError(f"{e.field[len('definition.'):]}: {e.message}", field="definition",
                                                code=e.code) if (e.field or "").startswith("definition.") else e
                                    for e in exc.errors]) from None
    return run


@page("form", methods=("GET", "POST"))
def flow_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    obj = get_object_or_404(Flow, pk=pk) if pk else None
    if not can(request.user, "change" if obj else "add", "form", obj):
        return refuse(request, "change", "form")
    definition = obj.definition if obj else FLOW_EXAMPLE
    initial = {"definition": json.dumps(definition, indent=2, ensure_ascii=False)}
    if obj is not None:
        initial.update(name=obj.name, slug=obj.slug, form=obj.form_id, is_active=obj.is_active)
    return _simple_editor(request, FlowForm, obj, _definition_errors(do_create_flow),
                          _definition_errors(do_update_flow), "webforms/flow_edit.html",
                          initial, "webforms_form_list")
