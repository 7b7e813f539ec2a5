"""The fitted model as one object the app can version and store: predict, explain, serialise.

`to_bytes()` is a joblib pickle with a small header; `from_bytes()` refuses bytes of another format version.
Pickles run code when loaded: load only bytes that Plumbline itself wrote and stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import joblib
import numpy as np
import pandas as pd

from plumbline.scoring.predictive.errors import UnusableTrainingData
from plumbline.scoring.predictive.estimators import BoostedTrees, Logistic, PlattCalibrator
from plumbline.scoring.predictive.features import FeaturePipeline

FORMAT = "plumbline.predictive"
FORMAT_VERSION = 1


def _library_versions() -> dict[str, str]:
    return {name: version(name) for name in ("lightgbm", "scikit-learn", "numpy", "pandas")}


@dataclass
class FittedModel:
    """A trained pipeline + estimator + calibration, with what the app shows about it."""

    pipeline: FeaturePipeline
    estimator: BoostedTrees | Logistic
    calibrator: PlattCalibrator
    kind: str
    target: str
    rows: int
    positive_rate: float
    positive_label: str = "1"
    inner_scores: dict[str, dict[str, float]] = field(default_factory=dict)
    cv_metrics: dict[str, Any] | None = None
    trained_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    versions: dict[str, str] = field(default_factory=_library_versions)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the positive class for each row."""
        return self.calibrator.probability(self.estimator.margin(self.pipeline.transform(frame)))

    @property
    def features(self) -> list[str]:
        return self.pipeline.feature_names

    @property
    def metadata(self) -> dict[str, Any]:
        """JSON-ready description: what the model page and the stored version record show."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "target": self.target,
            "positive_label": self.positive_label,
            "rows": self.rows,
            "positive_rate": self.positive_rate,
            "features": self.features,
            "columns": self.pipeline.describe(),
            "inner_scores": self.inner_scores,
            "cv_metrics": self.cv_metrics,
            "calibration": {"method": "platt", "slope": self.calibrator.slope, "intercept": self.calibrator.intercept},
            "trained_at": self.trained_at,
            "versions": self.versions,
        }

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump({"format": FORMAT, "format_version": FORMAT_VERSION, "model": self}, buffer, compress=3)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> FittedModel:
        try:
            payload = joblib.load(io.BytesIO(data))
        except Exception as exc:  # any unreadable blob is the same problem to the caller
            raise UnusableTrainingData(f"Stored model cannot be read: {exc}.") from exc
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise UnusableTrainingData("Stored bytes are not a Plumbline predictive model.")
        if payload.get("format_version") != FORMAT_VERSION:
            raise UnusableTrainingData(
                f"Stored model has format version {payload.get('format_version')}; this Plumbline reads "
                f"version {FORMAT_VERSION}. Retrain it with `plumbline scoring train`."
            )
        return payload["model"]
