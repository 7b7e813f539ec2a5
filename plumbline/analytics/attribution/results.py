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


def credit_chosen(paths: Paths, steps: np.ndarray) -> pd.DataFrame:
    """Credit one step per path (`steps[i]` of path i) with all its path's conversions and value: the
    same sums as `credit_steps` with weight 1 on those steps and 0 elsewhere, without per-step arrays."""
    chosen = paths.codes[steps]
    return channel_frame(
        paths,
        np.bincount(chosen, weights=paths.conversions, minlength=paths.n_channels),
        np.bincount(chosen, weights=paths.value, minlength=paths.n_channels),
    )


def credit_evenly(paths: Paths, share: np.ndarray) -> pd.DataFrame:
    """Credit every step of path i `share[i]` times its path's conversions and value: the same products
    as `credit_steps` with weight share[i] on each step of path i, formed once per path."""
    return channel_frame(
        paths,
        np.bincount(
            paths.codes,
            weights=np.repeat(share * paths.conversions, paths.lengths),
            minlength=paths.n_channels,
        ),
        np.bincount(
            paths.codes, weights=np.repeat(share * paths.value, paths.lengths), minlength=paths.n_channels
        ),
    )


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
