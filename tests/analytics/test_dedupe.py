"""The duplicate finder: blocking, comparison levels, weights learnt from the data, the same on both engines."""

import pandas as pd
import pytest

from plumbline.analytics.dedupe import Comparison, Settings, find_duplicates
from plumbline.demo.vocab import FIRST_NAMES, LAST_NAMES

SETTINGS = Settings(
    comparisons=(Comparison("first", "name", "First name"), Comparison("last", "name", "Last name"),
                 Comparison("phone", "identifier", "Phone"), Comparison("city", "exact", "City")),
    blocking=(("last",), ("phone",)),
    deterministic=(("first", "last", "phone"),),
    threshold=0.5,
)
CITIES = ("berlin", "lyon", "porto", "leeds", "graz")


def people():
    """400 distinct people and 12 second records of some of them, each with a typo or a blank; the truth."""
    rows = [{"id": i + 1, "first": FIRST_NAMES[i % 120].lower(), "last": LAST_NAMES[(i * 7) % 121].lower(),
             "phone": f"{5550000 + i * 37:07d}", "city": CITIES[i % 5]} for i in range(400)]
    copies, truth = [], set()
    for k, i in enumerate(range(3, 400, 33)):
        copy = dict(rows[i], id=1001 + k)
        if k % 3 == 0:
            copy["first"] = copy["first"][:-1] + "x"  # a typo in the first name
        elif k % 3 == 1:
            copy["phone"] = copy["phone"][:-1] + "9"  # one digit off, and no city
            copy["city"] = ""
        else:
            copy["last"] = copy["last"] + "e"  # a typo in the last name
        copies.append(copy)
        truth.add((i + 1, 1001 + k))
    return pd.DataFrame(rows + copies), truth


def test_the_planted_duplicates_are_found_and_nothing_else_with_the_reasons():
    frame, truth = people()
    found = find_duplicates(frame, SETTINGS)
    assert set(zip(found.pairs.left_id, found.pairs.right_id, strict=True)) == truth
    assert (found.pairs.probability >= 0.5).all() and found.pairs.probability.is_monotonic_decreasing
    why = dict(zip(zip(found.pairs.left_id, found.pairs.right_id, strict=True), found.pairs.why, strict=True))
    typo = why[(4, 1001)]  # first name one letter off, the rest equal
    assert [(label, level) for label, level, _ in typo] == [
        ("First name", "similar"), ("Last name", "exact"), ("Phone", "exact"), ("City", "exact")]
    assert all(weight > 0 for _, _, weight in typo)
    no_city = why[(37, 1002)]
    assert [(label, level) for label, level, _ in no_city] == [
        ("First name", "exact"), ("Last name", "exact"), ("Phone", "one edit apart"), ("City", "missing")]
    assert no_city[3][2] == 0.0  # a blank is no evidence either way
    model = found.model
    assert model.m["phone"][2] > 0.5 > model.u["phone"][2]  # matches share phones, random pairs do not
    assert 0 < model.prior < 0.001


def test_blocks_larger_than_the_limit_are_skipped():
    frame, _ = people()
    frame["last"] = "smith"  # one enormous block on the last name
    loose = find_duplicates(frame, Settings(**{**SETTINGS.__dict__, "max_block": 10_000}))
    tight = find_duplicates(frame, Settings(**{**SETTINGS.__dict__, "max_block": 100}))
    assert loose.candidates > 80_000 > tight.candidates  # only pairs sharing a phone are left


def test_no_candidates_finds_nothing():
    frame = pd.DataFrame({"id": [1, 2], "first": ["ann", "bob"], "last": ["lee", "roe"], "phone": ["1", "2"],
                          "city": ["a", "b"]})
    found = find_duplicates(frame, SETTINGS)
    assert (found.candidates, len(found.pairs)) == (0, 0)


@pytest.mark.spark
def test_the_same_pairs_and_weights_on_duckdb_and_spark(spark):
    frame, _ = people()
    duck = find_duplicates(frame, SETTINGS)
    sparked = find_duplicates(frame, SETTINGS, engine="spark")
    assert duck.candidates == sparked.candidates
    columns = ["left_id", "right_id", "probability"]
    pd.testing.assert_frame_equal(duck.pairs[columns], sparked.pairs[columns], check_dtype=False)
    assert list(duck.pairs.why) == list(sparked.pairs.why)


@pytest.mark.parametrize("size", [0, 1])
def test_fewer_than_two_records_find_nothing_and_learn_a_finite_model(size):
    frame = pd.DataFrame({"id": [1][:size], "first": ["ann"][:size], "last": ["lee"][:size],
                          "phone": ["1"][:size], "city": ["a"][:size]}).astype(
        {"id": "int64", "first": "string", "last": "string", "phone": "string", "city": "string"})
    found = find_duplicates(frame, Settings(**{**SETTINGS.__dict__, "deterministic": ()}))
    assert (found.candidates, len(found.pairs)) == (0, 0)
    assert 0 < found.model.prior < 1 and all(0 < x <= 1 for ms in found.model.m.values() for x in ms)
