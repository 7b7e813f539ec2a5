"""The same Ibis queries on DuckDB and on Spark (local mode) give identical results."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from plumbline.analytics import engines
from plumbline.analytics.attribution import attribute, read_journeys
from plumbline.analytics.attribution.loaders import journey_rows


def _journeys(n: int = 400, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = rng.integers(1, 7, size=n)
    journey = np.repeat(np.arange(n), rows)
    touches = len(journey)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, size=n), unit="D")
    timestamp = np.repeat(start, rows) + pd.to_timedelta(rng.integers(0, 30 * 86400, size=touches), unit="s")
    conversion = rng.random(touches) < 0.12
    return pd.DataFrame(
        {
            "journey_id": journey,
            "timestamp": timestamp,
            "channel": rng.choice(["seo", "ads", "email", "direct", "social", " webinar "], size=touches),
            "conversion": conversion.astype(int),
            "value": np.where(conversion, np.round(rng.uniform(10, 900, size=touches), 2), 0.0),
            "milestone": rng.choice([None, None, None, "lead", "opportunity"], size=touches),
        }
    )


def test_run_groups_a_dataframe_on_duckdb():
    frame = pd.DataFrame({"channel": ["b", "a", "b"], "value": [1.0, 2.0, 3.0]})
    result = engines.run(
        lambda t: t.group_by("channel").aggregate(total=t.value.sum()).order_by("channel"), frame
    )
    assert result.to_pylist() == [{"channel": "a", "total": 2.0}, {"channel": "b", "total": 4.0}]


def test_unknown_engine_and_non_parquet_paths_are_rejected(tmp_path):
    with pytest.raises(engines.EngineError, match="unknown engine"):
        engines.backend("oracle")
    with pytest.raises(engines.EngineError, match="Parquet"):
        engines.table(tmp_path / "x.csv")


@pytest.mark.spark
def test_journey_sessionisation_is_identical_on_duckdb_and_spark(spark, tmp_path):
    frame = _journeys()
    frame.to_parquet(tmp_path / "journeys.parquet")
    duck = engines.run(journey_rows, tmp_path / "journeys.parquet", engine="duckdb")
    spark_result = engines.run(journey_rows, tmp_path / "journeys.parquet", engine="spark")
    columns = [
        "journey_id",
        "steps",
        "ages",
        "conversions",
        "value",
        "nulls",
        "lead_step",
        "opportunity_step",
    ]
    assert duck.select(columns).to_pylist() == spark_result.select(columns).to_pylist()


@pytest.mark.spark
def test_every_model_is_identical_on_duckdb_and_spark(spark):
    frame = _journeys(seed=9)
    on_duckdb = read_journeys(frame, engine="duckdb")
    on_spark = read_journeys(frame, engine="spark")
    for model in ("first", "last-non-direct", "linear", "time-decay", "w-shaped", "markov", "shapley"):
        pd.testing.assert_frame_equal(
            attribute(on_duckdb, model), attribute(on_spark, model), check_exact=True
        )


@pytest.mark.spark
def test_spark_runs_an_arrow_table(spark):
    table = pa.table({"k": ["x", "y", "x"], "v": [1, 2, 3]})
    result = engines.run(
        lambda t: t.group_by("k").aggregate(v=t.v.sum()).order_by("k"), table, engine="spark"
    )
    assert result.to_pylist() == [{"k": "x", "v": 4}, {"k": "y", "v": 2}]
