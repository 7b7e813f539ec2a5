"""Rule-based models. Each gives every step a weight, the weights of a path sum to 1, and a channel is
credited the weighted sum of the conversions (and value) of the paths it appears in.

A channel touched twice in a path is credited twice (as ChannelAttribution's linear model does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plumbline.analytics.attribution.paths import Paths
from plumbline.analytics.attribution.results import credit_chosen, credit_evenly, credit_steps

DIRECT_CHANNELS = frozenset({"direct", "(direct)", "direct traffic"})


def first_touch(paths: Paths) -> pd.DataFrame:
    """All credit to the first touch."""
    return credit_chosen(paths, paths.starts)


def last_touch(paths: Paths) -> pd.DataFrame:
    """All credit to the last touch."""
    return credit_chosen(paths, paths.offsets[1:] - 1)


def last_non_direct_touch(paths: Paths, *, direct: frozenset[str] = DIRECT_CHANNELS) -> pd.DataFrame:
    """All credit to the last touch that is not a direct visit; to the last touch if all are direct."""
    is_direct = paths.channel_mask(set(direct))[paths.codes]
    candidate = np.where(is_direct, -1, np.arange(len(paths.codes)))
    last_non_direct = np.maximum.reduceat(candidate, paths.starts)
    chosen = np.where(last_non_direct >= 0, last_non_direct, paths.offsets[1:] - 1)
    return credit_chosen(paths, chosen)


def linear_touch(paths: Paths) -> pd.DataFrame:
    """Equal credit to every touch."""
    return credit_evenly(paths, 1.0 / paths.lengths)


def time_decay(paths: Paths, *, half_life: float | None = None) -> pd.DataFrame:
    """Credit halves every `half_life` before the conversion.

    With timestamps (journey tables) ages are in days and the default half-life is 7 days. Path files
    carry no time, so the age of a touch is the number of steps after it and the default half-life is
    1 step: each touch gets half the weight of the next one.
    """
    if paths.ages is not None:
        ages, default = paths.ages, 7.0
    else:
        ages, default = (np.repeat(paths.lengths, paths.lengths) - 1 - paths.position).astype(float), 1.0
    half_life = default if half_life is None else half_life
    if not half_life > 0:
        raise ValueError("half_life must be positive")
    # Ages relative to the youngest touch of each path keep the largest weight at 1 (no underflow).
    youngest = np.minimum.reduceat(ages, paths.starts)
    raw = np.exp2(-(ages - np.repeat(youngest, paths.lengths)) / half_life)
    return credit_steps(paths, raw / np.repeat(np.add.reduceat(raw, paths.starts), paths.lengths))


def u_shaped(paths: Paths, *, first: float = 0.4, last: float = 0.4) -> pd.DataFrame:
    """Position-based: `first` to the first touch, `last` to the last, the rest split over the middle.

    A one-touch path gives it all; a two-touch path splits in the ratio first:last.
    """
    _check_shares(first, last)
    n = np.repeat(paths.lengths, paths.lengths)
    pos = paths.position
    middle = (1.0 - first - last) / np.maximum(n - 2, 1)
    weights = np.where(pos == 0, first, np.where(pos == n - 1, last, middle))
    two = n == 2
    weights[two] = np.where(pos[two] == 0, first, last) / (first + last)
    weights[n == 1] = 1.0
    return credit_steps(paths, weights)


def w_shaped(
    paths: Paths, *, first: float = 0.3, lead: float = 0.3, opportunity: float = 0.3
) -> pd.DataFrame:
    """`first` to the first touch, `lead` to the lead-creation touch, `opportunity` to the
    opportunity-creation touch, the rest split evenly over the other touches.

    Milestone touches come from the journey table's `milestone` column. Where a milestone is unknown
    (always, for path files) the fallback is: lead creation at the middle touch (position n // 2) and
    opportunity creation at the last touch. Shares of milestones that fall on the same touch add up;
    when no other touch is left for the rest, the milestone shares are scaled to sum to 1.
    """
    _check_shares(first, lead, opportunity)
    lead_pos, opportunity_pos = _milestone_positions(paths)
    weights = np.zeros(len(paths.codes))
    for share, positions in ((first, 0), (lead, lead_pos), (opportunity, opportunity_pos)):
        np.add.at(weights, paths.starts + positions, share)
    is_milestone = weights > 0
    others = paths.lengths - np.add.reduceat(is_milestone.astype(np.int64), paths.starts)
    rest = (1.0 - first - lead - opportunity) / np.maximum(others, 1)
    weights = np.where(is_milestone, weights, np.repeat(rest, paths.lengths))
    return credit_steps(paths, weights / np.repeat(np.add.reduceat(weights, paths.starts), paths.lengths))


def _milestone_positions(paths: Paths) -> tuple[np.ndarray, np.ndarray]:
    lead_fallback, opportunity_fallback = paths.lengths // 2, paths.lengths - 1
    if paths.milestones is None:
        return lead_fallback, opportunity_fallback
    lead, opportunity = paths.milestones[:, 0], paths.milestones[:, 1]
    lead = np.where((lead >= 0) & (lead < paths.lengths), lead, lead_fallback)
    opportunity = np.where(
        (opportunity >= 0) & (opportunity < paths.lengths), opportunity, opportunity_fallback
    )
    return lead, opportunity


def _check_shares(*shares: float) -> None:
    if any(share < 0 for share in shares) or sum(shares) > 1 + 1e-12 or sum(shares) <= 0:
        raise ValueError("position shares must be non-negative, positive in total and sum to at most 1")
