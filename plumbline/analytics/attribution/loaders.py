"""Read path files and journey tables into `Paths`.

Path files follow ChannelAttribution: columns `path`, `total_conversions`, optional
`total_conversion_value` and `total_null`; steps split on a separator (default ">") and trimmed of whitespace; empty
steps are skipped and rows left without any step are dropped; the file is comma or semicolon delimited
(detected from the header line).

Journey tables have one row per touch: `journey_id`, `timestamp`, `channel`, `conversion` (flag) and
optional `value` and `milestone` ("lead" or "opportunity", marking the touch that created the lead or
the opportunity, for the W-shaped model). A journey converts at its first flagged row; rows after that
instant are ignored, rows without a channel count only for the outcome. Value is the sum of the flagged
rows' values. Each journey becomes one row of `Paths`, with the age of every touch in days before the
conversion (or before the journey's last touch when it did not convert).

Journey tables are sessionised by one Ibis query (see `plumbline.analytics.engines`) that runs on DuckDB
or Spark; values are summed as exact decimals and rows come back ordered, so both engines return
identical numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from plumbline.analytics.attribution.paths import Paths, paths_from_arrow, paths_from_steps
from plumbline.analytics.attribution.steps import split_steps

if TYPE_CHECKING:
    import ibis

# Ibis and the engines are imported where journey tables are read: path files need neither, and
# importing Ibis costs about a quarter of a second, a good part of the time to attribute a million paths.

PATH_COLUMNS = {
    "path": "path",
    "total_conversions": "conversions",
    "total_conversion_value": "value",
    "total_null": "nulls",
}
JOURNEY_COLUMNS = ("journey_id", "timestamp", "channel", "conversion")
EXACT = "decimal(38, 9)"
SECONDS_PER_DAY = 86400


class InputError(ValueError):
    """The input file or table cannot be read as attribution input; the message says why."""


def load(source: str | Path, *, sep: str = ">", engine: str = "duckdb") -> Paths:
    """Load a path file or a journey table, whichever `source` holds (decided by its columns)."""
    columns = _columns(Path(source))
    if "path" in columns:
        return read_path_file(source, sep=sep)
    if "journey_id" in columns:
        return read_journeys(source, engine=engine)
    raise InputError(
        f"{source}: expected a path file (columns path, total_conversions, ...) or a journey table "
        f"(columns {', '.join(JOURNEY_COLUMNS)}); found {', '.join(columns)}"
    )


def read_path_file(source: str | Path | pd.DataFrame, *, sep: str = ">") -> Paths:
    """Load a ChannelAttribution-style path file (CSV or Parquet) or DataFrame with the same columns.

    A path file is already aggregated (one row per path), so it is parsed locally with Arrow's
    vectorised string kernels, whatever the engine: there is nothing left for an engine to aggregate.
    """
    if not sep:
        raise InputError("the path separator must not be empty")
    table = _path_table(source)
    counts, codes, channels = split_steps(table["path"], sep)
    return paths_from_steps(
        counts,
        codes,
        channels,
        {
            name: np.asarray(pc.fill_null(table[name], 0.0))
            for name in ("conversions", "value", "nulls")
            if name in table.column_names
        },
        has_value="value" in table.column_names,
    )


def read_journeys(source: str | Path | pd.DataFrame, *, engine: str = "duckdb") -> Paths:
    """Load a journey table (CSV, Parquet or DataFrame) with one row per touch."""
    from plumbline.analytics import engines

    table = _journey_table(source)
    has_value = "value" in table.column_names
    result = engines.run(journey_rows, table, engine=engine)
    return paths_from_arrow(result, has_value=has_value)


def journey_rows(t: ibis.Table) -> ibis.Table:
    """Ibis: one row per journey with its ordered channels, their ages in days, outcome and milestones."""
    import ibis

    if "milestone" not in t.columns:
        t = t.mutate(milestone=ibis.null("string"))
    t = _touches_until_conversion(t)
    touches = t.filter(t.channel.notnull() & (t.channel.strip() != ""))
    touches = touches.mutate(
        pos=ibis.row_number().over(group_by=touches.journey_id, order_by=[touches.timestamp, touches.channel])
    )
    step = ibis.struct({"pos": touches.pos, "channel": touches.channel.strip(), "age": touches.age})
    steps = touches.group_by("journey_id").aggregate(
        s=step.collect(),
        lead_step=_milestone_step(touches, "lead"),
        opportunity_step=_milestone_step(touches, "opportunity"),
    )
    outcome = t.group_by("journey_id").aggregate(
        converted=t.flag.max(),
        value=_value_of_conversions(t),
    )
    joined = steps.join(outcome, "journey_id")
    ordered = joined.s.sort()
    return joined.select(
        "journey_id",
        steps=ordered.map(lambda e: e.channel),
        ages=ordered.map(lambda e: e.age),
        conversions=joined.converted.cast("float64"),
        value=joined.value.cast("float64"),
        nulls=(1 - joined.converted).cast("float64"),
        lead_step=joined.lead_step,
        opportunity_step=joined.opportunity_step,
    ).order_by("journey_id")


def _touches_until_conversion(t: ibis.Table) -> ibis.Table:
    import ibis

    flag = t.conversion.cast("int64").fill_null(0) > 0
    t = t.mutate(flag=flag.cast("int64"), seconds=t.timestamp.epoch_seconds().floor().cast("int64"))
    window = ibis.window(group_by=t.journey_id)
    t = t.mutate(
        converted_at=t.seconds.min(where=t.flag == 1).over(window),
        last_at=t.seconds.max().over(window),
    )
    t = t.filter(t.converted_at.isnull() | (t.seconds <= t.converted_at))
    reference = t.converted_at.coalesce(t.last_at)
    return t.mutate(age=(reference - t.seconds).cast("float64") / SECONDS_PER_DAY)


def _milestone_step(t: ibis.Table, name: str) -> ibis.Value:
    return (t.pos.min(where=t.milestone.lower().strip() == name)).cast("int64")


def _value_of_conversions(t: ibis.Table) -> ibis.Value:
    import ibis

    if "value" not in t.columns:
        return ibis.literal(0).cast(EXACT)
    return t.value.cast(EXACT).sum(where=t.flag == 1).coalesce(ibis.literal(0).cast(EXACT))


def _path_table(source: str | Path | pd.DataFrame) -> pa.Table:
    table = source if isinstance(source, pd.DataFrame) else _read_table(Path(source))
    table = pa.Table.from_pandas(table, preserve_index=False) if isinstance(table, pd.DataFrame) else table
    names = [str(name).strip() for name in table.column_names]
    table = table.rename_columns(names)
    missing = [name for name in ("path", "total_conversions") if name not in names]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(names)}")
    kept = [name for name in PATH_COLUMNS if name in names]
    table = table.select(kept).rename_columns([PATH_COLUMNS[name] for name in kept])
    return _cast(
        table,
        {"path": pa.string(), "conversions": pa.float64(), "value": pa.float64(), "nulls": pa.float64()},
    )


def _journey_table(source: str | Path | pd.DataFrame) -> pa.Table:
    table = source if isinstance(source, pd.DataFrame) else _read_table(Path(source))
    table = pa.Table.from_pandas(table, preserve_index=False) if isinstance(table, pd.DataFrame) else table
    names = [str(name).strip() for name in table.column_names]
    table = table.rename_columns(names)
    missing = [name for name in JOURNEY_COLUMNS if name not in names]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(names)}")
    kept = [name for name in (*JOURNEY_COLUMNS, "value", "milestone") if name in names]
    table = _cast(
        table.select(kept), {"channel": pa.string(), "value": pa.float64(), "milestone": pa.string()}
    )
    if not pa.types.is_timestamp(table.schema.field("timestamp").type):
        table = _cast(table, {"timestamp": pa.timestamp("us")})
    return _cast(table, {"conversion": pa.int64()})


def _cast(table: pa.Table, types: dict[str, pa.DataType]) -> pa.Table:
    for name, dtype in types.items():
        if name not in table.column_names:
            continue
        index = table.column_names.index(name)
        try:
            column = table[name].cast(dtype)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InputError(f"column {name} cannot be read as {dtype}: {exc}") from None
        table = table.set_column(index, name, column)
    return table


def _read_table(path: Path) -> pa.Table:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return pq.read_table(path)
    delimiter = detect_delimiter(path)
    try:
        return pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(column_types={"path": pa.string(), "channel": pa.string()}),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(f"{path}: cannot parse as CSV: {exc}") from None


def detect_delimiter(path: Path) -> str:
    """`;` or `,`, whichever occurs more often in the header line (ChannelAttribution's files use `;`)."""
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    if not header.strip():
        raise InputError(f"{path}: the file is empty")
    return ";" if header.count(";") > header.count(",") else ","


def _columns(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return [name.strip() for name in pq.read_schema(path).names]
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    return [name.strip().strip('"') for name in header.strip().split(detect_delimiter(path))]
