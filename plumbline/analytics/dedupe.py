"""Finding duplicate records: blocking, comparison levels and Fellegi-Sunter weights learnt from the data.

The method is the one splink made popular, kept small enough to read:
1. Blocking: candidate pairs are the pairs that agree exactly on one of a few column sets (same last name and
   first initial, same phone, ...); nobody compares every pair.
2. Comparison: each candidate pair gets a level per compared column: exact, similar (Levenshtein similarity
   >= 0.8 for names, one edit for identifiers), for names an initial that fits, or different; a blank on either
   side is "missing" and counts for nothing.
3. Weights: `u` (how often a level occurs between two random records) is measured on random pairs; `m` (how
   often it occurs between two records of one person) and the share of matches are estimated by
   expectation-maximisation over the candidates' level patterns. A pair's match weight is the prior's log-odds
   plus log2(m/u) per column, its probability 2^w / (1 + 2^w).
Every pair found says why: each column's level and the weight it added, so nobody has to trust a black box.

The record-level work (blocking joins, comparisons, pattern counts) is Ibis, so it runs on DuckDB embedded
and on Spark unchanged (`engine=`); the estimation works on the pattern counts, a few dozen rows, in numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from plumbline.analytics import engines

Kind = Literal["name", "exact", "identifier"]
LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("differs", "initial", "similar", "exact"),
    "exact": ("differs", "exact"),
    "identifier": ("differs", "one edit apart", "exact"),
}
MISSING = -1
SIMILAR = 0.8  # Levenshtein similarity from which two names count as similar
FLOOR = 1e-6  # no level is impossible: keeps every log-ratio finite


@dataclass(frozen=True)
class Comparison:
    column: str
    kind: Kind
    label: str
    # A boolean column: when it is true on both records the comparison is skipped (missing), because its
    # agreement would only repeat others' (an email name built from the person's own names repeats the names).
    unless_both: str | None = None

    @property
    def levels(self) -> tuple[str, ...]:
        return LEVEL_NAMES[self.kind]


@dataclass(frozen=True)
class Settings:
    comparisons: tuple[Comparison, ...]
    blocking: tuple[tuple[str, ...], ...]
    threshold: float = 0.9
    # A blocking key shared by more records than this (a very common surname) is skipped for that rule: its
    # pairs grow with the square of its size and agreeing on it says little. Other rules still reach them.
    max_block: int = 100
    # Rules so strict that the pairs they catch are matches (the same full name and phone): counted, divided by
    # `recall`, over all pairs, they give the prior that two random records match. Without them the prior is
    # estimated by expectation-maximisation over the candidates, which needs duplicates to be common.
    deterministic: tuple[tuple[str, ...], ...] = ()
    recall: float = 0.8
    # With deterministic rules, the share of records assumed to have a duplicate when the rules catch fewer:
    # a floor, so that a base with no exact repeats yet still lets strong evidence through.
    base_rate: float = 0.01
    # Pseudo-pairs pulling each m toward its starting guess: a rule with a handful of pairs cannot drive a level
    # to certainty.
    pseudo_pairs: float = 20.0
    random_pairs: int = 300_000
    iterations: int = 40
    seed: int = 1


@dataclass
class Model:
    """What was learnt: the prior share of matches among candidates, and m and u per column and level."""

    prior: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]

    def weight(self, column: str, level: int) -> float:
        return 0.0 if level == MISSING else math.log2(self.m[column][level] / self.u[column][level])


@dataclass
class Duplicates:
    """Pairs at or above the threshold, most likely first: left_id < right_id, probability, weight, and per
    compared column its level name and weight (`why`)."""

    pairs: pd.DataFrame
    model: Model
    candidates: int
    settings: Settings = field(repr=False)


def _level(c: Comparison, left: ibis.Table, right: ibis.Table) -> ibis.Value:
    a, b = left[c.column], right[c.column]
    missing = a.isnull() | b.isnull() | (a == "") | (b == "")
    if c.unless_both:
        missing = missing | (left[c.unless_both] & right[c.unless_both])
    if c.kind == "exact":
        level = ibis.cases((a == b, 1), else_=0)
    else:
        distance = a.levenshtein(b)
        if c.kind == "name":
            longest = ibis.greatest(a.length(), b.length())
            close = (1 - distance.cast("float64") / longest.cast("float64")) >= SIMILAR
            initial = ((a.length() == 1) | (b.length() == 1)) & (a.substr(0, 1) == b.substr(0, 1))
            level = ibis.cases((a == b, 3), (close, 2), (initial, 1), else_=0)
        else:
            level = ibis.cases((a == b, 2), (distance <= 1, 1), else_=0)
    return ibis.ifelse(missing, MISSING, level).cast("int8")


def _g(i: int) -> str:
    return f"g{i}"


def _compared(pairs: ibis.Table, records: ibis.Table, settings: Settings) -> ibis.Table:
    """The pairs with one level column per comparison (g0, g1, ...), and their `rules` mask when they have one."""
    left, right = records.view(), records.view()
    joined = pairs.join(left, pairs.left_id == left.id).join(right, pairs.right_id == right.id)
    kept = {"rules": pairs.rules} if "rules" in pairs.columns else {}
    return joined.select(
        left_id=pairs.left_id, right_id=pairs.right_id, **kept,
        **{_g(i): _level(c, left, right) for i, c in enumerate(settings.comparisons)},
    )


def _blocked(records: ibis.Table, rules: tuple[tuple[str, ...], ...], max_block: int) -> ibis.Table:
    """Pairs (left_id < right_id) agreeing exactly, and not blank, on every column of at least one rule; `rules`
    has bit i set when rule i caught the pair, so one pass serves every rule's estimate."""
    parts = []
    for bit, rule in enumerate(rules):
        filled = records.filter([records[c].notnull() & (records[c] != "") for c in rule])
        sizes = filled.group_by(list(rule)).aggregate(block_size=filled.count())
        keyed = filled.join(sizes.filter(sizes.block_size <= max_block), list(rule)).select(*records.columns)
        left, right = keyed.view(), keyed.view()
        predicates = [left.id < right.id] + [left[column] == right[column] for column in rule]
        parts.append(left.join(right, predicates).select(left_id=left.id, right_id=right.id,
                                                         bit=ibis.literal(1 << bit, "int64")))
    caught = parts[0].union(*parts[1:], distinct=False) if len(parts) > 1 else parts[0]
    return caught.group_by(["left_id", "right_id"]).aggregate(rules=caught.bit.sum())  # one row per pair


def _patterns(compared: ibis.Table, settings: Settings, engine: str) -> pd.DataFrame:
    """How many pairs have each level pattern (and each `rules` mask, when the pairs have one)."""
    columns = [*(["rules"] if "rules" in compared.columns else []), *(_g(i) for i in range(len(settings.comparisons)))]
    counted = compared.group_by(columns).aggregate(n=compared.count()).order_by(columns)
    return engines.to_arrow(counted, engine=engine).to_pandas()


def _of_rule(counts: pd.DataFrame, bit: int | None, settings: Settings) -> pd.DataFrame:
    """The pattern counts of the pairs rule `bit` caught (None: every pair), without the mask."""
    columns = [_g(i) for i in range(len(settings.comparisons))]
    chosen = counts if bit is None else counts[(counts["rules"] & (1 << bit)) != 0]
    return chosen.groupby(columns, as_index=False)["n"].sum()


def _random_pairs(ids: np.ndarray, n: int, seed: int) -> pa.Table:
    if len(ids) < 2:
        return pa.table({"left_id": pa.array([], "int64"), "right_id": pa.array([], "int64")})
    rng = np.random.default_rng(seed)
    left, right = rng.choice(ids, n), rng.choice(ids, n)
    keep = left != right
    return pa.table({"left_id": left[keep].astype("int64"), "right_id": right[keep].astype("int64")})


def _u(records: ibis.Table, ids: np.ndarray, settings: Settings, engine: str) -> dict[str, list[float]]:
    """How often each level occurs between two records picked at random (nearly all different people)."""
    pairs = ibis.memtable(_random_pairs(ids, settings.random_pairs, settings.seed))
    counts = _patterns(_compared(pairs, records, settings), settings, engine)
    return {c.column: _marginal(counts, i, c) for i, c in enumerate(settings.comparisons)}


def _marginal(counts: pd.DataFrame, i: int, c: Comparison, weights: np.ndarray | None = None,
              toward: list[float] | None = None, pseudo: float = 0.0) -> list[float]:
    """Each level's share among the pairs (weighted by `weights`), with `pseudo` pairs spread as `toward`."""
    w = counts["n"].to_numpy(dtype="float64") * (1.0 if weights is None else weights)
    levels = counts[_g(i)].to_numpy()
    seen = w[levels != MISSING].sum()
    base = toward or [0.0] * len(c.levels)
    shares = [(w[levels == level].sum() + pseudo * base[level] + FLOOR) / (seen + pseudo + FLOOR * len(c.levels))
              for level in range(len(c.levels))]
    return [max(share, FLOOR) for share in shares]


def _initial_m(c: Comparison) -> list[float]:
    return [0.1 / max(len(c.levels) - 1, 1)] * (len(c.levels) - 1) + [0.9]


def _em(counts: pd.DataFrame, model: Model, comps: tuple[Comparison, ...], *, learn: list[int],
        iterations: int, pseudo: float = 0.0) -> tuple[Model, float]:
    """Expectation-maximisation over level patterns with u held fixed: the prior, and m of the comparisons in
    `learn`; the other comparisons are left out (on one blocking rule's pairs, the columns it blocked on agree by
    construction and would teach nothing). With `learn` empty, every comparison counts and only the prior moves.
    Also returns the expected number of matches among the pairs."""
    levels = counts[[_g(i) for i in range(len(comps))]].to_numpy().astype("int64")
    for i in set(range(len(comps))) - set(learn) if learn else ():
        levels[:, i] = MISSING  # blocked on: agrees by construction, says nothing here
    n = counts["n"].to_numpy(dtype="float64")
    prior, m = model.prior, dict(model.m)
    for _ in range(iterations):
        p = _posterior(levels, Model(prior, m, model.u), comps)
        prior = float(min(max((n * p).sum() / n.sum(), FLOOR), 1 - FLOOR))
        for i in learn:
            m[comps[i].column] = _marginal(counts, i, comps[i], p, _initial_m(comps[i]), pseudo)
    expected = float((n * _posterior(levels, Model(prior, m, model.u), comps)).sum())
    return Model(prior, m, model.u), expected


def _estimate(per_rule: list[pd.DataFrame], everything: pd.DataFrame, u: dict[str, list[float]],
              settings: Settings, prior: float | None) -> Model:
    """m of each comparison from the rules that do not block on its column, averaged weighted by the matches
    each rule expects; then the prior: `prior` (from the deterministic rules) or, without one, the share of
    matches among all candidates by expectation-maximisation with m and u fixed."""
    comps = settings.comparisons
    start = Model(0.01, {c.column: _initial_m(c) for c in comps}, u)
    learnt: dict[str, list[tuple[float, list[float]]]] = {c.column: [] for c in comps}
    for rule, counts in zip(settings.blocking, per_rule, strict=True):
        learn = [i for i, c in enumerate(comps) if c.column not in rule]
        if counts.empty or not learn:
            continue
        fitted, expected = _em(counts, start, comps, learn=learn, iterations=settings.iterations,
                               pseudo=settings.pseudo_pairs)
        for i in learn:
            learnt[comps[i].column].append((expected, fitted.m[comps[i].column]))
    m = {}
    for c in comps:
        fits = [(w, ms) for w, ms in learnt[c.column] if w > 0]
        m[c.column] = (list(np.average([ms for _, ms in fits], axis=0, weights=[w for w, _ in fits]))
                       if fits else _initial_m(c))
    if prior is not None:
        return Model(prior, m, u)
    if everything.empty:  # no candidates: no share of matches to estimate
        return Model(FLOOR, m, u)
    model, _ = _em(everything, Model(start.prior, m, u), comps, learn=[], iterations=settings.iterations)
    return model


def _random_match_prior(table: ibis.Table, records: int, settings: Settings, engine: str) -> float | None:
    """The chance that two random records match, from the pairs the deterministic rules catch."""
    if not settings.deterministic or records < 2:
        return None
    caught = _blocked(table, settings.deterministic, max_block=records).count()
    total = records * (records - 1) / 2
    matches = max(float(engines.backend(engine).execute(caught)) / settings.recall, settings.base_rate * records, 1.0)
    return min(matches / total, 0.5)


def _weights(levels: np.ndarray, model: Model, comps: tuple[Comparison, ...]) -> np.ndarray:
    total = np.full(len(levels), math.log2(model.prior / (1 - model.prior)))
    for i, c in enumerate(comps):
        table = np.array([model.weight(c.column, level) for level in range(len(c.levels))] + [0.0])
        total += table[levels[:, i]]  # MISSING (-1) reads the trailing 0.0
    return total


def _posterior(levels: np.ndarray, model: Model, comps: tuple[Comparison, ...]) -> np.ndarray:
    weights = np.clip(_weights(levels, model, comps), -60, 60)
    return 1.0 / (1.0 + np.power(2.0, -weights))


def find_duplicates(records: pd.DataFrame | pa.Table, settings: Settings, *, engine: str = "duckdb") -> Duplicates:
    """Pairs of `records` (an `id` column and the compared columns, as cleaned strings) that are likely the same
    entity, with the model that scored them."""
    table = engines.table(records, engine=engine)
    comps = settings.comparisons
    u = _u(table, np.asarray(records["id"]), settings, engine)
    compared = _compared(_blocked(table, settings.blocking, settings.max_block), table, settings)
    by_mask = _patterns(compared, settings, engine)
    per_rule = [_of_rule(by_mask, bit, settings) for bit in range(len(settings.blocking))]
    counts = _of_rule(by_mask, None, settings)
    model = _estimate(per_rule, counts, u, settings, _random_match_prior(table, len(records), settings, engine))
    levels = counts[[_g(i) for i in range(len(comps))]].to_numpy().astype("int64")
    counts["weight"] = _weights(levels, model, comps)
    counts["probability"] = _posterior(levels, model, comps)
    likely = counts[counts["probability"] >= settings.threshold]
    pairs = _pairs_with(compared, likely, comps, engine)
    pairs["why"] = [
        [(c.label, c.levels[level] if level != MISSING else "missing", round(model.weight(c.column, level), 2))
         for c, level in zip(comps, row, strict=True)]
        for row in pairs[[_g(i) for i in range(len(comps))]].itertuples(index=False)
    ]
    pairs = pairs.sort_values(["probability", "left_id", "right_id"], ascending=[False, True, True])
    return Duplicates(pairs=pairs.reset_index(drop=True), model=model, candidates=int(counts["n"].sum()),
                      settings=settings)


def _key(levels: np.ndarray) -> np.ndarray:
    """One integer per level pattern: levels -1..3 are base-5 digits."""
    return ((levels.astype("int64") + 1) * (5 ** np.arange(levels.shape[1], dtype="int64"))).sum(axis=1)


def _pairs_with(compared: ibis.Table, likely: pd.DataFrame, comps: tuple[Comparison, ...], engine: str) -> pd.DataFrame:
    """The candidate pairs whose level pattern is in `likely`, with its probability and weight."""
    columns = [_g(i) for i in range(len(comps))]
    keys = _key(likely[columns].to_numpy()) if len(likely) else np.zeros(0, "int64")
    key_expr = sum(((compared[c].cast("int64") + 1) * (5**i) for i, c in enumerate(columns)), ibis.literal(0, "int64"))
    picked = compared.mutate(pattern=key_expr)
    picked = picked.filter(picked.pattern.isin([int(k) for k in keys] or [-1])).order_by(["left_id", "right_id"])
    pairs = engines.to_arrow(picked, engine=engine).to_pandas()
    by_key = dict(zip(keys.tolist(), zip(likely["probability"], likely["weight"], strict=True), strict=True))
    pairs["probability"] = [by_key[k][0] for k in pairs["pattern"]]
    pairs["weight"] = [by_key[k][1] for k in pairs["pattern"]]
    return pairs.drop(columns=["pattern", "rules"], errors="ignore")
