"""Metrics on hand-computed examples."""

import math

import numpy as np
import pytest

from recommender.evaluation import metrics


def test_rmse_and_mae_known_answers():
    assert metrics.rmse([1, 2, 3], [2, 2, 5]) == pytest.approx(math.sqrt(5 / 3))
    assert metrics.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert math.isnan(metrics.rmse([], []))
    with pytest.raises(ValueError):
        metrics.rmse([1, 2], [1])


def test_ranking_metrics_on_two_users():
    # User 7: predicted order a(5) c(2) b(4) d(4): relevant (>= 4) are a, b, d.
    # User 9: single test item, not relevant.
    users = [7, 7, 7, 7, 9]
    items = [0, 1, 2, 3, 0]
    truth = [5, 4, 2, 4, 1]
    pred = [0.9, 0.5, 0.8, 0.1, 0.3]
    out = metrics.ranking_metrics(users, items, truth, pred, k=2, threshold=4, min_items=1)
    # precision: user 7 -> 1/2, user 9 -> 0/1 ; recall only user 7 -> 1/3.
    assert out["precision"] == pytest.approx((0.5 + 0.0) / 2)
    assert out["recall"] == pytest.approx(1 / 3)
    ideal = 1 + 1 / math.log2(3)
    assert out["ndcg"] == pytest.approx(1.0 / ideal)


def test_perfect_ranking_has_ndcg_one_and_ties_break_by_item():
    users = np.zeros(4, dtype=int)
    truth = np.array([5, 1, 5, 1])
    out = metrics.ranking_metrics(users, np.arange(4), truth, truth.astype(float), k=3, min_items=1)
    assert out["ndcg"] == pytest.approx(1.0)
    assert out["recall"] == pytest.approx(1.0)
    # All predictions equal: items 0, 1, 2 come first by index.
    flat = metrics.ranking_metrics(users, np.arange(4), truth, np.zeros(4), k=2, min_items=1)
    assert flat["precision"] == pytest.approx(0.5)
    assert metrics.precision_at_k(users, np.arange(4), truth, np.zeros(4), k=2, min_items=1) == 0.5
    assert metrics.recall_at_k(users, np.arange(4), truth, np.zeros(4), k=2, min_items=1) == 0.5
    assert metrics.ndcg_at_k(
        users, np.arange(4), truth, np.zeros(4), k=2, min_items=1
    ) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_users_without_relevant_items_do_not_count_for_recall():
    out = metrics.ranking_metrics(
        [0, 1], [0, 0], [1, 5], [0.0, 0.0], k=10, threshold=4, min_items=1
    )
    assert out["recall"] == 1.0 and out["ndcg"] == 1.0 and out["precision"] == 0.5
    empty = metrics.ranking_metrics([], [], [], [], k=10)
    assert all(math.isnan(empty[m]) for m in ("precision", "recall", "ndcg"))
    assert empty["n_users"] == 0


def test_users_with_too_few_test_items_are_not_ranked():
    # User 0 has 3 test items, users 1 and 2 a single one: with k=2, only user 0 can be
    # ranked (a single item is always "in the top 2"), and the count says so.
    users = np.array([0, 0, 0, 1, 2])
    truth = np.array([5, 1, 4, 5, 5])
    pred = np.array([0.1, 0.9, 0.2, 0.0, 0.0])  # user 0's relevant items ranked last
    out = metrics.ranking_metrics(users, np.arange(5), truth, pred, k=2, threshold=4)
    assert out["n_users"] == 1
    assert out["recall"] == 0.5  # would be (0.5 + 1 + 1) / 3 if single-item users counted
    everyone = metrics.ranking_metrics(users, np.arange(5), truth, pred, k=2, min_items=1)
    assert everyone["n_users"] == 3 and everyone["recall"] == pytest.approx(2.5 / 3)


def test_rating_errors_count_cold_start_works_as_little_known():
    from recommender.evaluation.metrics import rating_errors

    truth = [2.0, 4.0, 0.0, -2.0]
    predicted = [2.0, 2.0, 1.0, 0.0]
    counts = [10, 1, 0, 0]  # the last two works are held out whole
    cold = [False, False, True, True]
    errors = rating_errors(truth, predicted, counts, cold)
    assert errors["n_little_known"] == 3 and errors["n_cold_start"] == 2
    assert errors["rmse_little_known"] == pytest.approx(np.sqrt((4 + 1 + 4) / 3))
    assert errors["rmse_cold_start"] == pytest.approx(np.sqrt((1 + 4) / 2))
    assert errors["rmse"] == pytest.approx(np.sqrt(9 / 4))
