"""The Odoo-style naive-Bayes baseline, as Odoo's CRM predictive lead scoring computes it.

Odoo (addons/crm/models/crm_lead.py, `_pls_update_frequency_table` and `_pls_get_naive_bayes_probabilities`)
keeps, per field and value, a won count and a lost count, each created with 0.1 added ("should be +1 but it
weights too much on small recordset"). A lead's score is

    S(won)  = P(won)  * prod over its fields of  won_count(field, value)  / won_total(field)
    S(lost) = P(lost) * prod over its fields of  lost_count(field, value) / lost_total(field)
    probability = S(won) / (S(won) + S(lost))

where won_total(field) sums the (smoothed) won counts of every value of that field, and the priors come from
the first stage's counts, which every closed lead increments: P(won) = (won + 0.1) / (won + lost + 0.2).
As in Odoo, unset values are neither counted nor scored, and a value never seen in training is skipped.

Two deliberate differences, both needed to score a table rather than Odoo records: Odoo only scores
discrete fields, so a numeric column with more than `max_levels` distinct training values is cut into `bins`
quantile bins (edges from the training rows; values beyond them fall in the end bins), and the probability
is not rounded to 2 decimals of a percent (rounding would turn some scores into exact 0 or 1). The product is
taken as a sum of logarithms, which is the same number without underflow over many fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SMOOTHING = 0.1


@dataclass
class FieldTable:
    """Smoothed won/lost counts per value of one field, and how raw values map to those values."""

    won: dict[str, float]
    lost: dict[str, float]
    edges: np.ndarray | None = None  # quantile bin edges for a binned numeric column

    @property
    def won_total(self) -> float:
        return float(sum(self.won.values()))

    @property
    def lost_total(self) -> float:
        return float(sum(self.lost.values()))


@dataclass
class NaiveBayes:
    """Per-field won/lost frequency tables with +0.1 smoothing, combined as Odoo does."""

    max_levels: int = 10
    bins: int = 10
    tables: dict[str, FieldTable] = field(default_factory=dict)
    prior_won: float = 0.5

    def fit(self, cleaned: pd.DataFrame, y: np.ndarray) -> NaiveBayes:
        """`cleaned` holds typed values with NaN for unset (FeaturePipeline.clean)."""
        y = np.asarray(y).astype(bool)
        won, lost = float(y.sum()), float((~y).sum())
        self.prior_won = (won + SMOOTHING) / (won + lost + 2 * SMOOTHING)
        self.tables = {}
        for name in cleaned.columns:
            column = cleaned[name]
            edges = self._edges(column)
            values = self._values(column, edges)
            present = values.notna().to_numpy()
            counts = pd.crosstab(values[present], y[present])
            table = FieldTable(won={}, lost={}, edges=edges)
            for value, row in counts.iterrows():
                table.won[str(value)] = float(row.get(True, 0)) + SMOOTHING
                table.lost[str(value)] = float(row.get(False, 0)) + SMOOTHING
            if table.won:
                self.tables[str(name)] = table
        return self

    def predict_proba(self, cleaned: pd.DataFrame) -> np.ndarray:
        log_won = np.full(len(cleaned), np.log(self.prior_won))
        log_lost = np.full(len(cleaned), np.log(1.0 - self.prior_won))
        for name, table in self.tables.items():
            values = self._values(cleaned[name], table.edges)
            # unset and never-seen values get code -1 and add nothing, as Odoo skips them
            known = list(table.won)
            codes = pd.Index(known).get_indexer(values)
            won_ratio = np.log(np.array([table.won[v] for v in known]) / table.won_total)
            lost_ratio = np.log(np.array([table.lost[v] for v in known]) / table.lost_total)
            seen = codes >= 0
            log_won[seen] += won_ratio[codes[seen]]
            log_lost[seen] += lost_ratio[codes[seen]]
        return 1.0 / (1.0 + np.exp(log_lost - log_won))

    def _edges(self, column: pd.Series) -> np.ndarray | None:
        if not pd.api.types.is_numeric_dtype(column):
            return None
        present = column.dropna().to_numpy(dtype=float)
        if len(np.unique(present)) <= self.max_levels:
            return None
        return np.unique(np.quantile(present, np.linspace(0, 1, self.bins + 1)[1:-1]))

    @staticmethod
    def _values(column: pd.Series, edges: np.ndarray | None) -> pd.Series:
        """The discrete value of each row as text (NaN when unset): the bin number, or the value itself."""
        if not pd.api.types.is_numeric_dtype(column):
            text = column.astype("string").to_numpy(dtype=object, na_value=np.nan)
            return pd.Series(text, index=column.index, dtype=object)
        numbers = column.to_numpy(dtype=float, na_value=np.nan)
        present = ~np.isnan(numbers)
        text = np.full(len(numbers), np.nan, dtype=object)
        if edges is not None:
            bins = np.searchsorted(edges, numbers[present], side="right")
            text[present] = np.char.add("bin", bins.astype(str)).astype(object)
        else:
            whole = present & (np.mod(numbers, 1, where=present, out=np.ones_like(numbers)) == 0)
            text[whole] = numbers[whole].astype(np.int64).astype(str).astype(object)
            text[present & ~whole] = numbers[present & ~whole].astype(str).astype(object)
        return pd.Series(text, index=column.index, dtype=object)
