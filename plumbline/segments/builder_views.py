"""The visual builder's pages: create and edit a segment (static/js/builder.js edits the rule), the live preview
(count and a sample while editing) and "why is this contact in / not in this segment".

Every write goes through segments.actions; the preview and the "why" page only read."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.forms import attach_errors, form_status
from plumbline.core.pages import page, refuse
from plumbline.core.permissions import can
from plumbline.crm.models import Contact
from plumbline.segments import queries
from plumbline.segments.actions import do_create_segment, do_update_segment
from plumbline.segments.models import Kind, Membership, Segment
from plumbline.segments.predicate import catalogue, explain
from plumbline.segments.predicate.schema import PredicateInvalid, custom_specs, parse

RESOURCE = "segment"
# The kinds a segment is created as here; a snapshot is taken of an existing segment, on its page.
BUILDABLE = (Kind.DYNAMIC, Kind.STATIC)
SAMPLE = 20


class SegmentForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(
        label="Kind", choices=[(k.value, k.label) for k in BUILDABLE], widget=forms.RadioSelect
    )
    predicate = forms.CharField(
        label="The rule (JSON)", required=False, widget=forms.Textarea(attrs={"hidden": True, "rows": 4})
    )

    def rule(self) -> dict[str, Any] | None:
        """The rule as JSON data: None for a static list; a form error when it is not JSON or empty."""
        if self.cleaned_data["kind"] != Kind.DYNAMIC:
            return None
        text = (self.cleaned_data.get("predicate") or "").strip()
        if not text:
            raise DomainError("Add at least one condition.", field="predicate", code="required")
        try:
            return json.loads(text)
        except ValueError:
            raise DomainError("The rule is not valid JSON.", field="predicate") from None


# ---- the catalogue builder.js reads ----


def _param(
    name: str, label: str, choices: list[dict[str, Any]], *, optional: bool, type_: str = "choice"
) -> dict:
    return {"name": name, "label": label, "choices": choices, "optional": optional, "type": type_}


def builder_catalogue(source: dict[str, Any]) -> dict[str, Any]:
    """The predicate language's catalogue (predicate.catalogue) as the kinds of condition builder.js offers."""
    kinds: list[dict[str, Any]] = [{"key": "field", "label": "Field", "fields": source["fields"]}]
    conditions = source.get("conditions", {})
    for key, adapt in _KINDS.items():
        shape = adapt(conditions[key]) if key in conditions else {"fields": []}
        if shape.get("fields") != []:  # no forms yet: no form conditions to offer
            kinds.append({"key": key, "label": conditions[key]["label"], **shape})
    return {"allow_not": True, "kinds": kinds}


def _touchpoints(tp: dict[str, Any]) -> dict[str, Any]:
    texts = [
        {"name": f["key"], "label": f["label"], "type": "text", "optional": True}
        for f in tp.get("filters", [])
    ]
    return {
        "ops": tp["ops"],
        "within_days": True,
        "value": {"type": "number", "label": "number of touchpoints", "default": 1},
        "params": [
            _param("kind", "Kind", tp["kinds"], optional=True),
            _param("channel", "Channel", tp["channels"], optional=True),
            _param("campaign", "Campaign", tp["campaigns"], optional=True, type_="number"),
            *texts,
        ],
    }


def _consent(consent: dict[str, Any]) -> dict[str, Any]:
    return {
        "ops": consent["ops"],
        "params": [
            _param("channel", "Channel", consent["channels"], optional=False),
            _param("subscription", "Subscription", consent["subscriptions"], optional=True),
        ],
    }


def _lifecycle(lifecycle: dict[str, Any]) -> dict[str, Any]:
    return {"within_days": True, "params": [_param("became", "became", lifecycle["stages"], optional=False)]}


def _segment(member: dict[str, Any]) -> dict[str, Any]:
    return {
        "ops": member["ops"],
        "scalar": True,
        "params": [_param("segment", "Segment", member["segments"], optional=False, type_="number")],
    }


def _deals(deals: dict[str, Any]) -> dict[str, Any]:
    stages = [
        {"value": s["value"], "label": f"{p['label']}: {s['label']}"}
        for p in deals["pipelines"]
        for s in p["stages"]
    ]
    pipelines = [{"value": p["value"], "label": p["label"]} for p in deals["pipelines"]]
    amounts = [
        {
            "name": name,
            "label": "Amount at least" if name == "min_amount" else "Amount at most",
            "type": "number",
            "optional": True,
        }
        for name in deals.get("amount", [])
    ]
    return {
        "ops": deals["ops"],
        "value": {"type": "number", "label": "number of deals", "default": 1},
        "params": [
            _param("via", "Whose deals", deals["via"], optional=False),
            _param("status", "Status", deals["statuses"], optional=True),
            _param("pipeline", "Pipeline", pipelines, optional=True, type_="number"),
            _param("stage", "Stage", stages, optional=True, type_="number"),
            *amounts,
        ],
    }


def _form(form: dict[str, Any]) -> dict[str, Any]:
    """Form conditions as fields: "<form>: was submitted" (a window) and "<form>: <question>" (an answer), each
    with the `ref` builder.js writes under "form"."""
    fields: list[dict[str, Any]] = []
    for f in form["forms"]:
        fields.append(
            {
                "key": f["value"],
                "label": f"{f['label']}: submission",
                "group": f["label"],
                "type": "submission",
                "ops": form["submission_ops"],
                "ref": {"form": f["value"]},
                "within_days": True,
            }
        )
        for answer in f["fields"]:
            fields.append(
                {
                    **answer,
                    "key": f"{f['value']}/{answer['key']}",
                    "group": f["label"],
                    "ref": {"form": f["value"], "field": answer["key"]},
                }
            )
    return {"fields": fields}


# The condition kinds of the catalogue the builder shows, in its order, each adapted to the builder's shape.
_KINDS = {
    "touchpoints": _touchpoints,
    "consent": _consent,
    "lifecycle": _lifecycle,
    "segment": _segment,
    "deals": _deals,
    "form": _form,
}


# ---- errors of a predicate, by condition ----


def predicate_errors(exc: DomainError) -> list[dict[str, Any]]:
    """Each error of a refused predicate as {path, message}; the path is the JSON path builder.js places it by."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return [{"path": _json_path(e.field), "message": e.message} for e in errors]


def _json_path(field: str | None) -> str:
    field = (field or "").removeprefix("predicate")
    return (
        field
        if field.startswith("$")
        else "$" + (field if field.startswith((".", "[")) or not field else f".{field}")
    )


def _is_predicate_error(err: DomainError) -> bool:
    return (err.field or "").startswith(("$", "predicate"))


def _split_errors(form: SegmentForm, exc: DomainError) -> list[dict[str, Any]]:
    """Put the form-field errors on the form; return the predicate's errors for the builder."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    rule = [e for e in errors if _is_predicate_error(e)]
    rest = [e for e in errors if not _is_predicate_error(e)]
    if rest:
        attach_errors(form, ValidationFailed(rest))
    if rule:
        form.add_error(None, "The rule was not saved: see the conditions marked below.")
    form.error_status = exc.status  # type: ignore[attr-defined]
    return predicate_errors(ValidationFailed(rule)) if rule else []


# ---- create and edit ----


def _save(request: HttpRequest, form: SegmentForm, segment: Segment | None) -> tuple[Segment | None, list]:
    data = form.cleaned_data
    try:
        rule = form.rule()
    except DomainError as exc:
        attach_errors(form, exc)
        return None, []
    try:
        if segment is None:
            saved = do_create_segment(
                by=request.user,
                name=data["name"],
                kind=data["kind"],
                predicate=rule,
                description=data["description"],
            )
        else:
            saved = do_update_segment(
                by=request.user,
                segment=segment,
                name=data["name"],
                description=data["description"],
                predicate=rule,
            )
    except DomainError as exc:
        if exc.status == 403 and not exc.field:
            raise
        return None, _split_errors(form, exc)
    return saved, []


def _editor(request: HttpRequest, segment: Segment | None, kind: str) -> HttpResponse:
    if segment is None:
        initial: dict[str, Any] = {"kind": kind}
    else:
        initial = {
            "name": segment.name,
            "description": segment.description,
            "kind": segment.kind,
            "predicate": json.dumps(segment.predicate) if segment.predicate else "",
        }
    form = SegmentForm(request.POST or None, initial=initial)
    if segment is not None:
        form.fields["kind"].disabled = True  # a segment keeps its kind; make a new one for another
        form.fields["kind"].choices = Kind.choices
    errors: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        saved, errors = _save(request, form, segment)
        if saved is not None:
            messages.success(request, f"Segment {saved.name} saved.")
            return redirect("segments_detail", pk=saved.pk)
    status = form_status(form) if form.is_bound else 200
    return render(
        request,
        "segments/builder/edit.html",
        {
            "form": form,
            "segment": segment,
            "builder_errors": errors,
            "catalogue": builder_catalogue(catalogue.catalogue()),
            "dynamic": (form["kind"].value() or kind) == Kind.DYNAMIC,
        },
        status=status,
    )


@page(RESOURCE, action="add", methods=("GET", "POST"))
def segment_create(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind")
    return _editor(request, None, kind if kind in BUILDABLE else Kind.DYNAMIC)


@page(RESOURCE, action="change", methods=("GET", "POST"))
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=pk)
    if not can(request.user, "change", RESOURCE, segment):
        return refuse(request, "change", RESOURCE)
    return _editor(request, segment, segment.kind)


# ---- the live preview ----


@page(RESOURCE, methods=("POST",))
def segment_preview(request: HttpRequest) -> HttpResponse:
    """POST `predicate` (JSON): how many contacts match now and the newest 20 of them, or the rule's errors by
    condition (422). Saves nothing."""
    context: dict[str, Any] = {"errors": [], "preview": None}
    try:
        rule = json.loads(request.POST.get("predicate") or "null")
        if rule is None:
            raise DomainError("Add at least one condition to see who matches.", field="$")
        context["preview"] = queries.preview(rule, sample=SAMPLE)
    except ValueError:
        context["errors"] = [{"path": "$", "message": "The rule is not valid JSON."}]
    except DomainError as exc:
        context["errors"] = predicate_errors(exc)
    return render(
        request, "segments/builder/_preview.html", context, status=422 if context["errors"] else 200
    )


# ---- why is this contact in / not in ----


def _find_contact(query: str) -> Contact | None:
    query = query.strip()
    if query.isdigit():
        return Contact.objects.filter(pk=int(query)).first()
    return Contact.objects.filter(email__iexact=query).first() if query else None


@page(RESOURCE)
def segment_why(request: HttpRequest, pk: int) -> HttpResponse:
    """GET ?contact=<id or email>: the segment's rule for that contact, condition by condition, with what the
    contact has; and whether the contact is a member now. Reads only."""
    segment = get_object_or_404(Segment, pk=pk)
    query = request.GET.get("contact", "")
    contact = _find_contact(query)
    context: dict[str, Any] = {
        "segment": segment,
        "query": query,
        "contact": contact,
        "tree": None,
        "member": None,
        "not_found": bool(query.strip()) and contact is None,
    }
    if contact is not None:
        context["member"] = Membership.objects.filter(segment=segment, contact=contact).first()
        if segment.predicate:
            custom = custom_specs()
            try:
                context["tree"] = explain.explain(
                    parse(segment.predicate, custom=custom), contact, timezone.now()
                )
            except PredicateInvalid as exc:
                context["rule_errors"] = predicate_errors(exc)
    return render(request, "segments/builder/why.html", context, status=404 if context["not_found"] else 200)
