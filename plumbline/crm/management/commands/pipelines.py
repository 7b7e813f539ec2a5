"""`plumbline pipelines list | create NAME | rename PIPELINE NEW | default PIPELINE | delete PIPELINE`, and
`pipelines stage add|update|move|remove PIPELINE ...`: the pipelines page and /api/v1/pipelines from a shell.

Pipelines and stages are named by id or name. A new pipeline gets the stages given with --stage
("Name:probability[:won|lost]"), or the standard ones.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.crm.actions import (
    do_add_stage,
    do_create_pipeline,
    do_delete_pipeline,
    do_remove_stage,
    do_reorder_stages,
    do_update_pipeline,
    do_update_stage,
)
from plumbline.crm.forms import STANDARD_STAGES
from plumbline.crm.models import Pipeline, PipelineStage


def _pipeline(ref: str) -> Pipeline:
    found = Pipeline.objects.filter(pk=int(ref)).first() if ref.isdigit() else Pipeline.objects.filter(
        name=ref).first()
    if found is None:
        raise CommandError(f"No pipeline {ref!r} (give an id or a name).")
    return found


def _stage(pipeline: Pipeline, ref: str) -> PipelineStage:
    stages = pipeline.stages.all()
    found = stages.filter(pk=int(ref)).first() if ref.isdigit() else stages.filter(name=ref).first()
    if found is None:
        raise CommandError(f"No stage {ref!r} in {pipeline.name} (give an id or a name).")
    return found


def _spec(text: str) -> dict[str, Any]:
    name, _, rest = text.partition(":")
    probability, _, kind = rest.partition(":")
    try:
        spec: dict[str, Any] = {"name": name, "probability": int(probability or 0)}
    except ValueError:
        raise CommandError(f"--stage {text!r}: write Name:probability[:won|lost].") from None
    if kind:
        spec["kind"] = kind
    return spec


class Command(BaseCommand):
    help = "Pipelines and their stages."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("list", help="Every pipeline with its stages and deal counts.")
        create = sub.add_parser("create", help="A new pipeline.")
        create.add_argument("name")
        create.add_argument("--stage", dest="stages", action="append", default=[], metavar="NAME:PROB[:KIND]")
        create.add_argument("--default", action="store_true", help="New deals go to it by default.")
        rename = sub.add_parser("rename", help="Rename a pipeline.")
        rename.add_argument("pipeline")
        rename.add_argument("name")
        default = sub.add_parser("default", help="Make a pipeline the default for new deals.")
        default.add_argument("pipeline")
        delete = sub.add_parser("delete", help="Delete a pipeline without deals.")
        delete.add_argument("pipeline")
        stage = sub.add_parser("stage", help="Add, change, move or remove a stage.")
        verbs = stage.add_subparsers(dest="stage_verb", required=True)
        add = verbs.add_parser("add")
        add.add_argument("pipeline")
        add.add_argument("name")
        add.add_argument("--probability", type=int, default=0)
        add.add_argument("--kind", default="open", choices=PipelineStage.Kind.values)
        update = verbs.add_parser("update")
        update.add_argument("pipeline")
        update.add_argument("stage")
        update.add_argument("--name")
        update.add_argument("--probability", type=int)
        move = verbs.add_parser("move")
        move.add_argument("pipeline")
        move.add_argument("stage")
        move.add_argument("--to", type=int, required=True, help="Its new position, 1 for first.")
        remove = verbs.add_parser("remove")
        remove.add_argument("pipeline")
        remove.add_argument("stage")

    def handle(self, *args: Any, **o: Any) -> None:
        verb = o["verb"] if o["verb"] != "stage" else f"stage_{o['stage_verb']}"
        try:
            getattr(self, "_" + verb)(o)
        except ValidationFailed as exc:
            raise CommandError("; ".join(f"{e.field}: {e.message}" for e in exc.errors)) from None
        except DomainError as exc:
            raise CommandError(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from None

    def _list(self, o: dict[str, Any]) -> None:
        for pipeline in Pipeline.objects.order_by("-is_default", "name"):
            self.stdout.write(f"{pipeline.pk}\t{pipeline.name}{' (default)' if pipeline.is_default else ''}")
            for s in pipeline.stages.annotate(n=Count("deals")).order_by("position"):
                self.stdout.write(f"  {s.position + 1}. {s.name} ({s.probability}%, {s.kind}) id {s.pk}: {s.n} deals")

    def _create(self, o: dict[str, Any]) -> None:
        stages = [_spec(text) for text in o["stages"]] or [dict(s) for s in STANDARD_STAGES]
        made = do_create_pipeline(name=o["name"], stages=stages, is_default=o["default"])
        self.stdout.write(f"Created pipeline {made.name} (id {made.pk}) with {len(stages)} stages.")

    def _rename(self, o: dict[str, Any]) -> None:
        saved = do_update_pipeline(pipeline=_pipeline(o["pipeline"]), name=o["name"])
        self.stdout.write(f"Pipeline {saved.pk} is now {saved.name}.")

    def _default(self, o: dict[str, Any]) -> None:
        saved = do_update_pipeline(pipeline=_pipeline(o["pipeline"]), is_default=True)
        self.stdout.write(f"{saved.name} is the default pipeline.")

    def _delete(self, o: dict[str, Any]) -> None:
        pipeline = _pipeline(o["pipeline"])
        do_delete_pipeline(pipeline=pipeline)
        self.stdout.write(f"Deleted pipeline {o['pipeline']}.")

    def _stage_add(self, o: dict[str, Any]) -> None:
        made = do_add_stage(pipeline=_pipeline(o["pipeline"]), name=o["name"], probability=o["probability"],
                            kind=o["kind"])
        self.stdout.write(f"Added {made.name} at position {made.position + 1} (id {made.pk}).")

    def _stage_update(self, o: dict[str, Any]) -> None:
        pipeline = _pipeline(o["pipeline"])
        saved = do_update_stage(stage=_stage(pipeline, o["stage"]), name=o["name"], probability=o["probability"])
        self.stdout.write(f"Stage {saved.pk}: {saved.name} ({saved.probability}%).")

    def _stage_move(self, o: dict[str, Any]) -> None:
        pipeline = _pipeline(o["pipeline"])
        stage = _stage(pipeline, o["stage"])
        ids = [pk for pk in pipeline.stages.order_by("position").values_list("pk", flat=True) if pk != stage.pk]
        if not 1 <= o["to"] <= len(ids) + 1:
            raise CommandError(f"--to is a position from 1 to {len(ids) + 1}.")
        ids.insert(o["to"] - 1, stage.pk)
        do_reorder_stages(pipeline=pipeline, stage_ids=ids)
        self.stdout.write(f"{stage.name} is now stage {o['to']} of {pipeline.name}.")

    def _stage_remove(self, o: dict[str, Any]) -> None:
        pipeline = _pipeline(o["pipeline"])
        stage = _stage(pipeline, o["stage"])
        do_remove_stage(stage=stage)
        self.stdout.write(f"Removed {stage.name} from {pipeline.name}.")
