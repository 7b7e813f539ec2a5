"""One aggregation, two engines: Ibis expressions run on DuckDB (embedded, default) or on Spark.

Analytics code writes each computation once as a function from an Ibis table to an Ibis table and runs it
with `run`; the engine is a string, so callers (the CLI, reports, tests) switch with one argument:

    from plumbline.analytics import engines

    def channel_totals(t):
        return t.group_by("channel").aggregate(n=t.count()).order_by("channel")

    engines.run(channel_totals, "touches.parquet")                 # DuckDB in this process
    engines.run(channel_totals, dataframe, engine="spark")         # Spark (local[*] unless configured)

Sources are pandas DataFrames, Arrow tables or paths to Parquet files (CSV is read by the caller, who knows
its dialect, and passed as Arrow). Results come back as Arrow tables. Queries must end with `order_by`
when row order matters: neither engine promises an order otherwise.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import ibis
    import pandas as pd
    import pyarrow as pa

# Ibis, pandas and pyarrow are imported by the functions that use them: importing this module (for ENGINES
# or EngineError, as the path-file command and the parameter parsers do) must not cost their ~0.5 s.
ENGINES = ("duckdb", "spark")
Source: TypeAlias = "pd.DataFrame | pa.Table | str | os.PathLike[str]"
Query: TypeAlias = Callable[["ibis.Table"], "ibis.Table"]


class EngineError(ValueError):
    """The engine is unknown or cannot start (for example pyspark is not installed)."""


def run(query: Query, source: Source, *, engine: str = "duckdb") -> pa.Table:
    """Read `source`, apply `query` and execute it on `engine`; return the result as Arrow."""
    return to_arrow(query(table(source, engine=engine)), engine=engine)


def table(source: Source, *, engine: str = "duckdb") -> ibis.Table:
    """An Ibis table for a DataFrame, an Arrow table or a Parquet file, bound to nothing or to `engine`."""
    import ibis
    import pandas as pd
    import pyarrow as pa

    if isinstance(source, pd.DataFrame | pa.Table):
        return ibis.memtable(source)
    path = Path(source)
    if path.suffix.lower() not in (".parquet", ".pq"):
        raise EngineError(f"{path}: engines read Parquet files; read other formats to Arrow first")
    if not path.exists():
        raise EngineError(f"{path}: no such file")
    return backend(engine).read_parquet(str(path))


def to_arrow(expr: ibis.Table, *, engine: str = "duckdb") -> pa.Table:
    """Execute `expr` on `engine` and return an Arrow table."""
    return backend(engine).to_pyarrow(expr)


def backend(engine: str = "duckdb") -> Any:
    """The Ibis backend for `engine`: DuckDB's is one per thread, Spark's one per process (its session is shared)."""
    if engine == "duckdb":
        return _duckdb()
    if engine == "spark":
        return _spark()
    raise EngineError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


_local = threading.local()


def _duckdb() -> Any:
    # A DuckDB connection serves one call at a time and refuses a second ("connection is busy"), so each
    # thread (a request in a threaded server, a pool worker) gets its own, kept for the thread's life.
    backend = getattr(_local, "duckdb", None)
    if backend is None:
        import ibis

        backend = ibis.duckdb.connect()
        backend.raw_sql("SET enable_progress_bar = false")
        _local.duckdb = backend
    return backend


@functools.cache
def _spark() -> Any:
    import ibis

    return ibis.pyspark.connect(spark_session())


def spark_session() -> Any:
    """The active SparkSession, or a new local one tuned for small interactive jobs.

    A session created earlier (by a cluster launcher, spark-submit or a test fixture) is reused as is.
    Timestamps are interpreted in UTC so that both engines see the same instants.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError("engine 'spark' needs pyspark: pip install 'plumbline[spark]'") from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    session = (
        SparkSession.builder.appName("plumbline")
        .master(os.environ.get("PLUMBLINE_SPARK_MASTER", "local[*]"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("PLUMBLINE_SPARK_PARTITIONS", "8"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
