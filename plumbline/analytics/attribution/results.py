"""The shape every model returns: one row per channel (sorted by name) with `channel`, `conversions`
and `value`, plus model-specific columns such as Markov's `removal_effect`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from plumbline.analytics.attribution.paths import Paths


def credit_steps(paths: Paths, weights: np.ndarray) -> pd.DataFrame:
    """Credit each step `weight` times its path's conversions and value; sum per channel."""
    conversions = np.bincount(
        paths.codes, weights=weights * paths.conversions[paths.row_of_step], minlength=paths.n_channels
    )
    value = np.bincount(
        paths.codes, weights=weights * paths.value[paths.row_of_step], minlength=paths.n_channels
    )
    return channel_frame(paths, conversions, value)


def channel_frame(
    paths: Paths, conversions: np.ndarray, value: np.ndarray, **extra: np.ndarray
) -> pd.DataFrame:
    """Assemble the per-channel result frame."""
    frame = pd.DataFrame(
        {"channel": paths.channels.astype(str), "conversions": conversions, "value": value, **extra}
    )
    return frame.reset_index(drop=True)


def proportional(shares: np.ndarray, total: float) -> np.ndarray:
    """Split `total` in proportion to non-negative `shares` (all zero when the shares are)."""
    shares = np.clip(shares, 0.0, None)
    denominator = shares.sum()
    return shares / denominator * total if denominator > 0 else np.zeros_like(shares, dtype=float)
