"""Fitting the calibrated predictive model on a labelled table.

`kind="auto"` (the default) chooses between LightGBM and logistic regression by inner cross-validation:
each candidate is fitted on 2/3 of the training rows and scored on the other third, three times
(stratified, seeded), and the one with the lower log loss of Platt-calibrated out-of-fold predictions wins.
Those same out-of-fold margins fit the winner's Platt calibration, so the probabilities are calibrated on
rows the trees or coefficients never saw; the winner is then refitted on all training rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from plumbline.scoring.predictive import KINDS, metrics
from plumbline.scoring.predictive.artifact import FittedModel
from plumbline.scoring.predictive.errors import UnusableTrainingData
from plumbline.scoring.predictive.estimators import PlattCalibrator, make_estimator
from plumbline.scoring.predictive.features import FeaturePipeline
from plumbline.scoring.predictive.target import resolve_target

INNER_FOLDS = 3


def fit_model(
    frame: pd.DataFrame,
    *,
    target: str,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    kind: str = "auto",
    seed: int = 0,
) -> FittedModel:
    """Fit the pipeline and the calibrated model on every row of `frame` that has a target."""
    resolved = resolve_target(frame, target, positive)
    rows = frame.loc[resolved.keep]
    model = fit_rows(rows, resolved.y, target=target, exclude=exclude, kind=kind, seed=seed)
    model.positive_label = resolved.positive_label
    return model


def fit_rows(
    rows: pd.DataFrame, y: np.ndarray, *, target: str, exclude: Sequence[str] = (), kind: str = "auto", seed: int = 0
) -> FittedModel:
    if kind not in KINDS:
        raise UnusableTrainingData(f"Unknown model {kind!r}; choose one of {', '.join(KINDS)}.", field="model")
    pipeline = FeaturePipeline().fit(rows, exclude=(target, *exclude))
    X = pipeline.transform(rows)
    candidates = ["lightgbm", "logistic"] if kind == "auto" else [kind]
    inner = {name: _out_of_fold_margins(name, pipeline, X, y, seed) for name in candidates}
    scores = {name: _calibrated_scores(margin, y) for name, margin in inner.items()}
    chosen = min(candidates, key=lambda name: scores[name]["log_loss"])
    calibrator = PlattCalibrator().fit(inner[chosen], y)
    estimator = make_estimator(chosen, pipeline, seed).fit(X, y)
    return FittedModel(
        pipeline=pipeline,
        estimator=estimator,
        calibrator=calibrator,
        kind=chosen,
        target=target,
        rows=len(rows),
        positive_rate=float(np.mean(y)),
        inner_scores=scores,
    )


def _out_of_fold_margins(kind: str, pipeline: FeaturePipeline, X: pd.DataFrame, y: np.ndarray, seed: int) -> np.ndarray:
    smallest_class = int(min(y.sum(), len(y) - y.sum()))
    folds = min(INNER_FOLDS, smallest_class)
    if folds < 2:
        raise UnusableTrainingData("Too few rows of the smaller class to calibrate a model (need at least 2).")
    margin = np.zeros(len(y))
    for fit_idx, held_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        estimator = make_estimator(kind, pipeline, seed, refit=False).fit(X.iloc[fit_idx], y[fit_idx])
        margin[held_idx] = estimator.margin(X.iloc[held_idx])
    return margin


def _calibrated_scores(margin: np.ndarray, y: np.ndarray) -> dict[str, float]:
    p = PlattCalibrator().fit(margin, y).probability(margin)
    return {"auc": metrics.auc(y, p), "log_loss": metrics.log_loss(y, p)}
