from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from plumbline.analytics.attribution import attribute, markov, markov_chain, read_path_file
from plumbline.analytics.attribution.markov import _neumann

from .conftest import random_path_frame


def _paths(*rows):
    return read_path_file(
        pd.DataFrame(rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"])
    )


def _f(x):
    return float(Fraction(x))


@pytest.fixture
def cyclic():
    # start->a 3, start->b 2; a->b 1, a->conv 1, a->null 3; b->a 2, b->conv 1 (worked out by hand:
    # P(conv)=2/5; without a 2/15, without b 3/25; E(value)=16/5; without a 4/3, without b 18/25)
    return _paths(("a > b", 1, 10.0, 0), ("b > a", 0, 0.0, 2), ("a", 1, 6.0, 1))


def test_order_1_removal_effects_equal_the_hand_computed_chain(cyclic):
    result = attribute(cyclic, "markov")
    assert result.removal_effect.tolist() == pytest.approx([_f("2/3"), _f("7/10")], rel=1e-12)
    assert result.conversions.tolist() == pytest.approx([_f("40/41"), _f("42/41")], rel=1e-12)
    assert result.value.tolist() == pytest.approx([_f("1120/163"), _f("1488/163")], rel=1e-12)


def test_base_probabilities_equal_the_hand_computed_chain(cyclic):
    chain = markov_chain(cyclic)
    assert chain.conversion_probability() == pytest.approx((0.4, 3.2), rel=1e-12)
    assert chain.conversion_probability(0) == pytest.approx((_f("2/15"), _f("4/3")), rel=1e-12)
    assert chain.conversion_probability(1) == pytest.approx((_f("3/25"), _f("18/25")), rel=1e-12)


def test_transition_matrix_lists_every_probability(cyclic):
    matrix = markov_chain(cyclic).transition_matrix()
    as_dict = {(f, t): p for f, t, p in matrix.itertuples(index=False)}
    assert as_dict == pytest.approx(
        {
            ("(start)", "a"): 0.6,
            ("(start)", "b"): 0.4,
            ("a", "b"): 0.2,
            ("a", "(conversion)"): 0.2,
            ("a", "(null)"): 0.6,
            ("b", "a"): _f("2/3"),
            ("b", "(conversion)"): _f("1/3"),
        },
        rel=1e-12,
    )


def test_order_2_states_are_windows_and_removal_drops_every_window_with_the_channel():
    # windows: ab->bc->conv, ac->null, bc->conv; P=2/3; without a 1/3, without b or c 0
    paths = _paths(("a > b > c", 1, 0.0, 0), ("a > c", 0, 0.0, 1), ("b > c", 1, 0.0, 0))
    result = attribute(paths, "markov", order=2)
    assert result.removal_effect.tolist() == pytest.approx([0.5, 1.0, 1.0], rel=1e-12)
    assert result.conversions.tolist() == pytest.approx([0.4, 0.8, 0.8], rel=1e-12)


def test_repeated_touches_collapse_and_short_paths_are_one_state():
    chain = markov_chain(_paths(("a > a > b", 1, 0.0, 0), ("c", 1, 0.0, 0)), order=2)
    assert chain.state_labels() == ["a>a", "a>b", "c"]
    chain1 = markov_chain(_paths(("a > a > b", 1, 0.0, 0)), order=1)
    assert chain1.transitions.toarray().tolist() == [[0.0, 1.0], [0.0, 0.0]]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_markov_conserves_totals_at_every_order(order):
    paths = read_path_file(random_path_frame(400, 6, seed=order))
    result = attribute(paths, "markov", order=order)
    assert result.conversions.sum() == pytest.approx(paths.conversions.sum(), rel=1e-12)
    assert result.value.sum() == pytest.approx(paths.value.sum(), rel=1e-12)
    assert ((result.removal_effect >= 0) & (result.removal_effect <= 1)).all()


def test_without_nulls_every_path_converts_and_removal_still_ranks_channels():
    paths = read_path_file(pd.DataFrame({"path": ["a > b", "b", "c > a"], "total_conversions": [1, 1, 1]}))
    result = attribute(paths, "markov")
    assert markov_chain(paths).conversion_probability()[0] == pytest.approx(1.0, rel=1e-12)
    assert result.conversions.sum() == pytest.approx(3.0, rel=1e-12)
    assert result.value.tolist() == [0.0, 0.0, 0.0]


def test_neumann_iteration_matches_dense_lu_for_every_removal():
    paths = read_path_file(random_path_frame(3000, 8, seed=7))
    chain = markov_chain(paths, order=3)
    transposed = (sp.diags(1 / chain.out_weight) @ chain.transitions).T.tocsr()
    start = chain.start / chain.start.sum()
    keep = np.column_stack([np.ones(len(start), dtype=bool), ~chain.contains])
    assert len(start) > 500
    iterated = _neumann(transposed, start, keep)
    system = np.identity(len(start)) - transposed.toarray()
    for j in range(keep.shape[1]):
        kept = keep[:, j]
        exact = np.linalg.solve(system[np.ix_(kept, kept)], start[kept])
        np.testing.assert_allclose(iterated[kept, j], exact, rtol=1e-11, atol=1e-16)
        assert not iterated[~kept, j].any()


def test_bad_order_is_rejected(cyclic):
    for order in (0, 5, 1.5):
        with pytest.raises(ValueError, match="order"):
            attribute(cyclic, "markov", order=order)


def test_order_above_every_path_length_gives_one_state_per_path():
    chain = markov_chain(_paths(("a", 1, 0.0, 0), ("b > a", 0, 0.0, 1)), order=4)
    assert chain.state_labels() == ["a", "b>a"]
    assert (chain.start.tolist(), chain.to_conversion.tolist(), chain.to_null.tolist()) == (
        [1.0, 1.0],
        [1.0, 0.0],
        [0.0, 1.0],
    )


def test_paths_without_conversions_or_nulls_are_left_out_of_the_chain():
    chain = markov_chain(_paths(("a > b", 1, 0.0, 0), ("b > c > a", 0, 0.0, 0), ("c", 0, 0.0, 2)), order=1)
    assert chain.transitions.toarray().tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    assert chain.start.tolist() == [1.0, 0.0, 2.0]


def test_sparse_and_dense_transition_counts_agree(monkeypatch):
    paths = read_path_file(random_path_frame(300, 5, seed=9))
    dense = markov_chain(paths, order=2).transitions
    monkeypatch.setattr(markov, "DENSE_PAIRS", 0)
    sparse = markov_chain(paths, order=2).transitions
    assert (sparse != dense).nnz == 0
    assert (sparse.indptr.tolist(), sparse.indices.tolist()) == (
        dense.indptr.tolist(),
        dense.indices.tolist(),
    )


@pytest.mark.parametrize("order", [1, 2])
def test_dense_chains_solve_to_the_same_bits_as_sparse_ones(monkeypatch, order):
    """Small chains are scaled and solved as numpy arrays (no scipy); the numbers are those of the
    sparse route, bit for bit."""
    paths = read_path_file(random_path_frame(400, 6, seed=11))
    dense = markov_chain(paths, order=order)
    assert isinstance(dense.counts, np.ndarray)
    monkeypatch.setattr(markov, "DENSE_PAIRS", 0)
    sparse = markov_chain(paths, order=order)
    assert sp.issparse(sparse.counts)
    assert dense.out_weight.tolist() == sparse.out_weight.tolist()
    for got, expected in zip(dense.removal_outcomes(), sparse.removal_outcomes(), strict=True):
        assert got.tolist() == expected.tolist()
