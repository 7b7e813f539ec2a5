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
