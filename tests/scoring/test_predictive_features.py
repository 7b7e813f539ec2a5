"""Column typing, cleaning and target reading for any labelled table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plumbline.scoring.predictive.errors import UnusableTrainingData
from plumbline.scoring.predictive.features import MISSING, OTHER, FeaturePipeline
from plumbline.scoring.predictive.target import resolve_target


def _table() -> pd.DataFrame:
    rows = 40
    return pd.DataFrame(
        {
            "rownames": range(1, rows + 1),
            "employees": [float(i) if i % 10 else np.nan for i in range(rows)],
            "score_text": [str(i) if i != 7 else "unknown" for i in range(rows)],
            "industry": ["saas"] * 20 + ["retail"] * 15 + ["mining"] * 3 + [None, " "],
            "opted_in": [True, False] * 20,
            "email": [f"p{i}@example.com" for i in range(rows)],
            "country": ["FR"] * rows,
            "y": [1, 0] * 20,
        }
    )


def test_columns_are_typed_and_identifiers_constants_and_free_text_dropped():
    # given a table with an index column, numerics with gaps, text numbers, labels, booleans, emails
    # when the pipeline is fitted
    pipeline = FeaturePipeline().fit(_table(), exclude=("y",))

    # then each column gets its kind, and unusable ones are dropped with their reason
    kinds = {spec.name: spec.kind for spec in pipeline.specs}
    assert kinds == {"employees": "numeric", "score_text": "numeric", "industry": "categorical", "opted_in": "categorical"}
    assert pipeline.dropped == {
        "rownames": "identifier (distinct integers: row number or id)",
        "email": "identifier or free text (more distinct values than half the rows)",
        "country": "fewer than two distinct values",
    }
    assert pipeline.feature_names == [
        "employees", "employees__missing", "score_text", "score_text__missing", "industry", "opted_in",
    ]
    assert pipeline.categorical_features == ["industry", "opted_in"]


def test_missing_numbers_take_the_training_median_and_an_indicator():
    # given a fitted pipeline where employees misses rows 0, 10, 20, 30 and score_text has "unknown" at row 7
    pipeline = FeaturePipeline().fit(_table(), exclude=("y",))

    # when new rows with a missing value and a non-number are transformed
    X = pipeline.transform(pd.DataFrame({
        "employees": [np.nan, 3.0], "score_text": ["n/a", "12"], "industry": ["saas", "saas"], "opted_in": [True, True],
    }))

    # then the training median fills the gap and the indicator marks it
    median = float(np.median([i for i in range(40) if i % 10]))
    assert median == 20.0
    assert X["employees"].tolist() == [20.0, 3.0]
    assert X["employees__missing"].tolist() == [1.0, 0.0]
    assert X["score_text"].tolist() == [20.0, 12.0]
    assert X["score_text__missing"].tolist() == [1.0, 0.0]


def test_categorical_missing_rare_and_unseen_levels_get_their_own_codes():
    # given industry with saas x20, retail x15, mining x3 (rare), one None and one blank
    pipeline = FeaturePipeline().fit(_table(), exclude=("y",))
    spec = next(s for s in pipeline.specs if s.name == "industry")
    assert spec.levels == [MISSING, OTHER, "retail", "saas"]

    # when known, rare, unseen and missing values are transformed
    X = pipeline.transform(pd.DataFrame({
        "employees": [1.0] * 5, "score_text": ["1"] * 5, "opted_in": [True] * 5,
        "industry": ["saas", "mining", "aerospace", None, "retail"],
    }))

    # then rare and unseen share __other__, missing has __missing__
    assert X["industry"].tolist() == [3.0, 1.0, 1.0, 0.0, 2.0]


def test_rows_lacking_a_model_column_are_refused():
    pipeline = FeaturePipeline().fit(_table(), exclude=("y",))
    with pytest.raises(UnusableTrainingData, match="Rows lack the model's columns: industry"):
        pipeline.transform(pd.DataFrame({"employees": [1.0], "score_text": ["1"], "opted_in": [True]}))


def test_a_table_with_no_usable_feature_is_refused():
    frame = pd.DataFrame({"country": ["FR"] * 30, "y": [0, 1] * 15})
    with pytest.raises(UnusableTrainingData, match="No usable feature column: country: fewer than two"):
        FeaturePipeline().fit(frame, exclude=("y",))


def test_yes_is_the_positive_class_even_when_it_is_the_majority():
    target = resolve_target(pd.DataFrame({"Purchase": ["Yes", "Yes", "No"]}), "Purchase")
    assert target.positive_label == "Yes"
    assert target.y.tolist() == [1, 1, 0]


def test_without_a_success_word_the_minority_class_is_positive():
    target = resolve_target(pd.DataFrame({"outcome": ["churned", "stayed", "stayed"]}), "outcome")
    assert target.positive_label == "churned"
    assert target.y.tolist() == [1, 0, 0]


def test_positive_given_as_text_matches_numeric_labels_and_rows_without_label_are_dropped():
    frame = pd.DataFrame({"won": [1.0, 0.0, np.nan, 2.0, 1.0]})
    target = resolve_target(frame, "won", "1")
    assert target.positive_label == "1"
    assert target.y.tolist() == [1, 0, 0, 1]
    assert target.keep.tolist() == [True, True, False, True, True]
    assert target.dropped_rows == 1


@pytest.mark.parametrize(
    ("frame", "positive", "message"),
    [
        (pd.DataFrame({"a": [1, 2]}), None, "Target column 'y' is not in the table"),
        (pd.DataFrame({"y": ["won", "won", None]}), None, "has one class only \\('won'\\)"),
        (pd.DataFrame({"y": ["a", "b", "c"]}), None, "has 3 values; name the positive one with --positive"),
        (pd.DataFrame({"y": ["a", "b"]}), "z", "--positive 'z' is not a value of 'y'"),
    ],
)
def test_unusable_targets_are_refused_with_a_reason(frame, positive, message):
    with pytest.raises(UnusableTrainingData, match=message):
        resolve_target(frame, "y", positive)
