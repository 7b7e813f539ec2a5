"""Multi-touch attribution over customer paths: which channels get credit for conversions and value.

    from plumbline.analytics import attribution

    paths = attribution.load("Data.csv")                # path file or journey table, DuckDB by default
    attribution.attribute(paths, "markov", order=2)     # DataFrame: channel, conversions, value, removal_effect
    attribution.compare(paths)                          # every model side by side

Every model conserves totals: the credited conversions (and values) sum to those of the input paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from plumbline.analytics.attribution.heuristics import (
    first_touch,
    last_non_direct_touch,
    last_touch,
    linear_touch,
    time_decay,
    u_shaped,
    w_shaped,
)
from plumbline.analytics.attribution.loaders import InputError, load, read_journeys, read_path_file
from plumbline.analytics.attribution.markov import MarkovChain, markov_chain, markov_model
from plumbline.analytics.attribution.paths import Paths
from plumbline.analytics.attribution.shapley import shapley

MODELS: dict[str, Callable[..., pd.DataFrame]] = {
    "first": first_touch,
    "last": last_touch,
    "last-non-direct": last_non_direct_touch,
    "linear": linear_touch,
    "time-decay": time_decay,
    "u-shaped": u_shaped,
    "w-shaped": w_shaped,
    "markov": markov_model,
    "shapley": shapley,
}

__all__ = [
    "MODELS",
    "InputError",
    "MarkovChain",
    "Paths",
    "attribute",
    "compare",
    "load",
    "markov_chain",
    "read_journeys",
    "read_path_file",
]


def attribute(paths: Paths, model: str, **options: Any) -> pd.DataFrame:
    """Run one model by name; `options` go to the model (e.g. order=3 for markov, half_life=14)."""
    try:
        function = MODELS[model]
    except KeyError:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}") from None
    return function(paths, **options)


def compare(paths: Paths, *, order: int = 1) -> pd.DataFrame:
    """Every model side by side: columns `<model>_conversions`, `<model>_value` and the Markov removal
    effect, one row per channel."""
    frame = pd.DataFrame({"channel": paths.channels.astype(str)})
    for name in MODELS:
        result = attribute(paths, name, order=order) if name == "markov" else attribute(paths, name)
        for column in result.columns.drop("channel"):
            frame[f"{name}_{column}"] = result[column].to_numpy()
    return frame
