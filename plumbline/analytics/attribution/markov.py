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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from plumbline.analytics.attribution import MAX_ORDER
from plumbline.analytics.attribution.paths import Paths
from plumbline.analytics.attribution.results import channel_frame, proportional

if TYPE_CHECKING:
    import scipy.sparse as sp

# scipy.sparse is imported where a chain is built or solved: it takes about 0.2 s to import, and the
# rule-based models, which share this package's import, never need it.

DENSE_LIMIT = 1000  # up to this many states, one dense LU per channel is fastest
DENSE_PAIRS = 1 << 22  # up to this many state pairs, transitions are counted in a dense array
CONVERGENCE = 1e-15
MAX_ITERATIONS = 100_000


@dataclass(frozen=True, eq=False)
class MarkovChain:
    """Transition counts of an order-k chain; states are integer keys of channel windows.

    `counts` holds the summed weights of the moves between states: a dense n x n array for small chains
    (no scipy needed to build or solve them), a sparse matrix otherwise; `transitions` is it as CSR."""

    order: int
    channels: np.ndarray
    keys: np.ndarray
    counts: np.ndarray | sp.csr_matrix
    start: np.ndarray
    to_conversion: np.ndarray
    to_null: np.ndarray
    conversion_value: np.ndarray

    @cached_property
    def transitions(self) -> sp.csr_matrix:
        import scipy.sparse as sp

        return sp.csr_matrix(self.counts) if isinstance(self.counts, np.ndarray) else self.counts

    @cached_property
    def out_weight(self) -> np.ndarray:
        if isinstance(self.counts, np.ndarray):
            # a CSR row sum adds the row's entries from 0 in column order; zero entries change no sum
            moved = np.zeros(len(self.keys))
            for column in self.counts.T:
                moved += column
        else:
            moved = np.asarray(self.counts.sum(axis=1)).ravel()
        return moved + self.to_conversion + self.to_null

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
        if isinstance(self.counts, np.ndarray) and len(self.keys) <= DENSE_LIMIT:
            # the products diags(1 / out) @ transitions forms, on the stored (non-zero) entries only
            probabilities = np.zeros(self.counts.shape)
            np.multiply(self.counts, (1 / out)[:, None], out=probabilities, where=self.counts != 0)
            transposed = probabilities.T
        else:
            import scipy.sparse as sp

            transposed = (sp.diags(1 / out) @ self.transitions).T.tocsr()
        visits = _expected_visits(transposed, self.start / self.start.sum(), keep)
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
    kept = weight > 0
    codes, lengths = paths.codes, paths.lengths
    if not kept.all():
        codes, lengths = codes[np.repeat(kept, lengths)], lengths[kept]
    keys, first = _state_sequences(codes, lengths, order, base)
    unique, states = _dense_ids(keys, base**order)
    outcomes = (weight[kept], paths.conversions[kept], paths.nulls[kept], paths.value[kept])
    return _count(paths.channels, order, unique, states, first, *outcomes)


def _dense_ids(keys: np.ndarray, key_space: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and each key's index among them; a lookup table (O(n)) when the key space
    is small, a sort otherwise."""
    if key_space > 1 << 24:
        unique, states = np.unique(keys, return_inverse=True)
        return unique.astype(np.int64), states.astype(np.int64)
    present = np.zeros(key_space, dtype=bool)
    present[keys] = True
    unique = np.flatnonzero(present)
    lookup = (np.cumsum(present) - 1).astype(np.int32)
    return unique, lookup[keys]


def _state_sequences(
    codes: np.ndarray, lengths: np.ndarray, order: int, base: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the order-k windows of every path (a path shorter than k is one window, padded with 0
    digits), consecutive repeats collapsed, and a flag on the first state of each path."""
    size = len(codes)
    row_start = np.zeros(size + 1, dtype=bool)
    row_start[np.cumsum(lengths) - lengths] = True
    row_start = row_start[:size]
    # int32 keys when they fit: half the memory traffic over millions of steps.
    digits = np.add(codes, 1, dtype=np.int32 if base**order < 2**31 else np.int64)
    keys = digits
    if order > 1:
        # inside[i]: the window from step i still lies in its path after j more steps.
        inside = np.ones(size, dtype=bool)
        for j in range(1, order):
            reach = max(size - j, 0)  # steps whose j-th successor exists at all
            inside[reach:] = False
            inside[:reach] &= ~row_start[j:]
            digit = np.zeros(size, dtype=digits.dtype)
            digit[:reach] = digits[j:]
            keys = keys * base + np.where(inside, digit, 0)
        window = inside | row_start
        keys, row_start = keys[window], row_start[window]
    kept = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=kept[1:])
    kept[1:] |= row_start[1:]
    return keys[kept], row_start[kept]


def _count(
    channels: np.ndarray,
    order: int,
    unique: np.ndarray,
    states: np.ndarray,
    first: np.ndarray,
    weight: np.ndarray,
    conversions: np.ndarray,
    nulls: np.ndarray,
    value: np.ndarray,
) -> MarkovChain:
    """The chain from the state sequences; `first` flags the first state of each path and the per-path
    arrays (weight = conversions + nulls, ...) hold one entry per path, in order."""
    n = len(unique)
    last = np.ones(len(states), dtype=bool)
    last[:-1] = first[1:]
    # The weight of the move from each state to the next: its path's weight, but none from the last
    # state of a path (the next state starts another path).
    moves = np.repeat(weight, np.diff(np.append(np.flatnonzero(first), len(states))))
    moves[last] = 0.0
    return MarkovChain(
        order=order,
        channels=channels,
        keys=unique,
        counts=_transition_counts(states, moves, n),
        start=np.bincount(states[first], weights=weight, minlength=n),
        to_conversion=np.bincount(states[last], weights=conversions, minlength=n),
        to_null=np.bincount(states[last], weights=nulls, minlength=n),
        conversion_value=np.bincount(states[last], weights=value, minlength=n),
    )


def _transition_counts(states: np.ndarray, moves: np.ndarray, n: int) -> np.ndarray | sp.csr_matrix:
    """Summed weights of the moves states[i] -> states[i + 1] (weight moves[i], positive or 0 for no
    move) as an n x n matrix: a dense array from one bincount when n x n is small (orders 1 and 2, as a
    rule), scipy's COO summed into CSR otherwise. Adding the zero-weight moves changes no sum."""
    if n * n <= DENSE_PAIRS:
        pairs = np.multiply(states[:-1], n, dtype=np.int64)
        pairs += states[1:]
        return np.bincount(pairs, weights=moves[:-1], minlength=n * n).reshape(n, n)
    import scipy.sparse as sp

    inner = np.flatnonzero(moves[:-1])
    transitions = sp.csr_matrix((moves[inner], (states[inner], states[inner + 1])), shape=(n, n))
    transitions.sum_duplicates()
    return transitions


def _removal_effect(base: float, removed: np.ndarray) -> np.ndarray:
    if base <= 0:
        return np.zeros_like(removed)
    return np.clip(1.0 - removed / base, 0.0, 1.0)


def _expected_visits(
    transposed: np.ndarray | sp.csr_matrix, start: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """Expected visits to each transient state, one column per chain variant; variant j keeps the
    states where keep[:, j] is true and sends the others to (null). Solves (I - Q_j)^T x = p_j."""
    if transposed.shape[0] <= DENSE_LIMIT:
        dense = transposed if isinstance(transposed, np.ndarray) else transposed.toarray()
        system = np.identity(transposed.shape[0]) - dense
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
