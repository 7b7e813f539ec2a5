"""Splitting path strings into steps: the byte-level splitter (one-byte separators) and Arrow's
split_pattern (longer separators) give the same steps, whatever the whitespace, empty steps, quoting or
chunking."""

import pandas as pd
import pyarrow as pa
import pytest

from plumbline.analytics.attribution import read_path_file
from plumbline.analytics.attribution.steps import split_steps


def _rows(column, sep=">"):
    counts, codes, channels = split_steps(column, sep)
    names = [str(channels[code]) for code in codes]
    rows, at = [], 0
    for count in counts:
        rows.append(names[at : at + count])
        at += count
    return rows


def _steps(paths):
    return [
        paths.labels(paths.codes[a:b]) for a, b in zip(paths.offsets[:-1], paths.offsets[1:], strict=True)
    ]


def test_empty_steps_are_skipped_wherever_they_fall():
    column = pa.array([">a>>b>", ">>", "", "a", " > b >  > "])
    assert _rows(column) == [["a", "b"], [], [], ["a"], ["b"]]


def test_steps_are_trimmed_of_unicode_whitespace_but_keep_inner_spaces():
    column = pa.array(["\t paid search\u00a0> e mail\u3000", " déjà vu >déjà vu"])
    assert _rows(column) == [["paid search", "e mail"], ["déjà vu", "déjà vu"]]


def test_one_step_paths_and_a_path_of_only_whitespace():
    column = pa.array(["seo", "  seo  ", "   ", "\t"])
    assert _rows(column) == [["seo"], ["seo"], [], []]


def test_null_paths_have_no_steps():
    assert _rows(pa.array(["a > b", None, "c"])) == [["a", "b"], [], ["c"]]


@pytest.mark.parametrize("sep", ["|", "->", " → ", ","])
def test_multi_character_and_non_ascii_separators_split_like_single_bytes(sep):
    column = pa.array([sep.join([" a ", "", "b ", " c"]), sep + "a" + sep, "b"])
    assert _rows(column, sep) == [["a", "b", "c"], ["a"], ["b"]]


def test_chunks_slices_and_large_strings_split_the_same():
    paths = ["a > b", "", "c>a >", " b "]
    expected = [["a", "b"], [], ["c", "a"], ["b"]]
    chunked = pa.chunked_array(
        [pa.array(paths[:1]), pa.array(paths[1:3]), pa.array([], pa.string()), paths[3:]]
    )
    sliced = pa.array(["zzz > yyy", *paths])[1:]
    assert _rows(chunked) == expected
    assert _rows(sliced) == expected
    assert _rows(pa.array(paths, pa.large_string())) == expected
    assert _rows(pa.array(paths, pa.string_view())) == expected


def test_channels_come_back_sorted_with_codes_into_them():
    counts, codes, channels = split_steps(pa.array(["zeta > alpha", "mid > zeta"]), ">")
    assert channels.tolist() == ["alpha", "mid", "zeta"]
    assert (counts.tolist(), codes.tolist()) == ([2, 2], [2, 0, 1, 2])


def test_quoted_fields_keep_delimiters_and_line_breaks_inside_the_path(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text('path;total_conversions\n"a;x > b";1\n"c >\nd";2\n" > ";3\n')
    paths = read_path_file(file)
    assert _steps(paths) == [["a;x", "b"], ["c", "d"]]
    assert paths.conversions.tolist() == [1.0, 2.0]


def test_a_file_of_only_empty_paths_has_no_rows(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text("path,total_conversions\n>,1\n ,2\n")
    paths = read_path_file(file)
    assert (paths.n_rows, paths.n_channels, len(paths.codes)) == (0, 0, 0)


def test_dataframe_paths_with_missing_values_drop_those_rows():
    frame = pd.DataFrame({"path": ["a > b", None, "b"], "total_conversions": [1, 5, 2]})
    paths = read_path_file(frame)
    assert _steps(paths) == [["a", "b"], ["b"]]
    assert paths.conversions.tolist() == [1.0, 2.0]
