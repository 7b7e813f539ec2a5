"""/frameworks, /deals/{id}/qualification, /objections, /reports/objections, /messaging."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from plumbline.core.api_helpers import (
    REF_RENAMES,
    Id,
    IdParam,
    In,
    Instant,
    Limit,
    QueryText,
    api_fields,
    can_view,
    get_or_404,
    name_text,
    ref,
    requires_one_of,
    text,
    url_text,
)
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.crm import queries as crm_queries
from plumbline.crm.models import Contact, Deal, Pipeline
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
from plumbline.playbook.models import (
    AnswerStatus,
    Framework,
    FunnelStage,
    MessagingItem,
    Objection,
    ObjectionCategory,
)
from plumbline.playbook.templates import ANSWER_TYPES, TEMPLATES

router = Router(tags=["playbook"])

TemplateKey = Literal[tuple(TEMPLATES)]  # type: ignore[valid-type]
AnswerType = Literal[tuple(ANSWER_TYPES)]  # type: ignore[valid-type]
Category = Literal[tuple(ObjectionCategory.values)]  # type: ignore[valid-type]
Outcome = Literal[tuple(Objection.Outcome.values)]  # type: ignore[valid-type]
Kind = Literal[tuple(MessagingItem.Kind.values)]  # type: ignore[valid-type]
Stage = Literal[tuple(FunnelStage.values)]  # type: ignore[valid-type]
StageOrAny = Literal[("", *FunnelStage.values)]  # type: ignore[valid-type]
CategoryOrNone = Literal[("", *ObjectionCategory.values)]  # type: ignore[valid-type]
Status_ = Literal[tuple(AnswerStatus.values)]  # type: ignore[valid-type]
Group = Literal[tuple(queries.REPORT_GROUPS)]  # type: ignore[valid-type]
Weight = Annotated[float, Field(gt=0, le=100)]

# --- frameworks -------------------------------------------------------------------------------------------


class CriterionIn(In):
    key: Annotated[text(50), Field(json_schema_extra={"pattern": "^[a-z][a-z0-9_]{0,49}$"})]
    label: name_text(100)
    question: text(500) = ""
    guide: list[text(300)] = Field(default=[], max_length=10)
    answer_type: AnswerType = "text"
    weight: Weight = 1.0


class FrameworkIn(In):
    """Either `template` (copied, optionally renamed) or `name` + `criteria`."""

    model_config = ConfigDict(json_schema_extra=requires_one_of(("template",), ("name", "criteria")))

    template: TemplateKey | None = None
    name: name_text(100) | None = None
    description: text(2000) | None = None
    criteria: list[CriterionIn] | None = Field(default=None, max_length=30, json_schema_extra={"minItems": 1})


class FrameworkPatch(In):
    name: name_text(100) = None
    description: text(2000) = None
    criteria: list[CriterionIn] = Field(default=None, max_length=30)


class CriterionOut(Schema):
    key: str
    label: str
    question: str
    guide: list[str]
    answer_type: str
    weight: float


class FrameworkOut(Schema):
    id: int
    name: str
    template: str
    description: str
    criteria: list[CriterionOut]
    pipeline_ids: list[int]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_pipeline_ids(obj: Framework) -> list[int]:
        return sorted(link.pipeline_id for link in obj.pipeline_links.all())


class TemplateOut(Schema):
    key: str
    name: str
    description: str
    criteria: list[CriterionOut]


class PipelineFrameworkIn(In):
    framework_id: Id | None


class PipelineFrameworkOut(Schema):
    pipeline_id: int
    framework_id: int | None


def _frameworks():
    return Framework.objects.prefetch_related("pipeline_links").order_by("name")


def _dump(payload: In) -> dict[str, Any]:
    return payload.dict(exclude_unset=True)


@router.get("/framework-templates", response=list[TemplateOut], summary="The shipped qualification frameworks")
def list_templates(request: HttpRequest) -> list[dict[str, Any]]:
    can_view(request, "framework")
    return [{"key": k, "name": t["name"], "description": t["description"], "criteria": t["criteria"]}
            for k, t in TEMPLATES.items()]


@router.get("/frameworks", response=list[FrameworkOut], summary="List qualification frameworks")
def list_frameworks(request: HttpRequest) -> Any:
    can_view(request, "framework")
    return list(_frameworks())


@router.post("/frameworks", response={201: FrameworkOut}, summary="Create a framework from a template or criteria")
@idempotent
def create_framework(request: HttpRequest, payload: FrameworkIn) -> Status:
    framework = do_create_framework(by=request.user, **_dump(payload))
    return Status(201, _frameworks().get(pk=framework.pk))


@router.get("/frameworks/{framework_id}", response=FrameworkOut)
def get_framework(request: HttpRequest, framework_id: IdParam) -> Framework:
    can_view(request, "framework")
    return get_or_404(_frameworks(), framework_id, "framework")


@router.patch("/frameworks/{framework_id}", response=FrameworkOut, summary="Rename or edit criteria")
def update_framework(request: HttpRequest, framework_id: IdParam, payload: FrameworkPatch) -> Framework:
    framework = get_or_404(_frameworks(), framework_id, "framework")
    do_update_framework(by=request.user, framework=framework, changes=_dump(payload))
    return _frameworks().get(pk=framework.pk)


@router.delete("/frameworks/{framework_id}", response={204: None})
def delete_framework(request: HttpRequest, framework_id: IdParam) -> Status:
    do_delete_framework(by=request.user, framework=get_or_404(_frameworks(), framework_id, "framework"))
    return Status(204, None)


@router.get("/pipelines/{pipeline_id}/framework", response=PipelineFrameworkOut)
def get_pipeline_framework(request: HttpRequest, pipeline_id: IdParam) -> dict[str, Any]:
    can_view(request, "framework")
    pipeline = get_or_404(Pipeline.objects.all(), pipeline_id, "pipeline")
    framework = queries.framework_for(pipeline.pk)
    return {"pipeline_id": pipeline.pk, "framework_id": framework.pk if framework else None}


@router.put("/pipelines/{pipeline_id}/framework", response=PipelineFrameworkOut,
            summary="Choose the pipeline's framework (null: none)")
def set_pipeline_framework(request: HttpRequest, pipeline_id: IdParam, payload: PipelineFrameworkIn) -> dict[str, Any]:
    pipeline = get_or_404(Pipeline.objects.all(), pipeline_id, "pipeline")
    framework = ref(Framework, payload.framework_id, "framework_id")
    do_set_pipeline_framework(by=request.user, pipeline=pipeline, framework=framework)
    return {"pipeline_id": pipeline.pk, "framework_id": framework.pk if framework else None}


# --- qualification ----------------------------------------------------------------------------------------


class AnswerIn(In):
    criterion: text(50)
    value: text(2000) = ""
    status: Status_ = AnswerStatus.UNKNOWN.value


class QualificationIn(In):
    answers: list[AnswerIn] = Field(max_length=30)


class AnswerOut(CriterionOut):
    value: str
    status: str
    updated_by_id: int | None
    updated_at: dt.datetime | None


class QualificationOut(Schema):
    deal_id: int
    framework_id: int | None
    framework_name: str | None
    completeness: float | None
    answers: list[AnswerOut]


def _qualification(deal: Deal) -> dict[str, Any]:
    framework, rows, complete = queries.qualification(deal)
    return {
        "deal_id": deal.pk, "framework_id": framework.pk if framework else None,
        "framework_name": framework.name if framework else None, "completeness": complete,
        "answers": [{
            **r.criterion, "value": r.value, "status": r.status,
            "updated_by_id": r.answer.updated_by_id if r.answer else None,
            "updated_at": r.answer.updated_at if r.answer else None,
        } for r in rows],
    }


@router.get("/deals/{deal_id}/qualification", response=QualificationOut, summary="A deal's answers and completeness")
def get_qualification(request: HttpRequest, deal_id: IdParam) -> dict[str, Any]:
    can_view(request, "deal")
    return _qualification(get_or_404(crm_queries.deals(), deal_id, "deal"))


@router.put("/deals/{deal_id}/qualification", response=QualificationOut,
            summary="Record answers (criteria not named keep theirs)")
def put_qualification(request: HttpRequest, deal_id: IdParam, payload: QualificationIn) -> dict[str, Any]:
    deal = get_or_404(crm_queries.deals(), deal_id, "deal")
    do_save_qualification(by=request.user, deal=deal, answers=[a.dict() for a in payload.answers])
    return _qualification(deal)


# --- objections -------------------------------------------------------------------------------------------


class ObjectionIn(In):
    model_config = ConfigDict(json_schema_extra=requires_one_of(("deal_id",), ("contact_id",)))

    category: Category
    verbatim: name_text(2000)
    deal_id: Id | None = None
    contact_id: Id | None = None
    occurred_at: Instant | None = None


class ObjectionPatch(In):
    outcome: Outcome = None
    outcome_note: text(500) = None
    category: Category = None
    verbatim: text(2000) = None


class ObjectionOut(Schema):
    id: int
    category: str
    verbatim: str
    deal_id: int | None
    contact_id: int | None
    stage: str
    deal_stage: str
    lifecycle_stage: str
    campaign_id: int | None
    campaign: str | None
    channel: str
    segment: str
    outcome: str
    outcome_note: str
    logged_by_id: int | None
    occurred_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_campaign(obj: Objection) -> str | None:
        return obj.campaign.name if obj.campaign_id else None


class ObjectionPage(Schema):
    items: list[ObjectionOut]
    next_cursor: str | None


class ReportRow(Schema):
    group: str
    total: int
    open: int
    resolved: int
    lost_deal: int
    by_category: dict[str, int]


@router.get("/objections", response=ObjectionPage, summary="List objections, newest first")
def list_objections(
    request: HttpRequest, category: Category | None = None, outcome: Outcome | None = None,
    deal_id: IdParam | None = None, contact_id: IdParam | None = None, campaign_id: IdParam | None = None,
    since: Instant | None = None, until: Instant | None = None, cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict[str, Any]:
    can_view(request, "objection")
    qs = queries.objections(category=category, outcome=outcome, deal_id=deal_id, contact_id=contact_id,
                            campaign_id=campaign_id, since=since, until=until)
    items, next_cursor = paginate(qs, sort="-occurred_at", allowed=("occurred_at",), cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/objections", response={201: ObjectionOut}, summary="Log an objection on a deal and/or contact")
@idempotent
def create_objection(request: HttpRequest, payload: ObjectionIn) -> Status:
    data = _dump(payload)
    with api_fields(REF_RENAMES):
        deal = ref(Deal, data.pop("deal_id", None), "deal_id")
        contact = ref(Contact, data.pop("contact_id", None), "contact_id")
        objection = do_log_objection(by=request.user, deal=deal, contact=contact, **data)
    return Status(201, queries.objections().get(pk=objection.pk))


@router.get("/objections/{objection_id}", response=ObjectionOut)
def get_objection(request: HttpRequest, objection_id: IdParam) -> Objection:
    can_view(request, "objection")
    return get_or_404(queries.objections(), objection_id, "objection")


@router.patch("/objections/{objection_id}", response=ObjectionOut, summary="Record the outcome, or correct it")
def update_objection(request: HttpRequest, objection_id: IdParam, payload: ObjectionPatch) -> Objection:
    objection = get_or_404(queries.objections(), objection_id, "objection")
    do_update_objection(by=request.user, objection=objection, changes=_dump(payload))
    return queries.objections().get(pk=objection.pk)


@router.get("/reports/objections", response=list[ReportRow], summary="Objections by category and group")
def report_objections(
    request: HttpRequest, group_by: Group = "campaign", since: Instant | None = None,
    until: Instant | None = None,
) -> list[dict[str, Any]]:
    can_view(request, "objection")
    return queries.objection_report(group_by=group_by, since=since, until=until)


# --- messaging --------------------------------------------------------------------------------------------


class MessagingIn(In):
    # An objection response answers one objection category; other kinds have none.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"properties": {"kind": {"const": "objection_response"},
                        "objection_category": {"enum": list(ObjectionCategory.values)}},
         "required": ["kind", "objection_category"]},
        {"properties": {"kind": {"not": {"const": "objection_response"}}, "objection_category": {"const": ""}}},
    ]})

    kind: Kind
    title: name_text(200)
    body: text(10000) = ""
    url: url_text(500) = ""
    funnel_stage: StageOrAny = ""
    persona_id: Id | None = None
    objection_category: CategoryOrNone = ""


class MessagingPatch(In):
    kind: Kind = None
    title: name_text(200) = None
    body: text(10000) = None
    url: url_text(500) = None
    funnel_stage: StageOrAny = None
    persona_id: Id | None = None
    objection_category: CategoryOrNone = None


class MessagingOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    funnel_stage: str
    persona_id: int | None
    objection_category: str
    owner_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


MESSAGING_REFS = {"persona": "persona_id"}


def _messaging_fields(data: dict[str, Any]) -> dict[str, Any]:
    if "persona_id" in data:
        data["persona"] = ref(MessagingItem, data.pop("persona_id"), "persona_id")
    return data


@router.get("/messaging", response=list[MessagingOut], summary="The messaging library, filtered")
def list_messaging(
    request: HttpRequest, kind: Kind | None = None, stage: Stage | None = None, persona_id: IdParam | None = None,
    objection_category: Category | None = None, q: QueryText = "",
) -> Any:
    can_view(request, "messaging")
    return list(queries.messaging(kind=kind, stage=stage, persona_id=persona_id,
                                  objection_category=objection_category, q=q.strip()[:100] or None)[:500])


@router.get("/messaging/suggestions", response=list[MessagingOut],
            summary="Responses to an objection category, best fit for the funnel stage first")
def suggestions(request: HttpRequest, category: Category, stage: Stage | None = None) -> Any:
    can_view(request, "objection")
    return queries.suggested_responses(category, stage=stage)


@router.post("/messaging", response={201: MessagingOut}, summary="Add to the messaging library")
@idempotent
def create_messaging(request: HttpRequest, payload: MessagingIn) -> Status:
    with api_fields(MESSAGING_REFS):
        item = do_create_messaging_item(by=request.user, **_messaging_fields(_dump(payload)))
    return Status(201, item)


@router.get("/messaging/{item_id}", response=MessagingOut)
def get_messaging(request: HttpRequest, item_id: IdParam) -> MessagingItem:
    can_view(request, "messaging")
    return get_or_404(MessagingItem.objects.all(), item_id, "messaging item")


@router.patch("/messaging/{item_id}", response=MessagingOut)
def update_messaging(request: HttpRequest, item_id: IdParam, payload: MessagingPatch) -> MessagingItem:
    item = get_or_404(MessagingItem.objects.all(), item_id, "messaging item")
    with api_fields(MESSAGING_REFS):
        return do_update_messaging_item(by=request.user, item=item, changes=_messaging_fields(_dump(payload)))


@router.delete("/messaging/{item_id}", response={204: None})
def delete_messaging(request: HttpRequest, item_id: IdParam) -> Status:
    item = get_or_404(MessagingItem.objects.all(), item_id, "messaging item")
    do_delete_messaging_item(by=request.user, item=item)
    return Status(204, None)
