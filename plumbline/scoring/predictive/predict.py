"""Predicting with the active version of the predictive model: its probability that a contact becomes a customer
and the top factors, one contact at a time or many in one model call (and prefetched for a batch of rescores).

pandas, scikit-learn and LightGBM (~1 s to import) are loaded by the functions that predict, not by everything
that imports this module at start-up (the scoring path, the API, every command's system checks)."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from plumbline.scoring import predictive
from plumbline.scoring.models import PredictiveModel
from plumbline.scoring.predictive.errors import UnusableTrainingData

if TYPE_CHECKING:
    import pandas as pd

    from plumbline.scoring.predictive import FittedModel

logger = logging.getLogger(__name__)

TOP_FACTORS = 5


@dataclass(frozen=True)
class Prediction:
    """One contact's probability of becoming a customer, the model version, and its top factors."""

    probability: float
    model_version: int
    factors: list[dict[str, Any]]


@dataclass(frozen=True)
class _Prefetched:
    at: dt.datetime
    covered: frozenset[int]
    predictions: dict[int, Prediction] = field(default_factory=dict)


_PREFETCHED: ContextVar[_Prefetched | None] = ContextVar("scoring_prefetched_predictions", default=None)
_LOADED: dict[str, tuple[tuple[int, int, dt.datetime], FittedModel]] = {}


def active_model() -> tuple[int, FittedModel] | None:
    """(version number, fitted model) of the active version, loaded once per process and version."""
    return model_for(PredictiveModel.objects.filter(is_active=True).values_list("pk", "number", "created_at").first())


def model_for(key: tuple[Any, ...] | None) -> tuple[int, FittedModel] | None:
    """(version number, fitted model) for the model with this (pk, number, created_at) key, read by the caller
    (the scoring path reads it with the contact); the artifact is loaded once per process and version."""
    if key is None:
        return None
    cached = _LOADED.get("active")
    if cached is None or cached[0] != key:
        blob = PredictiveModel.objects.values_list("artifact", flat=True).get(pk=key[0])
        cached = (key, predictive.FittedModel.from_bytes(bytes(blob)))
        _LOADED["active"] = cached
    return key[1], cached[1]


def predict_many(contact_ids: Sequence[int], *, now: dt.datetime | None = None, k: int = TOP_FACTORS,
                 loaded: tuple[int, FittedModel] | None | bool = True) -> dict[int, Prediction]:
    """Probabilities and top factors for many contacts: features for all of them at once, one model call.

    Customers (and past customers) get none: the model answers "will this contact become a customer".
    `loaded`: the model to use (`model_for`), None for none; True (default) reads the active one."""
    if loaded is True:
        loaded = active_model()
    if not loaded or not contact_ids:
        return {}
    import numpy as np

    from plumbline.scoring.training_data import WAS_CUSTOMER_STAGES, features_at

    number, fitted = loaded
    frame = features_at(contact_ids, at=now or timezone.now())
    frame = frame[~frame["lifecycle_stage"].isin(WAS_CUSTOMER_STAGES)]  # the model learnt on non-customers only
    if frame.empty:
        return {}
    probabilities = fitted.predict_proba(frame)
    if k == 0:
        return {int(pk): Prediction(float(p), number, []) for pk, p in zip(frame.index, probabilities, strict=True)}
    contributions, _bias = fitted.estimator.contributions(fitted.pipeline.transform(frame))
    scaled = contributions * fitted.calibrator.slope
    names = fitted.features
    out = {}
    for row, contact_id in enumerate(frame.index):
        order = np.argsort(-np.abs(scaled[row]), kind="stable")[:k]
        factors = [_factor(fitted, names[j], float(scaled[row, j]), frame.iloc[row]) for j in order
                   if scaled[row, j] != 0.0]
        out[int(contact_id)] = Prediction(float(probabilities[row]), number, factors)
    return out


def _factor(fitted: FittedModel, feature: str, contribution: float, row: pd.Series) -> dict[str, Any]:
    from plumbline.scoring.training_data import feature_label

    value = row[fitted.pipeline.source_of(feature)]
    value = plain(value)
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 2)
    return {"feature": feature, "label": feature_label(feature), "value": value,
            "contribution": round(contribution, 4)}


@contextmanager
def predictions_prefetched(contact_ids: Sequence[int], *, now: dt.datetime | None = None) -> Iterator[None]:
    """Within the block, do_score_contact takes these contacts' predictions from one bulk `predict_many` call."""
    at = now or timezone.now()
    try:
        predictions = predict_many(contact_ids, now=at)
    except UnusableTrainingData as exc:
        logger.warning("predictive model unusable, scores keep no probability: %s", exc.message)
        predictions = {}
    token = _PREFETCHED.set(_Prefetched(at, frozenset(contact_ids), predictions))
    try:
        yield
    finally:
        _PREFETCHED.reset(token)


def prediction_for(contact_id: int, *, now: dt.datetime, explicit_now: bool = True,
                   model_key: tuple[Any, ...] | None | bool = True) -> Prediction | None:
    """The contact's prediction: prefetched in bulk when available, else predicted now; None without a model.
    `model_key`: the active model's key when the caller has read it (None: no active model)."""
    prefetched = _PREFETCHED.get()
    if prefetched is not None and contact_id in prefetched.covered and (not explicit_now or prefetched.at == now):
        return prefetched.predictions.get(contact_id)
    if model_key is None:
        return None
    try:
        loaded = active_model() if model_key is True else model_for(model_key)
        return predict_many([contact_id], now=now, loaded=loaded).get(contact_id)
    except UnusableTrainingData as exc:  # a stored model this code cannot use must not stop scoring
        logger.warning("predictive model unusable, score keeps no probability: %s", exc.message)
        return None


def plain(value: Any) -> Any:
    """A value as JSON: numpy numbers as int/float, NaN and missing as None."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value if isinstance(value, int | float | str) else str(value)
