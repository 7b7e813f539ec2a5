"""Turn a labelled column into a 0/1 target.

The positive class is `positive` when given (matched on its text, so "1" finds 1 and 1.0). Otherwise, for a
two-valued column, it is the value that reads as a success ("yes", "y", "true", "t", "1", "won", "win",
"positive", "pos", "success", "converted", "customer", case-insensitive); failing that, the minority class
(ties: the value that sorts last). A column with more than two values needs `positive`: that value against
all others. Rows without a target are dropped, and their count is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from plumbline.scoring.predictive.errors import UnusableTrainingData

SUCCESS_WORDS = frozenset(
    {"yes", "y", "true", "t", "1", "won", "win", "positive", "pos", "success", "converted", "customer"}
)


@dataclass(frozen=True)
class Target:
    """A 0/1 target aligned with the rows kept, and how it was read."""

    y: np.ndarray
    keep: np.ndarray  # boolean mask over the input rows that have a target
    column: str
    positive_label: str
    dropped_rows: int


def label_text(value: object) -> str:
    """The text a label is matched on: floats holding whole numbers lose their ".0", booleans read "true"."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def resolve_target(frame: pd.DataFrame, column: str, positive: str | None = None) -> Target:
    if column not in frame.columns:
        raise UnusableTrainingData(
            f"Target column {column!r} is not in the table (columns: {', '.join(map(str, frame.columns))}).",
            field="target",
        )
    raw = frame[column]
    keep = raw.notna().to_numpy().copy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        keep &= raw.astype("string").str.strip().fillna("").ne("").to_numpy()
    texts = pd.Series([label_text(v) for v in raw[keep]], dtype="object")
    distinct = sorted(set(texts))
    if len(distinct) < 2:
        found = distinct[0] if distinct else "nothing"
        raise UnusableTrainingData(
            f"Target column {column!r} has one class only ({found!r}); a model needs both outcomes.",
            field="target",
        )
    positive_label = _positive_label(column, distinct, texts, positive)
    y = (texts == positive_label).to_numpy(dtype=np.int8)
    if y.sum() == len(y):
        raise UnusableTrainingData(f"Every row of {column!r} is {positive_label!r}.", field="target")
    return Target(y=y, keep=keep, column=column, positive_label=positive_label, dropped_rows=int((~keep).sum()))


def _positive_label(column: str, distinct: list[str], texts: pd.Series, positive: str | None) -> str:
    if positive is not None:
        wanted = label_text(positive)
        for value in distinct:
            if value == wanted or value.lower() == wanted.lower():
                return value
        raise UnusableTrainingData(
            f"--positive {positive!r} is not a value of {column!r} (values: {', '.join(distinct[:20])}).",
            field="positive",
        )
    if len(distinct) > 2:
        raise UnusableTrainingData(
            f"Target column {column!r} has {len(distinct)} values; name the positive one with --positive.",
            field="positive",
        )
    successes = [value for value in distinct if value.lower() in SUCCESS_WORDS]
    if len(successes) == 1:
        return successes[0]
    counts = texts.value_counts()
    return min(reversed(distinct), key=lambda value: counts[value])
