"""Truncated SVD: exact agreement with a dense numpy SVD, recovery of a planted matrix."""

import numpy as np

from recommender.algorithms.baseline import Baseline, fit_biases
from recommender.algorithms.svd import TruncatedSVD
from tests.recommender.cases_extra import planted


def rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def test_one_iteration_is_the_svd_of_the_zero_filled_residuals():
    train, _, _ = planted(seed=3)
    model = TruncatedSVD(n_components=3, n_iter=1, shrinkage=0.0, random_state=0).fit(train)
    mu, bu, bi = fit_biases(train)
    residual = np.zeros(train.shape)
    residual[train.users, train.items] = train.values - (mu + bu[train.users] + bi[train.items])
    u, s, vt = np.linalg.svd(residual, full_matrices=False)
    expected = mu + bu[:, None] + bi[None, :] + (u[:, :3] * s[:3]) @ vt[:3]
    users, items = np.nonzero(np.ones(train.shape))
    got = model.predict(users, items).reshape(train.shape)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_imputation_recovers_a_planted_low_rank_matrix():
    train, (users, items, truth), _ = planted(rank=2, density=0.5, seed=1)
    model = TruncatedSVD(n_components=2, n_iter=30, shrinkage=0.5, random_state=0).fit(train)
    baseline_error = rmse(Baseline().fit(train).predict(users, items), truth)
    error = rmse(model.predict(users, items), truth)
    assert error < 0.25 * baseline_error


def test_it_is_deterministic_and_handles_unknown_indices():
    train, (users, items, _), _ = planted(seed=2)
    first = TruncatedSVD(n_components=4, random_state=5).fit(train).predict(users, items)
    second = TruncatedSVD(n_components=4, random_state=5).fit(train).predict(users, items)
    np.testing.assert_array_equal(first, second)
    model = TruncatedSVD(n_components=4, random_state=5).fit(train)
    expected = model.global_mean_ + model.item_bias_[1]
    assert abs(model.predict([10_000], [1])[0] - expected) < 1e-5


def test_shrinkage_pulls_towards_the_baseline():
    train, (users, items, _), _ = planted(seed=4)
    loose = TruncatedSVD(n_components=4, shrinkage=0.0, random_state=0).fit(train)
    tight = TruncatedSVD(n_components=4, shrinkage=1e6, random_state=0).fit(train)
    base = Baseline().fit(train).predict(users, items)
    np.testing.assert_allclose(tight.predict(users, items), base, atol=1e-5)
    assert rmse(loose.predict(users, items), base) > 0.1
