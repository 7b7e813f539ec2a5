"""Shapley-value attribution, exact, over the channel sets observed in the data.

The cooperative game is the one of Zhao et al. (2018, "Shapley value methods for attribution modeling
in online advertising"): the worth of a coalition S of channels is the conversions (or value) of all
paths whose set of channels is a subset of S, v(S) = sum over observed sets T within S of c(T). Such a
v is the sum of unanimity games c(T) * u_T, and the Shapley value of u_T gives 1/|T| to each member of
T, so the exact Shapley value of a channel is the sum over observed sets T containing it of c(T)/|T|:
one pass over the distinct (path, channel) pairs instead of 2^n coalitions. v(all channels) is the
total, so the credits conserve it (efficiency).

The ordered variant (same paper) splits each channel's value by the rank at which it first appears in
the path, which shows whether a channel opens journeys or closes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plumbline.analytics.attribution.paths import Paths
from plumbline.analytics.attribution.results import channel_frame


def shapley(paths: Paths) -> pd.DataFrame:
    """Exact Shapley credit per channel (see module docstring)."""
    rows, codes, _ = _distinct_touches(paths)
    share = 1.0 / np.bincount(rows, minlength=paths.n_rows)[rows]
    conversions = np.bincount(codes, weights=paths.conversions[rows] * share, minlength=paths.n_channels)
    value = np.bincount(codes, weights=paths.value[rows] * share, minlength=paths.n_channels)
    return channel_frame(paths, conversions, value)


def ordered_shapley(paths: Paths) -> pd.DataFrame:
    """Shapley credit per channel and first-touch rank (1 = the channel opened the path).

    Columns: channel, rank, conversions, value; only (channel, rank) pairs that occur are listed, and
    summing over ranks gives `shapley`.
    """
    rows, codes, first_step = _distinct_touches(paths)
    by_step = np.argsort(first_step, kind="stable")
    rows, codes = rows[by_step], codes[by_step]
    starts = np.searchsorted(rows, np.arange(paths.n_rows))
    rank = np.arange(len(rows)) - starts[rows]
    share = 1.0 / np.bincount(rows, minlength=paths.n_rows)[rows]
    frame = pd.DataFrame(
        {
            "channel": paths.channels.astype(str)[codes],
            "rank": rank + 1,
            "conversions": paths.conversions[rows] * share,
            "value": paths.value[rows] * share,
        }
    )
    grouped = frame.groupby(["channel", "rank"], as_index=False, sort=True)[["conversions", "value"]].sum()
    return grouped.reset_index(drop=True)


def _distinct_touches(paths: Paths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each (path, channel) pair once: its row, channel code and the step where it first occurs."""
    key = paths.row_of_step.astype(np.int64) * paths.n_channels + paths.codes
    unique, first_step = np.unique(key, return_index=True)
    return unique // paths.n_channels, unique % paths.n_channels, first_step
