"""The Odoo-style naive-Bayes baseline against hand-computed figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plumbline.scoring.predictive.naive_bayes import NaiveBayes

# 2 won, 3 lost; color red (1 won, 1 lost), blue (1 won, 2 lost); size 1 (2 won), size 2 (3 lost)
TRAIN = pd.DataFrame({"color": ["red", "red", "blue", "blue", "blue"], "size": [1.0, 2.0, 1.0, 2.0, 2.0]})
WON = np.array([1, 0, 1, 0, 0])


def test_frequency_tables_add_a_tenth_to_every_count_and_priors_come_from_smoothed_totals():
    # when the baseline learns the five rows
    model = NaiveBayes().fit(TRAIN, WON)

    # then each (field, value) holds won + 0.1 and lost + 0.1, and P(won) = 2.1 / 5.2
    assert model.tables["color"].won == {"blue": 1.1, "red": 1.1}
    assert model.tables["color"].lost == {"blue": 2.1, "red": 1.1}
    assert model.tables["size"].won == {"1": 2.1, "2": 0.1}
    assert model.tables["size"].lost == {"1": 0.1, "2": 3.1}
    assert model.prior_won == pytest.approx(2.1 / 5.2)


def test_probability_is_the_won_score_over_won_plus_lost_scores():
    # given the fitted baseline
    model = NaiveBayes().fit(TRAIN, WON)

    # when a red, size-1 lead is scored
    p = model.predict_proba(pd.DataFrame({"color": ["red"], "size": [1.0]}))

    # then S(won) = 2.1/5.2 * 1.1/2.2 * 2.1/2.2 and S(lost) = 3.1/5.2 * 1.1/3.2 * 0.1/3.2
    s_won = 2.1 / 5.2 * (1.1 / 2.2) * (2.1 / 2.2)
    s_lost = 3.1 / 5.2 * (1.1 / 3.2) * (0.1 / 3.2)
    assert p[0] == pytest.approx(s_won / (s_won + s_lost), rel=1e-12)
    assert p[0] == pytest.approx(0.9678, abs=1e-4)


def test_unset_and_never_seen_values_are_skipped_as_in_odoo():
    model = NaiveBayes().fit(TRAIN, WON)

    # when color is missing for one lead and a colour never seen in training for the other
    p = model.predict_proba(pd.DataFrame({"color": [np.nan, "green"], "size": [2.0, 2.0]}))

    # then only size (and the prior) count: S(won) = 2.1/5.2 * 0.1/2.2, S(lost) = 3.1/5.2 * 3.1/3.2
    s_won, s_lost = 2.1 / 5.2 * (0.1 / 2.2), 3.1 / 5.2 * (3.1 / 3.2)
    assert p.tolist() == pytest.approx([s_won / (s_won + s_lost)] * 2, rel=1e-12)


def test_unset_values_are_not_counted_when_learning():
    frame = pd.DataFrame({"color": ["red", None, "blue", "blue"]})
    model = NaiveBayes().fit(frame, np.array([1, 1, 0, 1]))
    assert model.tables["color"].won == {"blue": 1.1, "red": 1.1}
    assert model.tables["color"].lost == {"blue": 1.1, "red": 0.1}
    assert model.prior_won == pytest.approx(3.1 / 4.2)


def test_numeric_columns_with_many_values_are_cut_into_quantile_bins():
    # given 20 distinct amounts 0..19 and 4 bins
    frame = pd.DataFrame({"amount": np.arange(20, dtype=float)})
    y = (np.arange(20) >= 15).astype(int)

    # when learned
    model = NaiveBayes(bins=4).fit(frame, y)

    # then the edges are the training quartiles and each bin holds five rows
    table = model.tables["amount"]
    assert table.edges.tolist() == [4.75, 9.5, 14.25]
    assert table.won == {"bin0": 0.1, "bin1": 0.1, "bin2": 0.1, "bin3": 5.1}
    assert table.lost == {"bin0": 5.1, "bin1": 5.1, "bin2": 5.1, "bin3": 0.1}
    # and values beyond the training range fall in the end bins (won total 5.4, lost total 15.4)
    p = model.predict_proba(pd.DataFrame({"amount": [-100.0, 1000.0]}))
    low = (5.1 / 20.2 * 0.1 / 5.4) / (5.1 / 20.2 * 0.1 / 5.4 + 15.1 / 20.2 * 5.1 / 15.4)
    high = (5.1 / 20.2 * 5.1 / 5.4) / (5.1 / 20.2 * 5.1 / 5.4 + 15.1 / 20.2 * 0.1 / 15.4)
    assert p.tolist() == pytest.approx([low, high], rel=1e-12)
