"""ALS-WR: planted low-rank recovery, the ALS-WR optimum, fold-in, fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms.als import ALS
from recommender.algorithms.base import RatingMatrix
from tests.recommender.conftest import rmse


def planted_low_rank(n_users=200, n_items=120, rank=3, density=0.4, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    user_f = rng.normal(0, 1, (n_users, rank))
    item_f = rng.normal(0, 1, (n_items, rank))
    truth = 3.0 + rng.normal(0, 0.5, (n_users, 1)) + rng.normal(0, 0.5, (1, n_items))
    truth = truth + user_f @ item_f.T
    mask = rng.random(truth.shape) < density
    users, items = np.nonzero(mask)
    values = truth[users, items] + rng.normal(0, noise, len(users)) if noise else truth[mask]
    data = RatingMatrix.from_triples(users, items, values, n_users, n_items)
    return data, truth, mask


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_it_recovers_a_planted_low_rank_matrix(solver):
    data, truth, mask = planted_low_rank()
    model = ALS(rank=3, reg=1e-4, n_iter=40, solver=solver, random_state=0).fit(data)
    users, items = np.nonzero(~mask)
    # The unseen 60% of the matrix, from 40% of it: near-exact completion.
    assert rmse(model.predict(users, items), truth[users, items]) < 0.05 * np.std(truth)


def test_cg_and_exact_solvers_reach_the_same_model():
    data, _, _ = planted_low_rank(noise=0.3)
    params = {"rank": 3, "reg": 0.05, "n_iter": 30, "random_state": 1}
    cg = ALS(solver="cg", cg_steps=3, **params).fit(data)
    exact = ALS(solver="cholesky", **params).fit(data)
    users, items = np.nonzero(np.ones(data.shape, bool))
    assert rmse(cg.predict(users, items), exact.predict(users, items)) < 0.01


def test_each_user_vector_is_the_alsw_wr_least_squares_solution():
    # After the final half-step every user solves its own ridge problem exactly.
    data, _, _ = planted_low_rank(noise=0.5, n_users=30, n_items=25)
    model = ALS(
        rank=4, reg=0.3, reg_bias=0.1, prior=3.0, n_iter=5, solver="cholesky", random_state=0
    )
    model.fit(data)
    u = 7
    rated = data.items[data.users == u]
    target = data.values[data.users == u] - model.global_mean_ - model.item_bias_[rated]
    feats = np.hstack([model.item_factors_[rated], np.ones((len(rated), 1))])
    penalty = np.diag([0.3] * 4 + [0.1]) * (len(rated) + 3.0)  # (n_u + prior) weighting
    expected = np.linalg.solve(feats.T @ feats + penalty, feats.T @ target)
    np.testing.assert_allclose(model.user_factors_[u], expected[:4], atol=1e-4)
    assert model.user_bias_[u] == pytest.approx(expected[4], abs=1e-4)


def test_fold_in_equals_the_full_refit_user_vector():
    data, _, _ = planted_low_rank(noise=0.3)
    model = ALS(rank=5, reg=0.1, n_iter=10, solver="cholesky", random_state=0).fit(data)
    u = 11
    items, values = data.items[data.users == u], data.values[data.users == u]
    vector, bias = model.fold_in(items, values)
    np.testing.assert_allclose(vector, model.user_factors_[u], atol=1e-4)
    assert bias == pytest.approx(model.user_bias_[u], abs=1e-4)
    scores = model.predict_folded(vector, bias)
    fitted = model.predict(np.full(data.n_items, u), np.arange(data.n_items))
    np.testing.assert_allclose(scores, fitted, atol=1e-3)


def test_fold_in_of_a_new_user_matches_training_with_that_user():
    data, _, _ = planted_low_rank(noise=0.2, seed=3)
    newcomer = data.users == data.n_users - 1
    without = ALS(rank=3, reg=0.05, n_iter=15, random_state=0).fit(data.subset(~newcomer))
    with_user = ALS(rank=3, reg=0.05, n_iter=15, random_state=0).fit(data)
    vector, bias = without.fold_in(data.items[newcomer], data.values[newcomer])
    folded = without.predict_folded(vector, bias)
    refit = with_user.predict(np.full(data.n_items, data.n_users - 1), np.arange(data.n_items))
    # Different item factors (one user fewer), same taste: scores agree closely.
    assert np.corrcoef(folded, refit)[0, 1] > 0.98


def test_unknown_users_and_items_get_mean_plus_known_bias():
    data, _, _ = planted_low_rank(n_users=20, n_items=10)
    model = ALS(rank=2, n_iter=3, random_state=0).fit(data)
    mu = model.global_mean_
    scores = model.predict([25, 3, 25, -1], [4, 12, 30, 4])
    assert scores[0] == pytest.approx(mu + model.item_bias_[4], rel=1e-6)
    assert scores[1] == pytest.approx(mu + model.user_bias_[3], rel=1e-6)
    assert scores[2] == pytest.approx(mu)
    assert scores[3] == pytest.approx(scores[0])
    vector, bias = model.fold_in([99, -5], [4.0, 1.0])
    assert not vector.any() and bias == 0.0


def test_users_and_items_without_ratings_have_zero_factors():
    data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 1], [4.0, 2.0, 5.0], n_users=4, n_items=3)
    model = ALS(rank=2, n_iter=3, random_state=0).fit(data)
    assert not model.user_factors_[2:].any() and not model.item_factors_[2].any()
    assert model.item_bias_[2] == 0.0


def test_zero_ratings_are_real_ratings():
    # On a -2..4 scale a 0 is information, not a missing entry.
    data = RatingMatrix.from_triples([0, 1, 2], [0, 0, 0], [0.0, 0.0, 0.0], n_users=3, n_items=2)
    model = ALS(rank=2, n_iter=2, random_state=0).fit(data)
    assert model.global_mean_ == 0.0
    assert model.predict([0], [0])[0] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    "params",
    [{"rank": 0}, {"reg": -1.0}, {"solver": "svd"}, {"cg_steps": 0}, {"dtype": "int8"}],
)
def test_bad_hyper_parameters_are_rejected(params):
    data, _, _ = planted_low_rank(n_users=5, n_items=5, density=1.0)
    with pytest.raises(ValueError):
        ALS(**params).fit(data)


def test_float64_gives_the_same_model_as_float32():
    data, _, _ = planted_low_rank(noise=0.3)
    users, items = data.users, data.items
    single = ALS(rank=4, n_iter=8, random_state=0).fit(data).predict(users, items)
    double = ALS(rank=4, n_iter=8, random_state=0, dtype="float64").fit(data)
    assert double.user_factors_.dtype == np.float64
    np.testing.assert_allclose(single, double.predict(users, items), atol=1e-3)


def test_using_an_unfitted_model_is_a_clear_error():
    with pytest.raises(RuntimeError, match="not fitted"):
        ALS().predict([0], [0])
