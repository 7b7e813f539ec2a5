import numpy as np
import pandas as pd
import pytest

from plumbline.analytics.attribution import attribute, read_journeys, read_path_file


def _paths(*rows):
    return read_path_file(
        pd.DataFrame(rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"])
    )


def _credits(result):
    return dict(zip(result.channel, result.conversions, strict=True))


def test_first_last_and_linear_on_a_repeated_channel():
    paths = _paths(("a > b > a > c", 4, 40.0, 0))
    assert _credits(attribute(paths, "first")) == {"a": 4.0, "b": 0.0, "c": 0.0}
    assert _credits(attribute(paths, "last")) == {"a": 0.0, "b": 0.0, "c": 4.0}
    assert _credits(attribute(paths, "linear")) == {"a": 2.0, "b": 1.0, "c": 1.0}
    assert attribute(paths, "linear").value.tolist() == [20.0, 10.0, 10.0]


def test_last_non_direct_skips_direct_unless_everything_is_direct():
    paths = _paths(("seo > Direct > direct", 1, 10.0, 0), ("direct", 2, 5.0, 0))
    assert _credits(attribute(paths, "last-non-direct")) == {"Direct": 0.0, "direct": 2.0, "seo": 1.0}


def test_time_decay_on_paths_halves_per_step_by_default():
    paths = _paths(("a > b > c", 7, 70.0, 0))
    assert _credits(attribute(paths, "time-decay")) == {"a": 1.0, "b": 2.0, "c": 4.0}
    total = 1 + 2**-0.5 + 0.5  # weights 2^(-2/2), 2^(-1/2), 2^0
    assert _credits(attribute(paths, "time-decay", half_life=2.0)) == pytest.approx(
        {"a": 7 * 0.5 / total, "b": 7 * 2**-0.5 / total, "c": 7 / total}, rel=1e-12
    )


def test_time_decay_uses_days_on_journey_tables():
    journeys = read_journeys(
        pd.DataFrame(
            {
                "journey_id": [1, 1, 1],
                "timestamp": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"]),
                "channel": ["a", "b", "c"],
                "conversion": [0, 0, 1],
                "value": [0.0, 0.0, 70.0],
            }
        )
    )
    result = attribute(journeys, "time-decay")
    assert _credits(result) == {"a": 1 / 7, "b": 2 / 7, "c": 4 / 7}
    assert result.value.tolist() == [10.0, 20.0, 40.0]


def test_u_shaped_gives_40_20_40_and_splits_two_touch_paths_evenly():
    paths = _paths(("a > b > c > d", 10, 0.0, 0), ("e > f", 2, 0.0, 0), ("g", 1, 0.0, 0))
    assert _credits(attribute(paths, "u-shaped")) == pytest.approx(
        {"a": 4.0, "b": 1.0, "c": 1.0, "d": 4.0, "e": 1.0, "f": 1.0, "g": 1.0}, rel=1e-12
    )
    custom = attribute(paths, "u-shaped", first=0.5, last=0.3)
    assert _credits(custom) == pytest.approx(
        {"a": 5.0, "b": 1.0, "c": 1.0, "d": 3.0, "e": 1.25, "f": 0.75, "g": 1.0}, rel=1e-12
    )


def test_w_shaped_fallback_puts_lead_in_the_middle_and_opportunity_last():
    paths = _paths(("a > b > c > d > e", 10, 0.0, 0), ("x > y > z", 3, 0.0, 0), ("p > q", 3, 0.0, 0))
    # 5 touches: first a, lead c (5 // 2), opportunity e get 3 each; b and d share the remaining 1.
    # 3 touches: one milestone each. 2 touches: p is first, q is lead and opportunity (0.3 : 0.6).
    assert _credits(attribute(paths, "w-shaped")) == pytest.approx(
        {"a": 3.0, "b": 0.5, "c": 3.0, "d": 0.5, "e": 3.0, "x": 1.0, "y": 1.0, "z": 1.0, "p": 1.0, "q": 2.0},
        rel=1e-12,
    )


def test_w_shaped_uses_explicit_milestones_from_journeys():
    journeys = read_journeys(
        pd.DataFrame(
            {
                "journey_id": [1] * 5,
                "timestamp": pd.date_range("2024-01-01", periods=5, freq="D"),
                "channel": ["a", "b", "c", "d", "e"],
                "conversion": [0, 0, 0, 0, 1],
                "milestone": [None, "lead", None, "opportunity", None],
            }
        )
    )
    assert _credits(attribute(journeys, "w-shaped")) == pytest.approx(
        {"a": 0.3, "b": 0.3, "c": 0.05, "d": 0.3, "e": 0.05}, rel=1e-12
    )


@pytest.mark.parametrize(
    "model", ["first", "last", "last-non-direct", "linear", "time-decay", "u-shaped", "w-shaped"]
)
def test_rule_models_conserve_conversions_and_value(model, data_paths):
    result = attribute(data_paths, model)
    assert result.conversions.sum() == pytest.approx(data_paths.conversions.sum(), rel=1e-12)
    assert result.value.sum() == pytest.approx(data_paths.value.sum(), rel=1e-12)
    assert (result.conversions >= 0).all()


def test_invalid_shares_are_rejected(data_paths):
    with pytest.raises(ValueError, match="shares"):
        attribute(data_paths, "u-shaped", first=0.8, last=0.4)
    with pytest.raises(ValueError, match="half_life"):
        attribute(data_paths, "time-decay", half_life=0)
    with pytest.raises(ValueError, match="unknown model"):
        attribute(data_paths, "magic")


def test_credit_is_independent_of_row_grouping():
    grouped = _paths(("a > b", 2, 20.0, 0))
    split = _paths(("a > b", 1, 10.0, 0), ("a>b", 1, 10.0, 0))
    for model in ("first", "linear", "u-shaped", "w-shaped", "time-decay"):
        assert np.array_equal(attribute(grouped, model).conversions, attribute(split, model).conversions)
