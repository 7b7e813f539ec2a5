import pandas as pd
import pytest

from plumbline.analytics.attribution import InputError, load, read_journeys, read_path_file


def _steps(paths):
    return [
        paths.labels(paths.codes[a:b]) for a, b in zip(paths.offsets[:-1], paths.offsets[1:], strict=True)
    ]


def test_channelattribution_data_loads_as_is(data_paths):
    assert (data_paths.n_rows, data_paths.n_channels) == (10000, 12)
    assert (data_paths.conversions.sum(), data_paths.nulls.sum()) == (19785.0, 68602.0)
    assert data_paths.has_value


def test_data_csv_totals_match_the_raw_file(data_paths, data_csv):
    raw = pd.read_csv(data_csv, sep=";")
    assert data_paths.conversions.sum() == raw.total_conversions.sum()
    assert data_paths.nulls.sum() == raw.total_null.sum()
    assert data_paths.value.sum() == pytest.approx(raw.total_conversion_value.sum(), rel=1e-12)


def test_comma_file_with_spaces_and_empty_steps_is_trimmed_and_stepless_rows_dropped(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text("path,total_conversions\n a >  b > ,2\na>b,1\n >  ,5\nc,0\n")
    paths = read_path_file(file)
    assert _steps(paths) == [["a", "b"], ["a", "b"], ["c"]]
    assert paths.conversions.tolist() == [2.0, 1.0, 0.0]
    assert paths.nulls.tolist() == [0.0, 0.0, 0.0]
    assert not paths.has_value


def test_custom_separator_is_literal_even_when_special_in_regex(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text("path;total_conversions;total_null\nsearch | e.mail | search;1;2\n")
    paths = read_path_file(file, sep="|")
    assert _steps(paths) == [["search", "e.mail", "search"]]
    assert (paths.conversions.tolist(), paths.nulls.tolist()) == ([1.0], [2.0])


def test_missing_file_and_missing_columns_raise_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("path;conversions\na;1\n")
    with pytest.raises(InputError, match="missing column"):
        read_path_file(bad)


def test_journey_table_orders_touches_and_stops_at_the_conversion(tmp_path):
    frame = pd.DataFrame(
        {
            "journey_id": [1, 1, 1, 1, 2, 2, 3],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-03",
                    "2024-01-01",
                    "2024-01-05",
                    "2024-01-09",
                    "2024-02-01",
                    "2024-02-03",
                    "2024-03-01",
                ]
            ),
            "channel": ["email", "seo", None, "ads", "ads", "direct", "seo"],
            "conversion": [0, 0, 1, 0, 0, 0, 1],
            "value": [0.0, 0.0, 120.5, 0.0, 0.0, 0.0, 30.0],
            "milestone": [None, None, None, None, None, "lead", None],
        }
    )
    frame.to_parquet(tmp_path / "journeys.parquet")
    paths = load(tmp_path / "journeys.parquet")
    assert _steps(paths) == [["seo", "email"], ["ads", "direct"], ["seo"]]
    assert paths.conversions.tolist() == [1.0, 0.0, 1.0]
    assert paths.nulls.tolist() == [0.0, 1.0, 0.0]
    assert paths.value.tolist() == [120.5, 0.0, 30.0]
    assert paths.ages.tolist() == [4.0, 2.0, 2.0, 0.0, 0.0]
    assert paths.milestones.tolist() == [[-1, -1], [1, -1], [-1, -1]]


def test_journey_csv_needs_the_journey_columns(tmp_path):
    file = tmp_path / "journeys.csv"
    file.write_text("journey_id,timestamp,channel\n1,2024-01-01T00:00:00,seo\n")
    with pytest.raises(InputError, match="missing column"):
        read_journeys(file)


def test_channels_are_sorted_by_name(tmp_path):
    paths = read_path_file(pd.DataFrame({"path": ["zeta > alpha", "mid"], "total_conversions": [1, 1]}))
    assert paths.channels.tolist() == ["alpha", "mid", "zeta"]
    assert paths.codes.tolist() == [2, 0, 1]
