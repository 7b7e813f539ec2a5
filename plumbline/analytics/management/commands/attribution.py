"""`plumbline attribution FILE --model ...`: attribute a path file or journey table; no database needed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError

from plumbline.analytics import attribution
from plumbline.analytics.engines import ENGINES, EngineError

if TYPE_CHECKING:
    import pandas as pd

MODEL_CHOICES = [*attribution.MODEL_NAMES, "all"]


class Command(BaseCommand):
    help = (
        "Credit conversions and value to channels from a ChannelAttribution-style path file "
        "(path;total_conversions[;total_conversion_value][;total_null]) or a journey table "
        "(journey_id, timestamp, channel, conversion[, value][, milestone]), CSV or Parquet."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="path file or journey table (.csv or .parquet)")
        parser.add_argument("--model", choices=MODEL_CHOICES, default="all")
        parser.add_argument("--order", type=int, default=1, help=f"Markov order, 1 to {attribution.MAX_ORDER}")
        parser.add_argument("--sep", default=">", help="separator between path steps (default '>')")
        parser.add_argument(
            "--engine", choices=ENGINES, default="duckdb", help="engine that sessionises journey tables"
        )
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table", dest="output")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["order"] <= attribution.MAX_ORDER:
            raise CommandError(f"--order must be from 1 to {attribution.MAX_ORDER}, not {options['order']}")
        _prefer_jemalloc()
        _reuse_freed_memory()
        try:
            paths = attribution.load(options["file"], sep=options["sep"], engine=options["engine"])
            result = _run(paths, options["model"], options["order"])
        except (attribution.InputError, EngineError, ValueError, ArithmeticError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(render(result, options["output"]))


def _prefer_jemalloc() -> None:
    """Arrow's jemalloc pool where the build has it: with the default (mimalloc) a 1M-path file cost about twice
    the CPU time in the kernel, returning and faulting in pages (docs/benchmarks.md, issue 10 item 20)."""
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:
        pass


# glibc's mallopt parameters and Linux's prctl option (sys/prctl.h, malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
PR_SET_THP_DISABLE = 41
KEEP_FREED = 1 << 30  # bytes


def _reuse_freed_memory() -> None:
    """Keep freed memory in the process and off transparent huge pages, where the C library allows it.

    numpy's temporaries over a million paths are tens of MB each; glibc maps each one afresh and unmaps it
    when freed, so the kernel zeroes new pages for every temporary, and numpy asks for huge pages for them.
    On a shared 2-core virtual machine that zeroing took 0.2-7 s of system time from run to run (huge pages
    the host first had to find) against 1-2 s of user time. Served from the heap and never trimmed, the
    temporaries reuse pages already faulted in; with 4 KiB pages the remaining faults cost the same every
    run (docs/benchmarks.md, issue 10 item 20). The command is a short process, so keeping up to 1 GiB of
    freed memory until it exits costs nothing; outside Linux/glibc this does nothing."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt, prctl = libc.mallopt, libc.prctl
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, KEEP_FREED)
    mallopt(M_TRIM_THRESHOLD, KEEP_FREED)
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)


def _run(paths: attribution.Paths, model: str, order: int) -> pd.DataFrame:
    if model == "all":
        return attribution.compare(paths, order=order)
    return attribution.attribute(paths, model, **({"order": order} if model == "markov" else {}))


def render(frame: pd.DataFrame, output: str) -> str:
    """The result as an aligned text table, CSV or a JSON list of rows."""
    if output == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if output == "json":
        return json.dumps(frame.to_dict(orient="records"), indent=2)
    return frame.to_string(index=False, float_format=lambda x: f"{x:,.3f}")
