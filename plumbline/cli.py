"""The `plumbline` command: Django's management commands with Plumbline's settings and a few aliases."""

from __future__ import annotations

import importlib
import os
import sys

ALIASES: dict[str, str] = {}  # `plumbline worker` is our own command (plumbline.worker), no longer db_worker
# Commands that use neither the database nor any model run without django.setup(): the attribution of a
# path file reads a file and prints a table, and loading every app first would be a third of its run.
STANDALONE = {"attribution": "plumbline.analytics.management.commands.attribution"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    if args and args[0] in STANDALONE:
        importlib.import_module(STANDALONE[args[0]]).Command().run_from_argv(["plumbline", *args])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["plumbline", *args])


if __name__ == "__main__":
    main()
