"""Stratified K-fold evaluation of the predictive model beside the Odoo-style naive-Bayes baseline.

Every fold fits everything from its training rows only (column typing, medians, levels, bins, model,
calibration) and predicts its held-out rows, so each row gets exactly one out-of-fold probability from each
method. AUC, log loss, Brier score and the calibration table are computed on those pooled predictions;
`auc_folds` lists the per-fold AUCs for their spread.

A method that gives every held-out row of a fold the same probability ranks nothing there (on a few dozen
rows it may find nothing to learn); pooled with other folds, such constants would only compare one fold's
rows with another's and could give any AUC, 0.0 included. `auc_note` then says so (the pages show the AUC
as "n/a" with it, and the note is among the warnings); when that happens in every fold, `auc` is 0.5, the
exact AUC of tied predictions, instead of the pooled figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from plumbline.scoring.predictive import metrics
from plumbline.scoring.predictive.errors import UnusableTrainingData
from plumbline.scoring.predictive.features import FeaturePipeline
from plumbline.scoring.predictive.naive_bayes import NaiveBayes
from plumbline.scoring.predictive.target import resolve_target
from plumbline.scoring.predictive.training import fit_rows

LEAK_AUC = 0.995  # a single column separating the outcome this well almost surely records the outcome

Progress = Callable[[int, int, float], None]


def evaluate_table(
    frame: pd.DataFrame,
    *,
    target: str,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    folds: int = 5,
    seed: int = 0,
    kind: str = "auto",
    progress: Progress | None = None,
) -> dict[str, Any]:
    unknown = [name for name in exclude if name not in frame.columns]
    if unknown:
        raise UnusableTrainingData(f"Excluded column(s) not in the table: {', '.join(unknown)}.", field="exclude")
    resolved = resolve_target(frame, target, positive)
    rows, y = frame.loc[resolved.keep].reset_index(drop=True), resolved.y
    _check_folds(folds, y)
    model_p, naive_p = np.zeros(len(y)), np.zeros(len(y))
    model_aucs, naive_aucs, kinds = [], [], []
    model_tied, naive_tied = [], []  # folds where the method gave every held-out row the same probability
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for number, (train_idx, test_idx) in enumerate(splitter.split(rows, y), start=1):
        started = time.monotonic()
        train, test = rows.iloc[train_idx], rows.iloc[test_idx]
        model = fit_rows(train, y[train_idx], target=target, exclude=exclude, kind=kind, seed=seed)
        model_p[test_idx] = model.predict_proba(test)
        naive = NaiveBayes().fit(model.pipeline.clean(train), y[train_idx])
        naive_p[test_idx] = naive.predict_proba(model.pipeline.clean(test))
        model_aucs.append(metrics.auc(y[test_idx], model_p[test_idx]))
        naive_aucs.append(metrics.auc(y[test_idx], naive_p[test_idx]))
        kinds.append(model.kind)
        model_tied += [number] if np.ptp(model_p[test_idx]) == 0 else []
        naive_tied += [number] if np.ptp(naive_p[test_idx]) == 0 else []
        if progress is not None:
            progress(number, folds, time.monotonic() - started)
    full = FeaturePipeline().fit(rows, exclude=(target, *exclude))
    model_figures = {**_figures(y, model_p, model_aucs, model_tied, folds), "kinds": kinds}
    naive_figures = _figures(y, naive_p, naive_aucs, naive_tied, folds)
    notes = [f"{name}: {figures['auc_note']}" for name, figures in (("model", model_figures),
             ("naive_bayes", naive_figures)) if figures["auc_note"]]
    return {
        "model": model_figures,
        "naive_bayes": naive_figures,
        "rows": int(len(y)),
        "positive_rate": float(y.mean()),
        "positive_label": resolved.positive_label,
        "dropped_rows": resolved.dropped_rows,
        "folds": folds,
        "seed": seed,
        "columns": full.describe(),
        "warnings": leak_warnings(full, rows, y) + notes,
    }


def _figures(y: np.ndarray, p: np.ndarray, fold_aucs: list[float], tied: list[int], folds: int) -> dict[str, Any]:
    figures = {**metrics.summarise(y, p), "auc_folds": fold_aucs, "auc_note": _tie_note(tied, folds, len(y))}
    if len(tied) == folds:
        figures["auc"] = 0.5  # every pair within a fold is tied; the pooled figure would only compare folds
    return figures


def _tie_note(tied: list[int], folds: int, rows: int) -> str | None:
    """Why the AUC does not measure a ranking, or None when every fold was ranked."""
    if not tied:
        return None
    where = (f"each of the {folds} folds" if len(tied) == folds
             else f"fold{'s' if len(tied) > 1 else ''} {', '.join(map(str, tied))} of {folds}")
    return (f"In {where} every held-out row got the same probability (too little to learn from in {rows} rows): "
            "nothing was ranked there, so the AUC is not a measure of ranking (n/a).")


def leak_warnings(pipeline: FeaturePipeline, rows: pd.DataFrame, y: np.ndarray) -> list[str]:
    """Columns that alone separate the outcome almost perfectly: usually recorded after the outcome."""
    X = pipeline.transform(rows)
    found = []
    for spec in pipeline.specs:
        values = X[spec.name]
        if spec.kind == "categorical":
            values = values.map(pd.Series(y, index=X.index).groupby(values).mean())
        separation = metrics.auc(y, values.to_numpy(dtype=float))
        separation = max(separation, 1 - separation)
        if separation >= LEAK_AUC:
            found.append(
                f"column {spec.name!r} alone separates the target (AUC {separation:.3f}); it probably records "
                f"the outcome: drop it with --exclude {spec.name}"
            )
    return found


def _check_folds(folds: int, y: np.ndarray) -> None:
    smallest = int(min(y.sum(), len(y) - y.sum()))
    if folds < 2:
        raise UnusableTrainingData("--folds must be at least 2.", field="folds")
    # each training part needs 3 rows of the smaller class for the inner calibration folds
    if smallest < folds or smallest - smallest // folds < 3:
        raise UnusableTrainingData(
            f"The smaller class has {smallest} rows: too few for {folds}-fold cross-validation "
            f"(need at least {max(folds, 4)}).",
            field="folds",
        )
