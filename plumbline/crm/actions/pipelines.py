"""Pipeline writes."""

from __future__ import annotations

from typing import Any, TypedDict

from django.db import transaction

from plumbline.core.errors import Conflict, DomainError, ValidationFailed
from plumbline.core.permissions import check
from plumbline.crm.models import Pipeline, PipelineStage


class StageSpec(TypedDict, total=False):
    name: str
    probability: int
    kind: str


def _validate_stages(stages: list[StageSpec]) -> None:
    errors: list[DomainError] = []
    if not stages:
        errors.append(DomainError("A pipeline needs at least one stage.", field="stages", code="required"))
    names = [(s.get("name") or "").strip() for s in stages]
    for i, (spec, name) in enumerate(zip(stages, names, strict=True)):
        if not name:
            errors.append(DomainError("Stage name is required.", field=f"stages[{i}].name", code="required"))
        elif len(name) > 100:
            errors.append(DomainError("Stage name is longer than 100 characters.", field=f"stages[{i}].name"))
        prob = spec.get("probability", 0)
        if not isinstance(prob, int) or isinstance(prob, bool) or not 0 <= prob <= 100:
            errors.append(DomainError("Probability must be 0 to 100.", field=f"stages[{i}].probability"))
        if spec.get("kind", "open") not in PipelineStage.Kind.values:
            errors.append(DomainError("Kind must be open, won or lost.", field=f"stages[{i}].kind"))
    if len(set(names)) != len(names):
        errors.append(DomainError("Stage names must be unique within a pipeline.", field="stages"))
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def do_create_pipeline(*, by: Any = None, name: str, stages: list[StageSpec], is_default: bool = False) -> Pipeline:
    check(by, "add", "pipeline")
    name = (name or "").strip()
    if not name:
        raise DomainError("Name is required.", field="name", code="required")
    if len(name) > 100:
        raise DomainError("Name is longer than 100 characters.", field="name", code="max_length")
    if Pipeline.objects.filter(name=name).exists():
        raise Conflict(f"A pipeline named {name!r} already exists.", field="name")
    _validate_stages(stages)
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = Pipeline.objects.create(name=name, is_default=is_default or not Pipeline.objects.exists())
    PipelineStage.objects.bulk_create(
        PipelineStage(
            pipeline=pipeline, name=s["name"].strip(), position=i, probability=s.get("probability", 0),
            kind=s.get("kind", "open"),
        )
        for i, s in enumerate(stages)
    )
    return pipeline


@transaction.atomic
def do_update_pipeline(
    *, by: Any = None, pipeline: Pipeline, name: str | None = None, is_default: bool | None = None
) -> Pipeline:
    check(by, "change", "pipeline", pipeline)
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError("Name is required.", field="name", code="required")
        if Pipeline.objects.filter(name=name).exclude(pk=pipeline.pk).exists():
            raise Conflict(f"A pipeline named {name!r} already exists.", field="name")
        pipeline.name = name
    if is_default:
        Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)
        pipeline.is_default = True
    pipeline.save(update_fields=["name", "is_default", "updated_at"])
    return pipeline


@transaction.atomic
def do_delete_pipeline(*, by: Any = None, pipeline: Pipeline) -> None:
    check(by, "delete", "pipeline", pipeline)
    if pipeline.deals.exists():
        raise Conflict("This pipeline still has deals; move or delete them first.")
    pipeline.delete()
