"""Fitting, explaining, storing and cross-validating the predictive model on a synthetic lead table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from plumbline.scoring.predictive import (
    FittedModel,
    UnusableTrainingData,
    evaluate_table,
    fit_model,
    top_factors,
)
from plumbline.scoring.predictive.estimators import PlattCalibrator


def leads(rows: int = 400, seed: int = 7) -> pd.DataFrame:
    """Leads whose conversion rises with visits and depends on industry; budget has gaps and junk text."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(2.0, rows)
    industry = rng.choice(["saas", "retail", "health"], rows)
    effect = pd.Series(industry).map({"saas": 1.0, "retail": -1.0, "health": 0.0}).to_numpy()
    converted = rng.random(rows) < 1 / (1 + np.exp(-(-1.0 + 1.2 * (visits - 2) + effect)))
    budget = rng.normal(50, 10, rows).round(1).astype(object)
    budget[rng.random(rows) < 0.1] = None
    budget[:3] = "unknown"
    return pd.DataFrame({
        "visits": visits, "industry": industry, "budget": budget,
        "converted": np.where(converted, "yes", "no"),
    })


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


@pytest.mark.parametrize("kind", ["lightgbm", "logistic"])
def test_top_factors_add_up_to_the_calibrated_log_odds(kind):
    # given a model of either family
    table = leads()
    model = fit_model(table, target="converted", kind=kind)
    row = table.iloc[[5]]

    # when every factor of one row is asked for
    factors = top_factors(model, row, k=len(model.features))

    # then factors + (calibrated) bias reproduce the row's log-odds exactly
    _, bias = model.estimator.contributions(model.pipeline.transform(row))
    total = sum(value for _, value in factors) + model.calibrator.slope * bias[0] + model.calibrator.intercept
    assert total == pytest.approx(_logit(model.predict_proba(row)[0]), abs=1e-9)
    assert model.kind == kind


def test_the_strongest_signal_is_the_top_factor_of_a_very_active_lead():
    table = leads()
    model = fit_model(table, target="converted")

    factors = top_factors(model, {"visits": 9, "industry": "health", "budget": "50"}, k=2)

    assert factors[0][0] == "visits"
    assert factors[0][1] > 0
    assert len(factors) == 2


def test_auto_keeps_the_family_with_the_lower_inner_log_loss():
    model = fit_model(leads(), target="converted")
    assert set(model.inner_scores) == {"lightgbm", "logistic"}
    assert model.kind == min(model.inner_scores, key=lambda kind: model.inner_scores[kind]["log_loss"])
    assert model.positive_label == "yes"


def test_a_stored_model_predicts_the_same_after_loading():
    # given a fitted model with its cross-validated figures attached
    table = leads()
    model = fit_model(table, target="converted", kind="lightgbm")
    model.cv_metrics = {"auc": 0.8}

    # when it is serialised and loaded back
    loaded = FittedModel.from_bytes(model.to_bytes())

    # then it predicts identically and its metadata is JSON-ready
    assert loaded.predict_proba(table).tolist() == model.predict_proba(table).tolist()
    meta = json.loads(json.dumps(loaded.metadata))
    assert meta["format"] == "plumbline.predictive"
    assert meta["format_version"] == 1
    assert meta["kind"] == "lightgbm"
    assert meta["target"] == "converted"
    assert meta["positive_label"] == "yes"
    assert meta["rows"] == 400
    assert meta["features"] == ["visits", "industry", "budget", "budget__missing"]
    assert meta["cv_metrics"] == {"auc": 0.8}
    assert set(meta["versions"]) == {"lightgbm", "scikit-learn", "numpy", "pandas"}


def test_bytes_that_are_not_a_stored_model_are_refused():
    with pytest.raises(UnusableTrainingData, match="Stored model cannot be read"):
        FittedModel.from_bytes(b"not a model")


def test_evaluation_reports_pooled_out_of_fold_figures_for_both_methods():
    # when a 3-fold evaluation runs with a progress callback
    seen = []
    report = evaluate_table(
        leads(), target="converted", folds=3, seed=1, progress=lambda fold, folds, _s: seen.append((fold, folds))
    )

    # then each method has its figures, ten calibration groups covering every row, one AUC per fold
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert report["rows"] == 400
    assert report["positive_label"] == "yes"
    for name in ("model", "naive_bayes"):
        figures = report[name]
        assert {"auc", "log_loss", "brier", "ece", "calibration", "auc_folds"} <= set(figures)
        assert len(figures["calibration"]) == 10
        assert sum(group["count"] for group in figures["calibration"]) == 400
        assert len(figures["auc_folds"]) == 3
        assert 0.5 < figures["auc"] <= 1.0
    assert report["model"]["auc"] > report["naive_bayes"]["auc"]
    assert report["warnings"] == []


def test_a_column_that_records_the_outcome_is_flagged():
    table = leads()
    table["deal_amount"] = np.where(table["converted"] == "yes", 1000.0, 0.0)

    report = evaluate_table(table, target="converted", folds=2)

    assert report["warnings"] == [
        "column 'deal_amount' alone separates the target (AUC 1.000); it probably records the outcome: "
        "drop it with --exclude deal_amount"
    ]


def test_more_folds_than_rows_of_the_smaller_class_are_refused():
    table = leads(rows=60)
    table.loc[:, "converted"] = ["yes"] * 4 + ["no"] * 56
    with pytest.raises(UnusableTrainingData, match="The smaller class has 4 rows: too few for 5-fold"):
        evaluate_table(table, target="converted", folds=5)


def test_excluding_an_unknown_column_is_refused():
    with pytest.raises(UnusableTrainingData, match="Excluded column\\(s\\) not in the table: nope"):
        evaluate_table(leads(), target="converted", exclude=["nope"])


def separable(rows: int) -> pd.DataFrame:
    """Half the leads converted, and every one of them has more visits (5-9) than any that did not (0-4)."""
    converted = np.arange(rows) >= rows // 2
    visits = np.where(converted, 5, 0) + np.arange(rows) % 5
    return pd.DataFrame({"visits": visits, "converted": np.where(converted, "yes", "no")})


def test_lightgbm_ranks_a_small_separable_table_right_in_cross_validation():
    # given 54 leads that one column separates perfectly: 43 training rows per fold, 28 or 29 per inner fold
    table = separable(54)

    # when LightGBM is cross-validated on 5 folds
    report = evaluate_table(table, target="converted", folds=5, kind="lightgbm")

    # then every held-out fold is ranked right (it was ranked exactly wrong: AUC 0.0 in every fold, because
    # inner models too small to split gave the calibration a negative slope that turned the refit around)
    figures = report["model"]
    assert figures["auc_folds"] == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert figures["auc"] == pytest.approx(1.0)
    assert figures["auc_note"] is None
    assert report["model"]["kinds"] == ["lightgbm"] * 5


def test_calibration_never_turns_the_ranking_around():
    # given out-of-fold margins that are higher for the rows that did not convert
    margin = np.array([0.4, 0.4, 0.4, 0.1, 0.1, 0.1, 0.1, 0.1])
    y = np.array([0, 0, 1, 1, 1, 1, 0, 1])

    # when Platt scaling is fitted on them
    calibrator = PlattCalibrator().fit(margin, y)

    # then it keeps no (reversed) slope: every row gets the base rate of 5/8
    assert calibrator.slope == 0.0
    assert calibrator.probability(np.array([-3.0, 0.0, 3.0])) == pytest.approx([0.625, 0.625, 0.625])
    assert PlattCalibrator().fit(-margin, y).slope > 0


def test_a_model_that_ranks_nothing_in_any_fold_gets_auc_na_with_the_reason():
    # given 8 leads: too few for either method to learn from in 3 folds
    report = evaluate_table(separable(8), target="converted", folds=3, kind="lightgbm")

    # then the AUC of tied predictions is 0.5 (not the pooled comparison of folds, which was 0.34), with why
    note = ("In each of the 3 folds every held-out row got the same probability (too little to learn from in 8 "
            "rows): nothing was ranked there, so the AUC is not a measure of ranking (n/a).")
    assert (report["model"]["auc"], report["model"]["auc_folds"]) == (0.5, [0.5, 0.5, 0.5])
    assert report["model"]["auc_note"] == note
    assert f"model: {note}" in report["warnings"]
