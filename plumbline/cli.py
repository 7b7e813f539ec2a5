"""The `plumbline` command: Django's management commands with Plumbline's settings and a few aliases."""

from __future__ import annotations

import os
import sys

ALIASES: dict[str, str] = {}  # `plumbline worker` is our own command (plumbline.worker), no longer db_worker


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["plumbline", *args])


if __name__ == "__main__":
    main()
