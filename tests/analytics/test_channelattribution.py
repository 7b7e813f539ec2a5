"""Agreement with ChannelAttribution on its own example data (Data.csv shipped in its package)."""

import numpy as np
import pandas as pd
import pytest

from plumbline.analytics.attribution import attribute

ChannelAttribution = pytest.importorskip("ChannelAttribution")


@pytest.fixture(scope="module")
def raw(data_csv):
    return pd.read_csv(data_csv, sep=";")


@pytest.fixture(scope="module")
def heuristics(raw):
    result = ChannelAttribution.heuristic_models(
        raw, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
    )
    return result.sort_values("channel_name").reset_index(drop=True)


@pytest.mark.parametrize(
    ("model", "column"), [("first", "first_touch"), ("last", "last_touch"), ("linear", "linear_touch")]
)
def test_heuristics_equal_channelattribution(data_paths, heuristics, model, column):
    ours = attribute(data_paths, model)
    assert ours.channel.tolist() == heuristics.channel_name.tolist()
    if model != "linear":
        assert ours.conversions.tolist() == heuristics[f"{column}_conversions"].tolist()
    # Sums of fractions and values differ only in float summation order (we add grouped paths).
    np.testing.assert_allclose(ours.conversions, heuristics[f"{column}_conversions"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(ours.value, heuristics[f"{column}_value"], rtol=1e-10, atol=0)


def test_markov_order_1_within_one_percent_of_channelattribution(data_paths, raw):
    theirs = ChannelAttribution.markov_model(
        raw,
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        var_null="total_null",
        order=1,
        nsim_start=1_000_000,
        seed=42,
        verbose=False,
        flg_pro=False,
    ).sort_values("channel_name")
    ours = attribute(data_paths, "markov", order=1)
    assert ours.channel.tolist() == theirs.channel_name.tolist()
    total = data_paths.conversions.sum()
    total_variation = (
        np.abs(ours.conversions.to_numpy() - theirs.total_conversions.to_numpy()).sum() / 2 / total
    )
    assert total_variation < 0.01
    value_variation = np.abs(ours.value.to_numpy() - theirs.total_conversion_value.to_numpy()).sum() / 2
    assert value_variation / data_paths.value.sum() < 0.01
