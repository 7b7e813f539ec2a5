"""Stage writes on an existing pipeline: add, rename or reweight, reorder, remove.

Invariants every verb keeps (each runs in one transaction with the pipeline row locked, so two admins editing
the same pipeline take turns):
- positions are 0..n-1 in the board's order, without gaps (the model makes them unique per pipeline);
- stage names are unique within the pipeline, 1-100 characters; probabilities are whole numbers 0-100;
- a pipeline keeps at least one stage;
- a stage's kind (open, won, lost) is fixed when it is added: changing it would silently close or reopen the
  deals in it, so a different kind is a new stage. The model allows any number of won and lost stages (as
  `do_create_pipeline` does), so none is required here either.

A stage can be removed only while no deal is in it and no deal's stage history names it: the history is
append-only and protects the stages it refers to. Deals still in the stage must be moved (each move is
recorded) first; a stage that deals have passed through can be renamed but stays.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError, ValidationFailed
from plumbline.core.permissions import check
from plumbline.crm.models import DealTransition, Pipeline, PipelineStage


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise DomainError("Stage name is required.", field="name", code="required")
    name = name.strip()
    if len(name) > 100:
        raise DomainError("Stage name is longer than 100 characters.", field="name", code="max_length")
    return name


def _clean_probability(probability: Any) -> int:
    if not isinstance(probability, int) or isinstance(probability, bool) or not 0 <= probability <= 100:
        raise DomainError("Probability must be a whole number from 0 to 100.", field="probability")
    return probability


def _check_unique(pipeline: Pipeline, name: str, *, exclude: int | None = None) -> None:
    taken = PipelineStage.objects.filter(pipeline=pipeline, name=name).exclude(pk=exclude)
    if taken.exists():
        raise Conflict(f"This pipeline already has a stage named {name!r}.", field="name")


def _lock(pipeline: Pipeline) -> list[PipelineStage]:
    """Lock the pipeline row and return its stages in order."""
    Pipeline.objects.select_for_update().filter(pk=pipeline.pk).first()
    return list(PipelineStage.objects.filter(pipeline=pipeline).order_by("position"))


def _renumber(pipeline: Pipeline, ordered: list[PipelineStage]) -> None:
    """Give `ordered` the positions 0..n-1. Positions are unique per pipeline and checked row by row, so every
    stage first moves past the largest position in use, then into its place: no step ever collides."""
    offset = max([s.position for s in ordered] + [len(ordered)]) + 1
    PipelineStage.objects.filter(pipeline=pipeline).update(position=F("position") + offset)
    for i, stage in enumerate(ordered):
        stage.position = i
    PipelineStage.objects.bulk_update(ordered, ["position"])
    Pipeline.objects.filter(pk=pipeline.pk).update(updated_at=timezone.now())


def _default_position(stages: list[PipelineStage], kind: str) -> int:
    """An open stage goes after the last open stage (before the closing ones); won and lost go at the end."""
    if kind != PipelineStage.Kind.OPEN:
        return len(stages)
    opens = [i for i, s in enumerate(stages) if s.kind == PipelineStage.Kind.OPEN]
    return opens[-1] + 1 if opens else 0


@transaction.atomic
def do_add_stage(
    *, by: Any = None, pipeline: Pipeline, name: str, probability: int = 0,
    kind: str = PipelineStage.Kind.OPEN, position: int | None = None,
) -> PipelineStage:
    """Add a stage at `position` (0 is first; the number of stages or more appends), by default as described above."""
    check(by, "change", "pipeline", pipeline)
    errors = []
    try:
        name = _clean_name(name)
    except DomainError as exc:
        errors.append(exc)
    try:
        _clean_probability(probability)
    except DomainError as exc:
        errors.append(exc)
    if kind not in PipelineStage.Kind.values:
        errors.append(DomainError("Kind must be open, won or lost.", field="kind"))
    if errors:
        raise ValidationFailed(errors)
    stages = _lock(pipeline)
    if position is None:
        position = _default_position(stages, kind)
    elif isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise DomainError(f"Position must be from 0 to {len(stages)}.", field="position")
    else:
        position = min(position, len(stages))  # past the last stage appends, as a list insert does
    _check_unique(pipeline, name)
    stage = PipelineStage.objects.create(
        pipeline=pipeline, name=name, probability=probability, kind=kind,
        position=max([s.position for s in stages], default=-1) + 1,
    )
    _renumber(pipeline, [*stages[:position], stage, *stages[position:]])
    return stage


@transaction.atomic
def do_update_stage(
    *, by: Any = None, stage: PipelineStage, name: str | None = None, probability: int | None = None
) -> PipelineStage:
    """Rename a stage and/or change its win probability; deals in it stay where they are."""
    check(by, "change", "pipeline", stage.pipeline)
    _lock(stage.pipeline)
    changed = []
    if name is not None:
        name = _clean_name(name)
        _check_unique(stage.pipeline, name, exclude=stage.pk)
        stage.name = name
        changed.append("name")
    if probability is not None:
        stage.probability = _clean_probability(probability)
        changed.append("probability")
    if changed:
        stage.save(update_fields=changed)
        Pipeline.objects.filter(pk=stage.pipeline_id).update(updated_at=timezone.now())
    return stage


@transaction.atomic
def do_reorder_stages(*, by: Any = None, pipeline: Pipeline, stage_ids: list[int]) -> list[PipelineStage]:
    """Put the pipeline's stages in the order of `stage_ids`, which names every stage exactly once."""
    check(by, "change", "pipeline", pipeline)
    stages = _lock(pipeline)
    by_id = {s.pk: s for s in stages}
    missing = [pk for pk in by_id if pk not in stage_ids]
    unknown = [pk for pk in stage_ids if pk not in by_id]
    repeated = sorted({pk for pk in stage_ids if stage_ids.count(pk) > 1})
    if missing or unknown or repeated:
        problems = [f"{what} {', '.join(map(str, ids))}" for what, ids in
                    (("missing", missing), ("not in this pipeline", unknown), ("repeated", repeated)) if ids]
        raise DomainError(f"List every stage of the pipeline exactly once ({'; '.join(problems)}).",
                          field="stage_ids")
    ordered = [by_id[pk] for pk in stage_ids]
    _renumber(pipeline, ordered)
    return ordered


@transaction.atomic
def do_remove_stage(*, by: Any = None, stage: PipelineStage) -> None:
    """Remove a stage no deal is in or has been in (see the module docstring); the others close the gap."""
    pipeline = stage.pipeline
    check(by, "change", "pipeline", pipeline)
    stages = _lock(pipeline)
    if len(stages) == 1:
        raise Conflict("A pipeline needs at least one stage; add another before removing this one.", field="stage")
    in_it = stage.deals.count()
    if in_it:
        raise Conflict(
            f"{in_it} deal{' is' if in_it == 1 else 's are'} in {stage.name}: move "
            f"{'it' if in_it == 1 else 'them'} to another stage first.", field="stage",
        )
    if DealTransition.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists():
        raise Conflict(
            f"Deals have passed through {stage.name} and their stage history names it, so it stays; "
            "rename it instead.", field="stage",
        )
    removed = stage.pk
    stage.delete()
    _renumber(pipeline, [s for s in stages if s.pk != removed])
