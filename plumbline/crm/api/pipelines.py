"""/pipelines: pipelines with their ordered stages, and the stages of an existing pipeline."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from plumbline.core.api_helpers import (
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
    sort_param,
    whole,
)
from plumbline.core.errors import DomainError
from plumbline.core.idempotency import idempotent
from plumbline.core.pagination import DEFAULT_LIMIT, paginate
from plumbline.crm.actions import (
    do_add_stage,
    do_create_pipeline,
    do_delete_pipeline,
    do_remove_stage,
    do_reorder_stages,
    do_update_pipeline,
    do_update_stage,
)
from plumbline.crm.models import Pipeline, PipelineStage

router = Router(tags=["pipelines"])

SORTS = ("name", "created_at", "updated_at")
Kind = Literal[tuple(PipelineStage.Kind.values)]  # type: ignore[valid-type]
Probability = whole(ge=0, le=100)


class StageIn(In):
    name: name_text(100)
    probability: Probability = 0
    kind: Kind = PipelineStage.Kind.OPEN.value


class PipelineIn(In):
    name: name_text(100)
    is_default: Annotated[bool, Field(strict=True)] = False
    stages: list[StageIn] = Field(min_length=1, max_length=50)


class PipelinePatch(In):
    name: name_text(100) = None
    is_default: Annotated[bool, Field(strict=True)] = None


class NewStageIn(StageIn):
    position: whole(ge=0, le=2_147_483_647) | None = None


class StagePatch(In):
    name: name_text(100) = None
    probability: Probability = None


class StageOrderIn(In):
    stage_ids: list[Id] = Field(min_length=1, max_length=50)


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    kind: str


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    stages: list[StageOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_stages(obj: Pipeline) -> list[PipelineStage]:
        return list(obj.stages.all())


class PipelinePage(Schema):
    items: list[PipelineOut]
    next_cursor: str | None


def _pipelines():
    return Pipeline.objects.prefetch_related(Prefetch("stages", PipelineStage.objects.order_by("position")))


@router.get("/pipelines", response=PipelinePage, summary="List pipelines with their stages")
def list_pipelines(
    request: HttpRequest,
    updated_since: Instant | None = None,
    sort: sort_param(SORTS) = "name",
    cursor: QueryText | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict:
    can_view(request, "pipeline")
    qs = _pipelines()
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    items, next_cursor = paginate(qs, sort=sort, allowed=SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/pipelines", response={201: PipelineOut}, summary="Create a pipeline with its stages")
@idempotent
def create_pipeline(request: HttpRequest, payload: PipelineIn) -> Status:
    pipeline = do_create_pipeline(
        by=request.user, name=payload.name, is_default=payload.is_default,
        stages=[s.dict() for s in payload.stages],
    )
    return Status(201, get_or_404(_pipelines(), pipeline.pk, "pipeline"))


@router.get("/pipelines/{pipeline_id}", response=PipelineOut, summary="Read a pipeline")
def get_pipeline(request: HttpRequest, pipeline_id: IdParam) -> Pipeline:
    can_view(request, "pipeline")
    return get_or_404(_pipelines(), pipeline_id, "pipeline")


@router.patch("/pipelines/{pipeline_id}", response=PipelineOut, summary="Rename a pipeline or make it the default")
def update_pipeline(request: HttpRequest, pipeline_id: IdParam, payload: PipelinePatch) -> Pipeline:
    pipeline = get_or_404(_pipelines(), pipeline_id, "pipeline")
    changes = payload.dict(exclude_unset=True)
    if changes.get("is_default") is False:
        raise DomainError(
            "There is always one default pipeline: make another pipeline the default instead.", field="is_default"
        )
    do_update_pipeline(by=request.user, pipeline=pipeline, **changes)
    return get_or_404(_pipelines(), pipeline.pk, "pipeline")


@router.delete("/pipelines/{pipeline_id}", response={204: None}, summary="Delete a pipeline without deals")
def delete_pipeline(request: HttpRequest, pipeline_id: IdParam) -> Status:
    pipeline = get_or_404(_pipelines(), pipeline_id, "pipeline")
    do_delete_pipeline(by=request.user, pipeline=pipeline)
    return Status(204, None)


def _stage(pipeline: Pipeline, stage_id: int) -> PipelineStage:
    return get_or_404(PipelineStage.objects.filter(pipeline=pipeline).select_related("pipeline"), stage_id, "stage")


STAGE_RENAMES = {"stage": "stage_id"}


@router.post("/pipelines/{pipeline_id}/stages", response={201: StageOut}, summary="Add a stage to a pipeline")
@idempotent
def add_stage(request: HttpRequest, pipeline_id: IdParam, payload: NewStageIn) -> Status:
    """Without `position` an open stage goes after the last open stage and a won or lost stage goes last;
    the other stages move down to make room (read the pipeline for their new positions)."""
    pipeline = get_or_404(Pipeline.objects.all(), pipeline_id, "pipeline")
    stage = do_add_stage(by=request.user, pipeline=pipeline, **payload.dict(exclude_unset=True))
    return Status(201, stage)


@router.patch("/pipelines/{pipeline_id}/stages/{stage_id}", response=StageOut,
              summary="Rename a stage or change its win probability")
def update_stage(request: HttpRequest, pipeline_id: IdParam, stage_id: IdParam, payload: StagePatch) -> PipelineStage:
    """A stage's kind (open, won, lost) is fixed: add a new stage for another kind."""
    pipeline = get_or_404(Pipeline.objects.all(), pipeline_id, "pipeline")
    return do_update_stage(by=request.user, stage=_stage(pipeline, stage_id), **payload.dict(exclude_unset=True))


@router.put("/pipelines/{pipeline_id}/stage-order", response=PipelineOut, summary="Reorder a pipeline's stages")
def reorder_stages(request: HttpRequest, pipeline_id: IdParam, payload: StageOrderIn) -> Pipeline:
    """`stage_ids` names every stage of the pipeline exactly once, first stage first."""
    pipeline = get_or_404(Pipeline.objects.all(), pipeline_id, "pipeline")
    do_reorder_stages(by=request.user, pipeline=pipeline, stage_ids=payload.stage_ids)
    return get_or_404(_pipelines(), pipeline.pk, "pipeline")


@router.delete("/pipelines/{pipeline_id}/stages/{stage_id}", response={204: None},
               summary="Remove a stage no deal is in or has been in")
def remove_stage(request: HttpRequest, pipeline_id: IdParam, stage_id: IdParam) -> Status:
    """409 on `stage_id` while deals are in the stage (move them first) or when deals' stage history names it
    (it stays; rename it instead), and for a pipeline's last stage."""
    pipeline = get_or_404(Pipeline.objects.all(), pipeline_id, "pipeline")
    with api_fields(STAGE_RENAMES):
        do_remove_stage(by=request.user, stage=_stage(pipeline, stage_id))
    return Status(204, None)
