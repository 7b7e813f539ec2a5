"""Scores for probabilistic predictions: AUC, log loss, Brier score and a calibration table with ECE.

The calibration table has `bins` groups of (nearly) equal size, rows sorted by predicted probability: with
rare positives, equal-width bins would put almost every row in the first bin. The expected calibration error
(ECE) is the row-weighted mean of |mean predicted - observed rate| over those groups.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

EPSILON = 1e-15


def auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, dtype=float), EPSILON, 1 - EPSILON)
    y = np.asarray(y, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float | int]]:
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    table = []
    for group in np.array_split(order, min(bins, len(p))):
        table.append(
            {
                "count": int(len(group)),
                "min_predicted": float(p[group].min()),
                "max_predicted": float(p[group].max()),
                "mean_predicted": float(p[group].mean()),
                "observed_rate": float(y[group].mean()),
            }
        )
    return table


def expected_calibration_error(table: list[dict[str, float | int]]) -> float:
    total = sum(int(row["count"]) for row in table)
    return float(
        sum(int(row["count"]) * abs(float(row["mean_predicted"]) - float(row["observed_rate"])) for row in table)
        / total
    )


def summarise(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, object]:
    """Every figure the evaluation reports for one set of predictions."""
    table = calibration_table(y, p, bins)
    return {
        "auc": auc(y, p),
        "log_loss": log_loss(y, p),
        "brier": brier(y, p),
        "ece": expected_calibration_error(table),
        "calibration": table,
    }
