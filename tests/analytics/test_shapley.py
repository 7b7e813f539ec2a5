import itertools
import math

import numpy as np
import pandas as pd
import pytest

from plumbline.analytics.attribution import attribute, read_path_file
from plumbline.analytics.attribution.shapley import ordered_shapley

from .conftest import random_path_frame


def _brute_force_shapley(paths):
    """Shapley values by enumerating all coalitions of v(S) = conversions of paths whose channels lie in S."""
    sets = [
        frozenset(paths.codes[a:b].tolist())
        for a, b in zip(paths.offsets[:-1], paths.offsets[1:], strict=True)
    ]
    n = paths.n_channels

    def worth(coalition):
        return sum(c for s, c in zip(sets, paths.conversions, strict=True) if s <= coalition)

    values = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                coalition = frozenset(subset)
                values[i] += weight * (worth(coalition | {i}) - worth(coalition))
    return values


def test_shapley_equals_enumeration_over_all_coalitions():
    paths = read_path_file(random_path_frame(60, 5, seed=3))
    np.testing.assert_allclose(
        attribute(paths, "shapley").conversions, _brute_force_shapley(paths), rtol=1e-12
    )


def test_shapley_splits_each_channel_set_equally_whatever_the_repeats():
    paths = read_path_file(
        pd.DataFrame(
            {
                "path": ["a > a > a > b", "c"],
                "total_conversions": [2, 1],
                "total_conversion_value": [8.0, 3.0],
            }
        )
    )
    result = attribute(paths, "shapley")
    assert result.conversions.tolist() == [1.0, 1.0, 1.0]
    assert result.value.tolist() == [4.0, 4.0, 3.0]


def test_shapley_conserves_totals(data_paths):
    result = attribute(data_paths, "shapley")
    assert result.conversions.sum() == pytest.approx(data_paths.conversions.sum(), rel=1e-12)
    assert result.value.sum() == pytest.approx(data_paths.value.sum(), rel=1e-12)


def test_ordered_shapley_splits_by_first_touch_rank_and_sums_to_shapley():
    paths = read_path_file(pd.DataFrame({"path": ["b > a > b", "a > c"], "total_conversions": [2, 4]}))
    ordered = ordered_shapley(paths)
    assert ordered[["channel", "rank", "conversions"]].values.tolist() == [
        ["a", 1, 2.0],
        ["a", 2, 1.0],
        ["b", 1, 1.0],
        ["c", 2, 2.0],
    ]
    totals = ordered.groupby("channel").conversions.sum()
    assert totals.tolist() == attribute(paths, "shapley").conversions.tolist()
