"""Pages: the plumb line both teams read, its history and diffs, and the admin's editor."""

from __future__ import annotations

import yaml
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.pages import int_param, page
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.labels import label
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, diff, parsed


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
