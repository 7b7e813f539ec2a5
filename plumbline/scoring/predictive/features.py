"""Feature preparation for any labelled table: column typing, cleaning, missing values, rare levels.

How a column is typed (fitted on the training rows only, then applied unchanged to new rows):
- The target and any excluded column are left out.
- Booleans and pandas categoricals are categorical.
- Numeric dtypes are numeric, integer codes of any cardinality included: their order is kept, trees split
  on it and a linear model reads it as a trend. (The naive-Bayes baseline, which needs discrete values, uses
  a numeric column with at most `NaiveBayes.max_levels` distinct values value by value and cuts the others
  into quantile bins; see naive_bayes.py.)
- Text columns: blanks and the usual missing markers (NA, N/A, null, none, nan, ?, -) are missing. If at
  least `numeric_share` (90%) of the remaining values parse as numbers, the column is numeric and the values
  that do not parse become missing; otherwise it is categorical.
- Dropped, with the reason kept in `dropped`: columns with fewer than two distinct values; text columns with
  more distinct values than half the rows (identifiers, names, free text); integer columns whose values are
  all distinct and either consecutive over at least 20 rows (a row number) or named like an identifier (id, index, rownames,
  "Unnamed: 0").

Missing values: a numeric column gets the training median plus a 0/1 `<column>__missing` indicator when the
training rows had any missing value; a categorical column gets the level "__missing__". Categorical levels
seen fewer than `rare_min_count` times in training, beyond the `max_levels` most frequent, or never seen
are grouped as "__other__".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from plumbline.scoring.predictive.errors import UnusableTrainingData

MISSING = "__missing__"
OTHER = "__other__"
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-", "#n/a"})
IDENTIFIER_NAMES = frozenset({"id", "index", "rownames", "row", "row_id", ""})


@dataclass
class ColumnSpec:
    """How one source column becomes model features."""

    name: str
    kind: Literal["numeric", "categorical"]
    median: float = 0.0
    indicator: bool = False
    levels: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        if self.kind == "numeric" and self.indicator:
            return [self.name, f"{self.name}__missing"]
        return [self.name]


class FeaturePipeline:
    """Learns column types and statistics from training rows; turns any rows into a float feature frame."""

    def __init__(self, *, numeric_share: float = 0.9, rare_min_count: int = 10, max_levels: int = 50) -> None:
        self.numeric_share = numeric_share
        self.rare_min_count = rare_min_count
        self.max_levels = max_levels
        self.specs: list[ColumnSpec] = []
        self.dropped: dict[str, str] = {}

    def fit(self, frame: pd.DataFrame, *, exclude: tuple[str, ...] = ()) -> FeaturePipeline:
        self.specs, self.dropped = [], {}
        for name in frame.columns:
            if name in exclude:
                continue
            spec_or_reason = self._fit_column(str(name), frame[name])
            if isinstance(spec_or_reason, str):
                self.dropped[str(name)] = spec_or_reason
            else:
                self.specs.append(spec_or_reason)
        if not self.specs:
            raise UnusableTrainingData(
                "No usable feature column: " + "; ".join(f"{k}: {v}" for k, v in self.dropped.items())
                if self.dropped
                else "The table has no feature column besides the target."
            )
        return self

    @property
    def feature_names(self) -> list[str]:
        return [name for spec in self.specs for name in spec.features]

    @property
    def categorical_features(self) -> list[str]:
        return [spec.name for spec in self.specs if spec.kind == "categorical"]

    def source_of(self, feature: str) -> str:
        for spec in self.specs:
            if feature in spec.features:
                return spec.name
        raise KeyError(feature)

    def clean(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Typed values before imputation: numeric as float with NaN, categorical as text with NaN."""
        self._require_columns(frame)
        out = {}
        for spec in self.specs:
            if spec.kind == "numeric":
                out[spec.name] = coerce_numeric(frame[spec.name])
            else:
                out[spec.name] = as_text(frame[spec.name])
        return pd.DataFrame(out, index=frame.index)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Model input: imputed numerics, missing indicators, categorical level codes (0..levels-1)."""
        cleaned = self.clean(frame)
        out: dict[str, np.ndarray] = {}
        for spec in self.specs:
            values = cleaned[spec.name]
            if spec.kind == "numeric":
                missing = values.isna().to_numpy()
                out[spec.name] = np.where(missing, spec.median, values.to_numpy(dtype=float, na_value=np.nan))
                if spec.indicator:
                    out[f"{spec.name}__missing"] = missing.astype(float)
            else:
                out[spec.name] = self._codes(spec, values)
        return pd.DataFrame(out, index=frame.index, columns=self.feature_names)

    def describe(self) -> dict[str, object]:
        return {
            "columns": [
                {"name": s.name, "kind": s.kind, "levels": len(s.levels), "missing_indicator": s.indicator}
                for s in self.specs
            ],
            "dropped": dict(self.dropped),
        }

    def _require_columns(self, frame: pd.DataFrame) -> None:
        missing = [spec.name for spec in self.specs if spec.name not in frame.columns]
        if missing:
            raise UnusableTrainingData(f"Rows lack the model's columns: {', '.join(missing)}.")

    def _fit_column(self, name: str, column: pd.Series) -> ColumnSpec | str:
        rows = len(column)
        if pd.api.types.is_bool_dtype(column) or isinstance(column.dtype, pd.CategoricalDtype):
            return self._fit_categorical(name, as_text(column))
        if pd.api.types.is_numeric_dtype(column):
            return self._fit_numeric(name, column.astype(float))
        text = as_text(column)
        present = text.dropna()
        if present.empty:
            return "no values"
        parsed = pd.to_numeric(present, errors="coerce")
        if parsed.notna().mean() >= self.numeric_share:
            return self._fit_numeric(name, coerce_numeric(column))
        if rows >= 20 and present.nunique() > rows / 2:
            return "identifier or free text (more distinct values than half the rows)"
        return self._fit_categorical(name, text)

    def _fit_numeric(self, name: str, values: pd.Series) -> ColumnSpec | str:
        present = values.dropna()
        if present.nunique() < 2:
            return "fewer than two distinct values"
        if _looks_like_identifier(name, present, len(values)):
            return "identifier (distinct integers: row number or id)"
        return ColumnSpec(name=name, kind="numeric", median=float(present.median()), indicator=bool(values.isna().any()))

    def _fit_categorical(self, name: str, text: pd.Series) -> ColumnSpec | str:
        counts = text.fillna(MISSING).value_counts()
        if len(counts) < 2:
            return "fewer than two distinct values"
        frequent = [level for level, n in counts.items() if n >= self.rare_min_count and level != MISSING]
        levels = [MISSING, OTHER, *sorted(frequent[: self.max_levels])]
        return ColumnSpec(name=name, kind="categorical", levels=levels)

    @staticmethod
    def _codes(spec: ColumnSpec, values: pd.Series) -> np.ndarray:
        lookup = {level: float(code) for code, level in enumerate(spec.levels)}
        other = lookup[OTHER]
        filled = values.fillna(MISSING)
        return filled.map(lambda v: lookup.get(v, other)).to_numpy(dtype=float)


def as_text(column: pd.Series) -> pd.Series:
    """Stripped text with the usual missing markers turned into NaN; booleans read "true"/"false"."""
    if pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        # the common case, done in vectorised string operations
        text = column.astype("string").str.strip()
        text = text.mask(text.str.lower().isin(MISSING_MARKERS))
        return pd.Series(text.to_numpy(dtype=object, na_value=np.nan), index=column.index, dtype=object)

    def one(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return np.nan
        if isinstance(value, bool | np.bool_):
            return "true" if value else "false"
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        text = str(value).strip()
        return np.nan if text.lower() in MISSING_MARKERS else text

    return pd.Series([one(v) for v in column.to_numpy(dtype=object)], index=column.index, dtype=object)


def coerce_numeric(column: pd.Series) -> pd.Series:
    """Numbers as float; anything that does not parse (text in a numeric column) becomes NaN."""
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    return pd.to_numeric(as_text(column), errors="coerce").astype(float)


def _looks_like_identifier(name: str, present: pd.Series, rows: int) -> bool:
    if not (present % 1 == 0).all() or present.nunique() != len(present) or len(present) < rows:
        return False
    normalised = name.strip().lower()
    consecutive = len(present) >= 20 and present.max() - present.min() + 1 == len(present)
    return consecutive or normalised in IDENTIFIER_NAMES or normalised.startswith("unnamed:")
