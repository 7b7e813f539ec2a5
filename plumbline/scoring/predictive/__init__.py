"""Predictive lead scoring: a calibrated model trained on any labelled table, beside Odoo's naive Bayes.

The facade other code uses:
- `fit_model(frame, target=..., positive=...)` -> FittedModel (predict_proba, metadata, to_bytes/from_bytes)
- `top_factors(model, row)` -> [(feature, contribution on the log-odds scale), ...]
- `evaluate_table(frame, target=..., folds=5, seed=0)` -> cross-validated figures for model and naive Bayes
- `read_table(path)` -> a CSV as a DataFrame, with clear errors
- `KINDS` (the model families) and `UnusableTrainingData` (the one error)

Beside the facade, the app's use of it: `actions.py` trains on the instance's history and stores, activates and
queues versions (training runs); `predict.py` predicts with the active version.

The names that need pandas, scikit-learn or LightGBM load their module on first use (PEP 562), so code that
imports this package at start-up (the scoring path, every command's system checks) does not pay ~1 s for
libraries only training and prediction use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from plumbline.scoring.predictive.errors import UnusableTrainingData

if TYPE_CHECKING:
    from plumbline.scoring.predictive.artifact import FittedModel
    from plumbline.scoring.predictive.evaluate import evaluate_table
    from plumbline.scoring.predictive.explain import top_factors
    from plumbline.scoring.predictive.naive_bayes import NaiveBayes
    from plumbline.scoring.predictive.tables import read_table
    from plumbline.scoring.predictive.training import fit_model

KINDS = ("auto", "lightgbm", "logistic")

_LAZY = {
    "FittedModel": "artifact",
    "NaiveBayes": "naive_bayes",
    "evaluate_table": "evaluate",
    "fit_model": "training",
    "read_table": "tables",
    "top_factors": "explain",
}

__all__ = [
    "KINDS",
    "FittedModel",
    "NaiveBayes",
    "UnusableTrainingData",
    "evaluate_table",
    "fit_model",
    "read_table",
    "top_factors",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
