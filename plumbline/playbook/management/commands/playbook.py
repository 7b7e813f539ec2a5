"""`plumbline playbook frameworks [--pipeline NAME --use KEY]`: copy the shipped qualification frameworks.

Each template not yet copied becomes an editable framework (running it twice changes nothing); `--use`
also makes one of them the framework of a pipeline.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.crm.models import Pipeline
from plumbline.playbook.actions import do_create_framework, do_set_pipeline_framework
from plumbline.playbook.models import Framework
from plumbline.playbook.templates import TEMPLATES


class Command(BaseCommand):
    help = "Qualification frameworks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        frameworks = sub.add_parser("frameworks", help="Copy the shipped templates that are not copied yet.")
        frameworks.add_argument("--pipeline", help="Pipeline name to choose a framework for.")
        frameworks.add_argument("--use", choices=list(TEMPLATES), help="Template whose copy the pipeline uses.")

    def handle(self, *args: Any, **o: Any) -> None:
        if bool(o.get("pipeline")) != bool(o.get("use")):
            raise CommandError("--pipeline and --use go together.")
        pipeline = None
        if o.get("pipeline"):
            pipeline = Pipeline.objects.filter(name=o["pipeline"]).first()
            if pipeline is None:
                raise CommandError(f"No pipeline named {o['pipeline']!r}.")
        copies = {}
        for key in TEMPLATES:
            framework = Framework.objects.filter(template=key).order_by("id").first()
            if framework is None:
                framework = do_create_framework(template=key)
                self.stdout.write(f"Created {framework.name} ({len(framework.criteria)} criteria).")
            copies[key] = framework
        if pipeline is not None:
            do_set_pipeline_framework(pipeline=pipeline, framework=copies[o["use"]])
            self.stdout.write(f"{pipeline.name} now qualifies deals with {copies[o['use']].name}.")
