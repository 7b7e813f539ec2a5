"""Multi-touch attribution over customer paths: which channels get credit for conversions and value.

    from plumbline.analytics import attribution

    paths = attribution.load("Data.csv")                # path file or journey table, DuckDB by default
    attribution.attribute(paths, "markov", order=2)     # DataFrame: channel, conversions, value, removal_effect
    attribution.compare(paths)                          # every model side by side

Every model conserves totals: the credited conversions (and values) sum to those of the input paths.

The model names and the highest Markov order are plain constants; the models, loaders and `MODELS` load
their modules (numpy, pandas, pyarrow) on first use (PEP 562), so the report parameter parsers can import
this package at start-up without them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

    MODELS: dict[str, Callable[..., pd.DataFrame]]

MAX_ORDER = 4  # the highest Markov order
# name -> (module, function), in the order reports and `compare` show them
_MODELS = {
    "first": ("heuristics", "first_touch"),
    "last": ("heuristics", "last_touch"),
    "last-non-direct": ("heuristics", "last_non_direct_touch"),
    "linear": ("heuristics", "linear_touch"),
    "time-decay": ("heuristics", "time_decay"),
    "u-shaped": ("heuristics", "u_shaped"),
    "w-shaped": ("heuristics", "w_shaped"),
    "markov": ("markov", "markov_model"),
    "shapley": ("shapley", "shapley"),
}
MODEL_NAMES = tuple(_MODELS)
_LAZY = {
    **{function: module for module, function in _MODELS.values()},
    "InputError": "loaders", "load": "loaders", "read_journeys": "loaders", "read_path_file": "loaders",
    "MarkovChain": "markov", "markov_chain": "markov", "Paths": "paths",
}

__all__ = [
    "MAX_ORDER",
    "MODELS",
    "MODEL_NAMES",
    "InputError",
    "MarkovChain",
    "Paths",
    "attribute",
    "compare",
    "first_touch",
    "last_non_direct_touch",
    "last_touch",
    "linear_touch",
    "load",
    "markov_chain",
    "markov_model",
    "read_journeys",
    "read_path_file",
    "shapley",
    "time_decay",
    "u_shaped",
    "w_shaped",
]


def _load(module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __getattr__(name: str) -> Any:
    if name == "MODELS":
        value: Any = {model: _load(module, function) for model, (module, function) in _MODELS.items()}
    elif name in _LAZY:
        value = _load(_LAZY[name], name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def attribute(paths: Paths, model: str, **options: Any) -> pd.DataFrame:
    """Run one model by name; `options` go to the model (e.g. order=3 for markov, half_life=14)."""
    try:
        module, function = _MODELS[model]
    except KeyError:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_NAMES)}") from None
    return _load(module, function)(paths, **options)


def compare(paths: Paths, *, order: int = 1) -> pd.DataFrame:
    """Every model side by side: columns `<model>_conversions`, `<model>_value` and the Markov removal
    effect, one row per channel."""
    import pandas as pd

    frame = pd.DataFrame({"channel": paths.channels.astype(str)})
    for name in MODEL_NAMES:
        result = attribute(paths, name, order=order) if name == "markov" else attribute(paths, name)
        for column in result.columns.drop("channel"):
            frame[f"{name}_{column}"] = result[column].to_numpy()
    return frame
