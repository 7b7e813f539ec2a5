"""Per-row explanation: which features pushed this row's score up or down, and by how much.

Contributions are on the calibrated log-odds scale: the model's margin contributions (LightGBM SHAP values,
or coefficient times standardised value for logistic regression) times the Platt slope, so that they sum,
with the bias, to the log-odds of the probability shown. Positive raises the score, negative lowers it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from plumbline.scoring.predictive.artifact import FittedModel


def top_factors(
    model: FittedModel, row: Mapping[str, object] | pd.Series | pd.DataFrame, k: int = 5
) -> list[tuple[str, float]]:
    """The `k` features with the largest absolute contribution for one row, largest first.

    Features contributing exactly nothing (a tree never split on them) are left out, so fewer than `k` may
    come back. Feature names are the model's: a column, or `<column>__missing` for its missing indicator.
    """
    frame = _one_row(row)
    X = model.pipeline.transform(frame)
    contributions, _bias = model.estimator.contributions(X)
    scaled = contributions[0] * model.calibrator.slope
    ranked = sorted(zip(X.columns, scaled, strict=True), key=lambda item: -abs(item[1]))
    return [(str(name), float(value)) for name, value in ranked[:k] if value != 0.0]


def _one_row(row: Mapping[str, object] | pd.Series | pd.DataFrame) -> pd.DataFrame:
    if isinstance(row, pd.DataFrame):
        if len(row) != 1:
            raise ValueError(f"top_factors explains one row; got {len(row)}.")
        return row
    if isinstance(row, pd.Series):
        return row.to_frame().T
    return pd.DataFrame([dict(row)])
