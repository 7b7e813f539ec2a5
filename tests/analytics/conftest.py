"""Fixtures for the analytics tests: ChannelAttribution's example data and one Spark session."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plumbline.analytics.attribution import Paths, read_path_file


def channelattribution_data() -> Path:
    """Data.csv as shipped inside the channelattribution package (its `cypack/data` folder)."""
    spec = importlib.util.find_spec("cypack")
    if spec is None or spec.origin is None:
        pytest.skip("channelattribution is not installed")
    return Path(spec.origin).parent / "data" / "Data.csv"


@pytest.fixture(scope="session")
def data_csv() -> Path:
    return channelattribution_data()


@pytest.fixture(scope="session")
def data_paths(data_csv: Path) -> Paths:
    return read_path_file(data_csv)


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark")
    from plumbline.analytics.engines import spark_session

    session = spark_session()
    yield session
    session.stop()


def random_path_frame(n: int, channels: int, seed: int, max_length: int = 6) -> pd.DataFrame:
    """Paths with repeated touches, conversions, values and nulls, for property tests."""
    rng = np.random.default_rng(seed)
    names = [f"ch{i:02d}" for i in range(channels)]
    lengths = rng.integers(1, max_length + 1, size=n)
    paths = [" > ".join(rng.choice(names, size=k)) for k in lengths]
    conversions = rng.integers(0, 4, size=n)
    return pd.DataFrame(
        {
            "path": paths,
            "total_conversions": conversions,
            "total_conversion_value": np.round(conversions * rng.uniform(1, 100, size=n), 2),
            "total_null": rng.integers(0, 5, size=n),
        }
    )


from tests.api.conftest import api  # noqa: E402, F401  (the API client, for the duplicates endpoints)
from tests.ui.conftest import client_for, fast_password_hashing  # noqa: E402, F401  (signed-in page clients)
