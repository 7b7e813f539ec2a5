"""/forms, /landing-pages and /flows: the form builder, its submissions, landing pages and guided flows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from plumbline.accounts.models import User
from plumbline.core.api_helpers import (
    REF_RENAMES,
    Id,
    IdParam,
    In,
    Limit,
    QueryText,
    api_fields,
    can_view,
    get_or_404,
    name_text,
    resolve_refs,
    sort_param,
    text,
    url_text,
)
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.marketing.models import Campaign
from plumbline.webforms.actions import (
    do_create_flow,
    do_create_form,
    do_create_landing_page,
    do_delete_flow,
    do_delete_form,
    do_delete_landing_page,
    do_update_flow,
    do_update_form,
    do_update_landing_page,
)
from plumbline.webforms.models import FieldType, Flow, Form, HiddenSource, LandingPage, Submission

router = Router(tags=["forms"])

Slug = Annotated[str, StringConstraints(strict=True, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")]
Key = Annotated[str, StringConstraints(strict=True, max_length=50, pattern=r"^[-a-zA-Z0-9_]*$")]
FORM_REFS = {"campaign_id": (Campaign, "campaign"), "notify_id": (User, "notify")}
PAGE_REFS = {"campaign_id": (Campaign, "campaign"), "form_id": (Form, "form")}
FLOW_REFS = {"form_id": (Form, "form")}
RENAMES = {**REF_RENAMES, "notify": "notify_id", "form": "form_id"}
SORTS = ("updated_at", "created_at", "name")


def _public(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


class FieldIn(In):
    label: name_text(200)
    key: Key = ""
    type: Literal[tuple(FieldType.values)] = "text"  # type: ignore[valid-type]
    maps_to: text(60) = ""
    required: bool = False
    options: list[text(200)] = Field(default_factory=list, max_length=100)
    help_text: text(300) = ""
    subscription: text(50) = ""
    hidden_source: Literal[("", *HiddenSource.values)] = ""  # type: ignore[valid-type]


class FieldOut(Schema):
    label: str
    key: str
    type: str
    maps_to: str
    required: bool
    options: list[str]
    help_text: str
    subscription: str
    hidden_source: str


class FormIn(In):
    name: name_text(200)
    slug: Slug = None
    campaign_id: Id | None = None
    notify_id: Id | None = None
    submit_label: name_text(60) = "Submit"
    thank_you_message: text(2000) = ""
    redirect_url: url_text(500) = ""
    profiling_max_fields: int = Field(0, ge=0, le=50)
    is_active: bool = True
    fields: list[FieldIn] = Field(min_length=1, max_length=50)


class FormPatch(In):
    name: name_text(200) = None
    slug: Slug = None
    campaign_id: Id | None = None
    notify_id: Id | None = None
    submit_label: name_text(60) = None
    thank_you_message: text(2000) = None
    redirect_url: url_text(500) = None
    profiling_max_fields: int = Field(None, ge=0, le=50)
    is_active: bool = None
    fields: list[FieldIn] = Field(None, min_length=1, max_length=50)


class FormOut(Schema):
    id: int
    name: str
    slug: str
    campaign_id: int | None
    notify_id: int | None
    submit_label: str
    thank_you_message: str
    redirect_url: str
    profiling_max_fields: int
    is_active: bool
    fields: list[FieldOut]
    submission_count: int
    hosted_url: str
    embed_script: str
    created_at: dt.datetime
    updated_at: dt.datetime


class FormPage(Schema):
    items: list[FormOut]
    next_cursor: str | None


class SubmissionOut(Schema):
    id: int
    form_id: int
    contact_id: int | None
    answers: dict[str, Any]
    visitor_id: str
    utm: dict[str, str]
    page_url: str
    submitted_at: dt.datetime


class SubmissionPage(Schema):
    items: list[SubmissionOut]
    next_cursor: str | None


def _out(form: Form) -> dict[str, Any]:
    count = getattr(form, "submission_count", None)
    return {
        **{k: getattr(form, k) for k in ("id", "name", "slug", "campaign_id", "notify_id", "submit_label",
                                         "thank_you_message", "redirect_url", "profiling_max_fields", "is_active",
                                         "created_at", "updated_at")},
        "fields": list(form.fields.all()),
        "submission_count": count if count is not None else form.submissions.count(),
        "hosted_url": _public(f"/f/{form.slug}"),
        "embed_script": f'<script src="{_public(f"/f/{form.slug}/embed.js")}"></script>',
    }


def _form_values(payload: In) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    if "fields" in data:
        data["fields"] = [dict(f) for f in data["fields"]]
    return resolve_refs(data, FORM_REFS)


@router.get("/forms", response=FormPage, summary="List forms", tags=["forms"])
def list_forms(request: HttpRequest, q: QueryText = "", sort: sort_param(SORTS) = "name",
               cursor: QueryText | None = None, limit: Limit = DEFAULT_LIMIT) -> dict:
    can_view(request, "form")
    qs = Form.objects.annotate(submission_count=Count("submissions")).prefetch_related("fields")
    if q.strip():
        qs = qs.filter(name__istartswith=q.strip())
    items, next_cursor = paginate(qs, sort=sort, allowed=SORTS, cursor=cursor, limit=limit)
    return {"items": [_out(f) for f in items], "next_cursor": next_cursor}


@router.post("/forms", response={201: FormOut}, summary="Create a form with its fields", tags=["forms"])
@idempotent
def create_form(request: HttpRequest, payload: FormIn) -> Status:
    """Exactly one field must be an email field mapped to `contact.email`. `maps_to`: `contact.<field>`
    (email, first_name, last_name, title, phone), `company.name`, `custom.<key>` or empty; consent fields name a
    subscription type code, hidden fields their `hidden_source`."""
    with api_fields(RENAMES):
        return Status(201, _out(do_create_form(by=request.user, **_form_values(payload))))


@router.get("/forms/{form_id}", response=FormOut, summary="Read a form", tags=["forms"])
def get_form(request: HttpRequest, form_id: IdParam) -> dict:
    can_view(request, "form")
    return _out(get_or_404(Form.objects.all(), form_id, "form"))


@router.patch("/forms/{form_id}", response=FormOut, summary="Change a form", tags=["forms"])
def update_form(request: HttpRequest, form_id: IdParam, payload: FormPatch) -> dict:
    """`fields`, when given, replaces every field; past submissions keep their answers."""
    form = get_or_404(Form.objects.all(), form_id, "form")
    with api_fields(RENAMES):
        return _out(do_update_form(by=request.user, form=form, changes=_form_values(payload)))


@router.delete("/forms/{form_id}", response={204: None}, summary="Delete a form and its submissions", tags=["forms"])
def delete_form(request: HttpRequest, form_id: IdParam) -> Status:
    form = get_or_404(Form.objects.all(), form_id, "form")
    do_delete_form(by=request.user, form=form)
    return Status(204, None)


@router.get("/forms/{form_id}/submissions", response=SubmissionPage, summary="List a form's submissions",
            tags=["forms"])
def list_submissions(request: HttpRequest, form_id: IdParam, cursor: QueryText | None = None,
                     limit: Limit = DEFAULT_LIMIT) -> dict:
    can_view(request, "submission")
    form = get_or_404(Form.objects.all(), form_id, "form")
    items, next_cursor = paginate(Submission.objects.filter(form=form), sort="-submitted_at",
                                  allowed=("submitted_at",), cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


# --- landing pages -----------------------------------------------------------------------------------------


class PageIn(In):
    headline: name_text(200)
    slug: Slug = None
    campaign_id: Id | None = None
    body_html: text(50000) = ""
    form_id: Id | None = None
    cta_label: text(60) = ""
    cta_url: url_text(500) = ""
    is_published: bool = True


class PagePatch(In):
    headline: name_text(200) = None
    slug: Slug = None
    campaign_id: Id | None = None
    body_html: text(50000) = None
    form_id: Id | None = None
    cta_label: text(60) = None
    cta_url: url_text(500) = None
    is_published: bool = None


class PageOut(Schema):
    id: int
    headline: str
    slug: str
    campaign_id: int | None
    body_html: str
    form_id: int | None
    cta_label: str
    cta_url: str
    is_published: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class PageList(Schema):
    items: list[PageOut]
    next_cursor: str | None


@router.get("/landing-pages", response=PageList, summary="List landing pages", tags=["forms"])
def list_pages(request: HttpRequest, cursor: QueryText | None = None, limit: Limit = DEFAULT_LIMIT) -> dict:
    can_view(request, "form")
    items, next_cursor = paginate(LandingPage.objects.all(), sort="-updated_at", allowed=("updated_at",),
                                  cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/landing-pages", response={201: PageOut}, summary="Create a landing page", tags=["forms"])
@idempotent
def create_page(request: HttpRequest, payload: PageIn) -> Status:
    """`body_html` is sanitised (nh3): scripts, styles and event handlers are dropped."""
    with api_fields(RENAMES):
        values = resolve_refs(payload.dict(exclude_unset=True), PAGE_REFS)
        return Status(201, do_create_landing_page(by=request.user, **values))


@router.get("/landing-pages/{page_id}", response=PageOut, summary="Read a landing page", tags=["forms"])
def get_page(request: HttpRequest, page_id: IdParam) -> LandingPage:
    can_view(request, "form")
    return get_or_404(LandingPage.objects.all(), page_id, "landing page")


@router.patch("/landing-pages/{page_id}", response=PageOut, summary="Change a landing page", tags=["forms"])
def update_page(request: HttpRequest, page_id: IdParam, payload: PagePatch) -> LandingPage:
    page = get_or_404(LandingPage.objects.all(), page_id, "landing page")
    with api_fields(RENAMES):
        changes = resolve_refs(payload.dict(exclude_unset=True), PAGE_REFS)
        return do_update_landing_page(by=request.user, page=page, changes=changes)


@router.delete("/landing-pages/{page_id}", response={204: None}, summary="Delete a landing page", tags=["forms"])
def delete_page(request: HttpRequest, page_id: IdParam) -> Status:
    page = get_or_404(LandingPage.objects.all(), page_id, "landing page")
    do_delete_landing_page(by=request.user, page=page)
    return Status(204, None)


# --- guided flows ------------------------------------------------------------------------------------------


class FlowIn(In):
    name: name_text(200)
    slug: Slug = None
    form_id: Id
    definition: dict[str, Any]
    is_active: bool = True


class FlowPatch(In):
    name: name_text(200) = None
    slug: Slug = None
    form_id: Id = None
    definition: dict[str, Any] = None
    is_active: bool = None


class FlowOut(Schema):
    id: int
    name: str
    slug: str
    form_id: int
    definition: dict[str, Any]
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class FlowList(Schema):
    items: list[FlowOut]
    next_cursor: str | None


@router.get("/flows", response=FlowList, summary="List guided flows", tags=["forms"])
def list_flows(request: HttpRequest, cursor: QueryText | None = None, limit: Limit = DEFAULT_LIMIT) -> dict:
    can_view(request, "form")
    items, next_cursor = paginate(Flow.objects.all(), sort="-updated_at", allowed=("updated_at",), cursor=cursor,
                                  limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/flows", response={201: FlowOut}, summary="Create a guided flow", tags=["forms"])
@idempotent
def create_flow(request: HttpRequest, payload: FlowIn) -> Status:
    """`definition`: `steps` (key, question, options, branches [{answer, goto}], next) and `results` (key, kind
    content|sales, title, message, when {step key: [answers]}, min_fit_grade, funnel_stage, persona_id); the
    first result that applies wins, the last is the fallback. The contact step is the form `form_id`."""
    with api_fields(RENAMES):
        values = resolve_refs(payload.dict(exclude_unset=True), FLOW_REFS)
        return Status(201, do_create_flow(by=request.user, **values))


@router.get("/flows/{flow_id}", response=FlowOut, summary="Read a guided flow", tags=["forms"])
def get_flow(request: HttpRequest, flow_id: IdParam) -> Flow:
    can_view(request, "form")
    return get_or_404(Flow.objects.all(), flow_id, "flow")


@router.patch("/flows/{flow_id}", response=FlowOut, summary="Change a guided flow", tags=["forms"])
def update_flow(request: HttpRequest, flow_id: IdParam, payload: FlowPatch) -> Flow:
    flow = get_or_404(Flow.objects.all(), flow_id, "flow")
    with api_fields(RENAMES):
        changes = resolve_refs(payload.dict(exclude_unset=True), FLOW_REFS)
        return do_update_flow(by=request.user, flow=flow, changes=changes)


@router.delete("/flows/{flow_id}", response={204: None}, summary="Delete a guided flow", tags=["forms"])
def delete_flow(request: HttpRequest, flow_id: IdParam) -> Status:
    flow = get_or_404(Flow.objects.all(), flow_id, "flow")
    do_delete_flow(by=request.user, flow=flow)
    return Status(204, None)
