"""Predictive lead scoring: a calibrated model trained on any labelled table, beside Odoo's naive Bayes.

The facade other code uses:
- `fit_model(frame, target=..., positive=...)` -> FittedModel (predict_proba, metadata, to_bytes/from_bytes)
- `top_factors(model, row)` -> [(feature, contribution on the log-odds scale), ...]
- `evaluate_table(frame, target=..., folds=5, seed=0)` -> cross-validated figures for model and naive Bayes
- `read_table(path)` -> a CSV as a DataFrame, with clear errors
"""

from __future__ import annotations

from plumbline.scoring.predictive.artifact import FittedModel
from plumbline.scoring.predictive.errors import UnusableTrainingData
from plumbline.scoring.predictive.evaluate import evaluate_table
from plumbline.scoring.predictive.explain import top_factors
from plumbline.scoring.predictive.naive_bayes import NaiveBayes
from plumbline.scoring.predictive.tables import read_table
from plumbline.scoring.predictive.training import fit_model

__all__ = [
    "FittedModel",
    "NaiveBayes",
    "UnusableTrainingData",
    "evaluate_table",
    "fit_model",
    "read_table",
    "top_factors",
]
