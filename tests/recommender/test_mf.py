"""Biased matrix factorisation in torch: recovery, determinism, fallbacks, thread hygiene."""

import numpy as np
import pytest
import torch

from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.baseline import Baseline
from recommender.algorithms.mf import MatrixFactorization, torch_threads
from tests.recommender.cases_extra import planted


def rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def small_mf(**kw):
    params = dict(n_factors=8, n_epochs=25, lr=0.03, reg=0.002, batch_size=128, random_state=0)
    return MatrixFactorization(**{**params, **kw})


def test_it_recovers_a_planted_low_rank_matrix():
    train, (users, items, truth), _ = planted(rank=2, density=0.5, seed=0)
    model = small_mf().fit(train)
    baseline_error = rmse(Baseline().fit(train).predict(users, items), truth)
    assert rmse(model.predict(users, items), truth) < 0.25 * baseline_error


def test_same_seed_same_model_other_seed_other_model():
    train, (users, items, _), _ = planted(seed=1)
    first = small_mf(n_epochs=3, random_state=7).fit(train)
    second = small_mf(n_epochs=3, random_state=7).fit(train)
    third = small_mf(n_epochs=3, random_state=8).fit(train)
    np.testing.assert_array_equal(first.item_factors_, second.item_factors_)
    np.testing.assert_array_equal(first.predict(users, items), second.predict(users, items))
    assert not np.array_equal(first.item_factors_, third.item_factors_)


def test_items_without_training_ratings_fall_back_to_the_baseline():
    # Item 2 exists in the shape but nobody rated it; user 5 is outside the shape.
    data = RatingMatrix.from_triples([0, 0, 1, 1], [0, 1, 0, 1], [5.0, 1.0, 4.0, 2.0], 2, 3)
    model = small_mf(n_epochs=5).fit(data)
    assert not model.item_factors_[2].any() and model.item_bias_[2] == 0
    expected = model.global_mean_ + model.user_bias_[0]
    assert model.predict([0], [2])[0] == pytest.approx(expected, abs=1e-6)
    assert model.predict([5], [9])[0] == pytest.approx(model.global_mean_, abs=1e-6)


def test_fit_restores_the_torch_thread_count():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    train, _, _ = planted(seed=2)
    small_mf(n_epochs=1, n_threads=1).fit(train)
    assert torch.get_num_threads() == before


def test_empty_input_and_bad_parameters():
    empty = RatingMatrix.from_triples([], [], [], 0, 0)
    assert small_mf().fit(empty).predict([0], [0]).tolist() == [0.0]
    with pytest.raises(ValueError):
        small_mf(n_factors=0).fit(empty)
