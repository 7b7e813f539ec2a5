"""`Paths`: customer journeys as flat numpy arrays, the one input every attribution model takes.

Rows are unique paths (from a path file) or single journeys (from a journey table). Steps are stored
CSR-style: the steps of row i are `codes[offsets[i]:offsets[i + 1]]`, each an index into `channels`
(sorted by name, so results come out in the same order whatever engine produced the rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True, eq=False)
class Paths:
    """Journeys with their outcomes.

    `ages` (optional) holds, per step, the days between the touch and the conversion; `milestones`
    (optional) holds, per row, the step index of the lead-creation and opportunity-creation touches
    (-1 when unknown). `has_value` tells whether conversion values were given.
    """

    channels: np.ndarray
    offsets: np.ndarray
    codes: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray
    has_value: bool = False
    ages: np.ndarray | None = None
    milestones: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @cached_property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @cached_property
    def starts(self) -> np.ndarray:
        return self.offsets[:-1]

    @cached_property
    def row_of_step(self) -> np.ndarray:
        """For every step, the index of its row."""
        return np.repeat(np.arange(self.n_rows), self.lengths)

    @cached_property
    def position(self) -> np.ndarray:
        """For every step, its 0-based position inside its row."""
        return np.arange(len(self.codes)) - np.repeat(self.starts, self.lengths)

    def channel_mask(self, names: set[str]) -> np.ndarray:
        """Boolean mask over channels whose name (trimmed, case-insensitive) is in `names`."""
        wanted = {name.strip().lower() for name in names}
        return np.array([str(c).strip().lower() in wanted for c in self.channels], dtype=bool)

    def labels(self, codes: np.ndarray) -> list[str]:
        return [str(self.channels[c]) for c in codes]


def paths_from_arrow(table: pa.Table, *, has_value: bool) -> Paths:
    """Build `Paths` from an Arrow table with columns steps (list of channel names), conversions, value,
    nulls and optionally ages (list of days, aligned with steps) and lead_step/opportunity_step."""
    table = table.filter(pc.greater(pc.list_value_length(table["steps"]), 0))
    steps = pa.chunked_array(table["steps"]).combine_chunks()
    offsets = np.asarray(steps.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    names = pc.list_flatten(steps).dictionary_encode()
    channels, codes = _sorted_codes(names)
    return Paths(
        channels=channels,
        offsets=offsets,
        codes=codes,
        conversions=_floats(table, "conversions"),
        value=_floats(table, "value"),
        nulls=_floats(table, "nulls"),
        has_value=has_value,
        ages=_ages(table),
        milestones=_milestones(table),
    )


def paths_from_steps(
    counts: np.ndarray,
    codes: np.ndarray,
    channels: np.ndarray,
    outcomes: dict[str, np.ndarray],
    *,
    has_value: bool,
) -> Paths:
    """Build `Paths` from flat steps: row i has `counts[i]` steps, `codes` holds every step's index into
    `channels` in row order; `outcomes` holds per-row conversions and optionally value and nulls. Rows
    without steps are dropped."""
    n_rows = len(outcomes["conversions"])
    present = counts > 0
    zeros = np.zeros(n_rows)
    return Paths(
        channels=channels,
        offsets=np.concatenate([[0], np.cumsum(counts[present])]).astype(np.int64),
        codes=codes,
        conversions=np.asarray(outcomes["conversions"], dtype=float)[present],
        value=np.asarray(outcomes.get("value", zeros), dtype=float)[present],
        nulls=np.asarray(outcomes.get("nulls", zeros), dtype=float)[present],
        has_value=has_value,
    )


def _sorted_codes(encoded: pa.DictionaryArray) -> tuple[np.ndarray, np.ndarray]:
    dictionary = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(dictionary.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    indices = np.asarray(encoded.indices, dtype=np.int64)
    return dictionary[order], rank[indices]


def _floats(table: pa.Table, name: str) -> np.ndarray:
    column = pc.fill_null(table[name].cast(pa.float64()), 0.0)
    return np.asarray(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)


def _ages(table: pa.Table) -> np.ndarray | None:
    if "ages" not in table.column_names:
        return None
    flat = pc.list_flatten(pa.chunked_array(table["ages"]).combine_chunks())
    return np.asarray(pc.fill_null(flat.cast(pa.float64()), 0.0))


def _milestones(table: pa.Table) -> np.ndarray | None:
    if "lead_step" not in table.column_names:
        return None
    lead = np.asarray(pc.fill_null(table["lead_step"].cast(pa.int64()), -1))
    opportunity = np.asarray(pc.fill_null(table["opportunity_step"].cast(pa.int64()), -1))
    return np.column_stack([lead, opportunity])
