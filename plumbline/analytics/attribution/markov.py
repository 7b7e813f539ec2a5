"""Markov-chain attribution of order 1 to 4 with exact removal effects.

The chain (Anderl et al. 2014, as in ChannelAttribution): every path becomes
(start) -> s1 -> s2 -> ... -> (conversion) or (null), where the states s are the windows of `order`
consecutive touches (a path shorter than `order` is one state) and repeated consecutive states collapse
into one. Transitions are counted over all paths, weighted by their conversions plus nulls.

The removal effect of a channel is the share of the conversion probability lost when every state that
contains the channel leads to (null) instead. ChannelAttribution estimates these probabilities by
simulating random walks; here they are solved exactly. With Q the transient part of the transition
matrix, p the start distribution and r the one-step conversion probabilities, the expected number of
visits x solves (I - Q)^T x = p and P(conversion) = x . r. Removing a channel deletes its states' rows
and columns, one more linear solve per channel. The expected converted value is x . v, where v[s] is
the value that leaves state s into (conversion) per unit of its outgoing weight, so value credits are
exact too. Credited conversions (value) are the removal effects scaled to sum to the total conversions
(value).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from plumbline.analytics.attribution.paths import Paths
from plumbline.analytics.attribution.results import channel_frame, proportional

MAX_ORDER = 4
DENSE_LIMIT = 1000  # up to this many states, one dense LU per channel is fastest
CONVERGENCE = 1e-15
MAX_ITERATIONS = 100_000


@dataclass(frozen=True, eq=False)
class MarkovChain:
    """Transition counts of an order-k chain; states are integer keys of channel windows."""

    order: int
    channels: np.ndarray
    keys: np.ndarray
    transitions: sp.csr_matrix
    start: np.ndarray
    to_conversion: np.ndarray
    to_null: np.ndarray
    conversion_value: np.ndarray

    @cached_property
    def out_weight(self) -> np.ndarray:
        return np.asarray(self.transitions.sum(axis=1)).ravel() + self.to_conversion + self.to_null

    @cached_property
    def contains(self) -> np.ndarray:
        """Boolean matrix: state s contains channel c."""
        base = len(self.channels) + 1
        result = np.zeros((len(self.keys), len(self.channels)), dtype=bool)
        for j in range(self.order):
            digit = (self.keys // base ** (self.order - 1 - j)) % base
            present = digit > 0
            result[np.nonzero(present)[0], digit[present] - 1] = True
        return result

    def state_labels(self, sep: str = ">") -> list[str]:
        base = len(self.channels) + 1
        digits = [(self.keys // base ** (self.order - 1 - j)) % base for j in range(self.order)]
        return [
            sep.join(str(self.channels[d[i] - 1]) for d in digits if d[i] > 0) for i in range(len(self.keys))
        ]

    def transition_matrix(self, sep: str = ">") -> pd.DataFrame:
        """Transition probabilities as rows (from, to, probability), including (start), (conversion)
        and (null)."""
        labels = np.array(self.state_labels(sep), dtype=object)
        out = self.out_weight
        coo = self.transitions.tocoo()
        parts = [
            (
                np.full(np.count_nonzero(self.start), "(start)"),
                labels[self.start > 0],
                self.start[self.start > 0] / self.start.sum(),
            ),
            (labels[coo.row], labels[coo.col], coo.data / out[coo.row]),
            (
                labels[self.to_conversion > 0],
                "(conversion)",
                self.to_conversion[self.to_conversion > 0] / out[self.to_conversion > 0],
            ),
            (labels[self.to_null > 0], "(null)", self.to_null[self.to_null > 0] / out[self.to_null > 0]),
        ]
        frames = [pd.DataFrame({"from": f, "to": t, "probability": p}) for f, t, p in parts]
        return pd.concat(frames, ignore_index=True)

    def conversion_probability(self, removed: int | None = None) -> tuple[float, float]:
        """Exact probability of conversion and expected converted value of the full chain, or with
        channel `removed` (an index into `channels`) taken out."""
        conversions, value = self.removal_outcomes()
        column = 0 if removed is None else removed + 1
        return float(conversions[column]), float(value[column])

    def removal_outcomes(self) -> tuple[np.ndarray, np.ndarray]:
        """P(conversion) and E(converted value): entry 0 for the full chain, entry c + 1 with channel c
        removed."""
        if self.start.sum() == 0:
            return np.zeros(len(self.channels) + 1), np.zeros(len(self.channels) + 1)
        out = self.out_weight
        keep = np.column_stack([np.ones(len(self.keys), dtype=bool), ~self.contains])
        visits = _expected_visits(
            (sp.diags(1 / out) @ self.transitions).T.tocsr(), self.start / self.start.sum(), keep
        )
        return (self.to_conversion / out) @ visits, (self.conversion_value / out) @ visits


def markov_model(paths: Paths, *, order: int = 1) -> pd.DataFrame:
    """Credited conversions and value per channel, with the removal effect of each channel."""
    chain = markov_chain(paths, order=order)
    conversions, value = chain.removal_outcomes()
    effect = _removal_effect(conversions[0], conversions[1:])
    value_effect = _removal_effect(value[0], value[1:])
    return channel_frame(
        paths,
        proportional(effect, paths.conversions.sum()),
        proportional(value_effect, paths.value.sum()),
        removal_effect=effect,
    )


def markov_chain(paths: Paths, *, order: int = 1) -> MarkovChain:
    """Count the transitions of the order-`order` chain over all paths (vectorised, no per-path loop)."""
    if not isinstance(order, int | np.integer) or not 1 <= order <= MAX_ORDER:
        raise ValueError(f"order must be an integer from 1 to {MAX_ORDER}")
    base = paths.n_channels + 1
    if base**order >= 2**62:
        raise ValueError(f"too many channels ({paths.n_channels}) for a chain of order {order}")
    weight = paths.conversions + paths.nulls
    keys, rows = _state_sequences(paths, order, base)
    keep_row = weight[rows] > 0
    keys, rows = keys[keep_row], rows[keep_row]
    unique, states = _dense_ids(keys, base**order)
    return _count(paths, order, unique, states, rows, weight)


def _dense_ids(keys: np.ndarray, key_space: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and each key's index among them; a lookup table (O(n)) when the key space
    is small, a sort otherwise."""
    if key_space > 1 << 24:
        unique, states = np.unique(keys, return_inverse=True)
        return unique, states.astype(np.int64)
    present = np.zeros(key_space, dtype=bool)
    present[keys] = True
    unique = np.flatnonzero(present)
    lookup = np.cumsum(present) - 1
    return unique, lookup[keys]


def _state_sequences(paths: Paths, order: int, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the order-k windows of every path, consecutive repeats collapsed, and their rows."""
    lengths = np.repeat(paths.lengths, paths.lengths)
    pos = paths.position
    starts_window = (pos <= lengths - order) | ((pos == 0) & (lengths < order))
    index = np.nonzero(starts_window)[0]
    remaining = (lengths - pos)[index]
    keys = np.zeros(len(index), dtype=np.int64)
    codes = paths.codes.astype(np.int64) + 1
    for j in range(order):
        digit = np.where(j < remaining, codes[np.minimum(index + j, len(codes) - 1)], 0)
        keys = keys * base + digit
    rows = paths.row_of_step[index]
    repeated = np.zeros(len(keys), dtype=bool)
    repeated[1:] = (keys[1:] == keys[:-1]) & (rows[1:] == rows[:-1])
    return keys[~repeated], rows[~repeated]


def _count(
    paths: Paths, order: int, unique: np.ndarray, states: np.ndarray, rows: np.ndarray, weight: np.ndarray
) -> MarkovChain:
    n = len(unique)
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = rows[:-1] != rows[1:]
    inner = np.nonzero(~last)[0]
    transitions = sp.csr_matrix((weight[rows[inner]], (states[inner], states[inner + 1])), shape=(n, n))
    transitions.sum_duplicates()
    end_rows = rows[last]
    return MarkovChain(
        order=order,
        channels=paths.channels,
        keys=unique,
        transitions=transitions,
        start=np.bincount(states[first], weights=weight[rows[first]], minlength=n),
        to_conversion=np.bincount(states[last], weights=paths.conversions[end_rows], minlength=n),
        to_null=np.bincount(states[last], weights=paths.nulls[end_rows], minlength=n),
        conversion_value=np.bincount(states[last], weights=paths.value[end_rows], minlength=n),
    )


def _removal_effect(base: float, removed: np.ndarray) -> np.ndarray:
    if base <= 0:
        return np.zeros_like(removed)
    return np.clip(1.0 - removed / base, 0.0, 1.0)


def _expected_visits(transposed: sp.csr_matrix, start: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Expected visits to each transient state, one column per chain variant; variant j keeps the
    states where keep[:, j] is true and sends the others to (null). Solves (I - Q_j)^T x = p_j."""
    if transposed.shape[0] <= DENSE_LIMIT:
        system = np.identity(transposed.shape[0]) - transposed.toarray()
        visits = np.zeros(keep.shape)
        for j in range(keep.shape[1]):
            kept = keep[:, j]
            if kept.any():
                visits[kept, j] = np.linalg.solve(system[np.ix_(kept, kept)], start[kept])
        return visits
    return _neumann(transposed, start, keep)


def _neumann(transposed: sp.csr_matrix, start: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Fixed point x = p + Q^T x (the Neumann series of (I - Q^T)^-1 p), all variants at once.

    Q is substochastic and every state can reach absorption, so the iteration converges geometrically;
    it stops when an iteration changes no column by more than 1e-15 of its sum (machine precision).
    Sparse LU is no option for orders >= 3: the de Bruijn-like state graph fills in almost densely.
    """
    base = keep * start[:, None]
    visits = base.copy()
    for _ in range(MAX_ITERATIONS):
        updated = base + keep * (transposed @ visits)
        change = np.abs(updated - visits).sum(axis=0)
        visits = updated
        if (change <= CONVERGENCE * np.maximum(visits.sum(axis=0), 1e-300)).all():
            return visits
    raise ArithmeticError("the Markov chain did not converge; is there a cycle that never ends?")
