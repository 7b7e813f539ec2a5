"""`plumbline definitions show|versions|diff A B|export [-o F]|import F --note WHY --by USER`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from plumbline.accounts.models import User
from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, diff


class Command(BaseCommand):
    help = "Read, export, import and compare versions of the shared definitions (the plumb line)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("show", help="Print the current version as YAML.")
        sub.add_parser("versions", help="List every version.")
        d = sub.add_parser("diff", help="What changed between two versions.")
        d.add_argument("old", type=int)
        d.add_argument("new", type=int)
        e = sub.add_parser("export", help="Write the current version (or --version N) as YAML.")
        e.add_argument("-o", "--output")
        e.add_argument("--version", type=int)
        i = sub.add_parser("import", help="Publish a YAML file as a new version.")
        i.add_argument("file")
        i.add_argument("--note", required=True, help="Why the definitions change.")
        i.add_argument("--by", required=True, help="Username of the admin making the change.")

    def handle(self, *args: Any, **o: Any) -> None:
        getattr(self, "_" + o["verb"])(o)

    def _version(self, number: int | None) -> DefinitionVersion:
        if number is None:
            return current_version()
        version = DefinitionVersion.objects.filter(number=number).first()
        if version is None:
            raise CommandError(f"No definitions version {number}.")
        return version

    def _show(self, o: dict) -> None:
        v = current_version()
        self.stdout.write(f"# Plumbline definitions v{v.number}: {v.note}\n" + yaml.safe_dump(v.body, sort_keys=False))

    def _versions(self, o: dict) -> None:
        current_version()
        for v in DefinitionVersion.objects.select_related("created_by").order_by("number"):
            who = v.created_by.username if v.created_by_id else "system"
            self.stdout.write(f"v{v.number}\t{v.created_at:%Y-%m-%d %H:%M}\t{who}\t{v.note}")

    def _diff(self, o: dict) -> None:
        rows = diff(self._version(o["old"]).body, self._version(o["new"]).body)
        for row in rows:
            self.stdout.write(f"{row['change']:8} {row['path']}: {json.dumps(row['old'])} -> {json.dumps(row['new'])}")
        if not rows:
            self.stdout.write("No differences.")

    def _export(self, o: dict) -> None:
        v = self._version(o["version"])
        text = f"# Plumbline definitions v{v.number}: {v.note}\n" + yaml.safe_dump(v.body, sort_keys=False)
        if o["output"]:
            Path(o["output"]).write_text(text)
            self.stderr.write(f"Wrote v{v.number} to {o['output']}")
        else:
            self.stdout.write(text)

    def _import(self, o: dict) -> None:
        user = User.objects.filter(username=o["by"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {o['by']!r}.")
        try:
            body = yaml.safe_load(Path(o["file"]).read_text())
        except FileNotFoundError:
            raise CommandError(f"No such file: {o['file']}") from None
        except yaml.YAMLError as exc:
            raise CommandError(f"{o['file']} is not valid YAML: {exc}") from None
        try:
            v = do_publish_definitions(by=user, body=body, note=o["note"])
        except ValidationFailed as exc:
            raise CommandError("\n".join(f"{e.field or '(document)'}: {e.message}" for e in exc.errors)) from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Published definitions v{v.number}.")
