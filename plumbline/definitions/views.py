"""Pages: the plumb line both teams read, its history and diffs, and the admin's editor."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.pages import int_param, page
from plumbline.crm.models import LifecycleStage
from plumbline.definitions import mql_builder
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.labels import label
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, diff, parsed
from plumbline.definitions.schema import Condition


class EditForm(forms.Form):
    body = forms.CharField(label="Definitions (YAML)", widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}))
    note = forms.CharField(label="Why are you changing them?", max_length=500)


def _rule_text(cond: object, *, top: bool = True) -> str:
    """The MQL rule as a sentence both teams can read: labels, not codes; nested groups in parentheses."""
    c = cond
    if c.all is not None or c.any is not None:
        parts = c.all if c.all is not None else c.any
        joined = (" and " if c.all is not None else " or ").join(_rule_text(x, top=False) for x in parts)
        return joined if top or len(parts) == 1 else f"({joined})"
    if c.fit_grade_at_least is not None:
        return f"fit grade {c.fit_grade_at_least} or better"
    if c.fit_score_at_least is not None:
        return f"fit score ≥ {c.fit_score_at_least}"
    if c.engagement_at_least is not None:
        return f"engagement ≥ {c.engagement_at_least:g}"
    if c.touchpoint_kind_in is not None:
        return "a " + " or ".join(label(k, "touchpoint") for k in c.touchpoint_kind_in) + " touchpoint"
    return "stage is " + " or ".join(label(s, "stage") for s in c.lifecycle_in or [])


@page("definitions")
def definitions_page(request: HttpRequest) -> HttpResponse:
    version = current_version()
    plumb = parsed(version)
    history = DefinitionVersion.objects.select_related("created_by").order_by("-number")[:50]
    return render(request, "definitions/current.html", {
        "version": version, "plumb": plumb, "mql_text": _rule_text(plumb.mql.when),
        "eligible_text": " or ".join(label(s, "stage").lower() for s in plumb.mql.eligible_stages), "history": history,
    })


@page("definitions")
def diff_page(request: HttpRequest) -> HttpResponse:
    latest = current_version().number
    new = int_param(request.GET.get("new")) or latest
    old = int_param(request.GET.get("old")) or max(new - 1, 1)
    versions = {v.number: v for v in DefinitionVersion.objects.filter(number__in=[old, new])}
    rows = diff(versions[old].body, versions[new].body) if old in versions and new in versions else None
    return render(request, "definitions/diff.html", {"old": old, "new": new, "rows": rows, "versions": versions})


@page("definitions", action="change", methods=("GET", "POST"))
def edit_page(request: HttpRequest) -> HttpResponse:
    version = current_version()
    form = EditForm(request.POST or None, initial={"body": yaml.safe_dump(version.body, sort_keys=False)})
    field_errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            body = yaml.safe_load(form.cleaned_data["body"])
            new = do_publish_definitions(by=request.user, body=body, note=form.cleaned_data["note"])
        except yaml.YAMLError as exc:
            form.add_error("body", f"This is not valid YAML: {exc}")
        except ValidationFailed as exc:
            field_errors = [(e.field or "(document)", e.message) for e in exc.errors]
        except DomainError as exc:
            form.add_error("note" if exc.field == "note" else None, exc.message)
        else:
            messages.success(request, f"Published version {new.number}. Every contact is being rescored with it in the background.")
            return redirect("definitions")
    status = 400 if request.method == "POST" else 200
    return render(request, "definitions/edit.html", {"form": form, "version": version,
                                                     "field_errors": field_errors}, status=status)


class MqlRuleForm(forms.Form):
    name = forms.CharField(label="Name of the rule", max_length=100)
    eligible_stages = forms.MultipleChoiceField(
        label="Who can become an MQL", choices=LifecycleStage.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Contacts in these lifecycle stages are promoted when the rule holds.")
    when = forms.CharField(label="The rule (JSON)", required=False,
                           widget=forms.Textarea(attrs={"hidden": True, "rows": 4}))
    note = forms.CharField(label="Why are you changing it?", max_length=500)


def _builder_errors(exc: ValidationFailed) -> list[dict[str, Any]]:
    return [{"path": e.field, "message": e.message} for e in exc.errors]


def _load_rule(text: str | None) -> Any:
    """The builder's JSON, or a DomainError saying why there is none."""
    try:
        data = json.loads(text or "null")
    except ValueError:
        raise DomainError("The rule is not valid JSON.", field="$") from None
    if data is None:
        raise DomainError("Add at least one condition.", field="$")
    return data


def _parse_when(form: MqlRuleForm) -> Any:
    """The builder's JSON from the form, or None with the error on the form."""
    try:
        return _load_rule(form.cleaned_data["when"])
    except DomainError as exc:
        form.add_error("when", exc.message)
        return None


def _publish_mql(request: HttpRequest, form: MqlRuleForm, version: DefinitionVersion) -> tuple[Any, list]:
    """Publish the form's rule as a new version of the whole plumb line; (the version or None, builder errors)."""
    data = _parse_when(form)
    if data is None:
        return None, []
    try:
        when = mql_builder.from_builder(data)
    except ValidationFailed as exc:
        form.add_error(None, "The rule was not saved: see the conditions marked below.")
        return None, _builder_errors(exc)
    body = copy.deepcopy(version.body)
    body["mql"] = {"name": form.cleaned_data["name"], "when": when,
                   "eligible_stages": form.cleaned_data["eligible_stages"]}
    try:
        return do_publish_definitions(by=request.user, body=body, note=form.cleaned_data["note"]), []
    except ValidationFailed as exc:
        for err in exc.errors:
            name = (err.field or "").removeprefix("mql.").split(".")[0]
            form.add_error(name if name in ("name", "eligible_stages", "note") else None,
                           f"{err.field}: {err.message}" if name not in form.fields else err.message)
    except DomainError as exc:
        form.add_error("note" if exc.field == "note" else None, exc.message)
    return None, []


@page("definitions", action="change", methods=("GET", "POST"))
def mql_rule_page(request: HttpRequest) -> HttpResponse:
    """The MQL rule in the visual builder: publishing it makes a new version of the plumb line, as the YAML
    editor does, so the history and the diffs show it."""
    version = current_version()
    mql = parsed(version).mql
    initial = {"name": mql.name, "eligible_stages": mql.eligible_stages,
               "when": json.dumps(mql_builder.to_builder(mql.when.model_dump(mode="json")))}
    form = MqlRuleForm(request.POST or None, initial=initial)
    builder_errors: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        new, builder_errors = _publish_mql(request, form, version)
        if new is not None:
            messages.success(request, f"Published version {new.number} with the new MQL rule. Every contact is "
                                      "being rescored with it in the background.")
            return redirect("definitions")
    return render(request, "definitions/mql_rule.html", {
        "form": form, "version": version, "catalogue": mql_builder.catalogue(), "builder_errors": builder_errors,
    }, status=400 if request.method == "POST" else 200)


@page("definitions", action="change", methods=("POST",))
def mql_rule_preview(request: HttpRequest) -> HttpResponse:
    """The builder's live preview of an MQL rule: the rule as a sentence, or what is wrong with it. Counting the
    contacts it would qualify needs the scores, which scoring (a layer above) computes: decision 0009."""
    context: dict[str, Any] = {"errors": [], "text": None}
    try:
        data = _load_rule(request.POST.get("predicate"))
        context["text"] = _rule_text(Condition.model_validate(mql_builder.from_builder(data)))
    except ValidationFailed as exc:
        context["errors"] = _builder_errors(exc)
    except DomainError as exc:
        context["errors"] = [{"path": exc.field, "message": exc.message}]
    status = 422 if context["errors"] else 200
    return render(request, "definitions/_mql_preview.html", context, status=status)
