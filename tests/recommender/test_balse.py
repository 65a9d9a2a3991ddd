"""BALSE: the learned gate follows ALS on popular works and LASSO on little-known ones."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from recommender.algorithms.als import ALS
from recommender.algorithms.balse import BALSE, fit_gate
from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.lasso import Lasso
from tests.recommender.conftest import make_tag_world, rmse


def test_fit_gate_recovers_a_planted_gate():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 100, 5000).astype(float)
    r_als, r_lasso = rng.normal(0, 1, 5000), rng.normal(0, 1, 5000)
    gate = expit(0.2 * (counts - 30.0))
    target = gate * r_als + (1 - gate) * r_lasso
    beta, gamma = fit_gate(counts, r_als, r_lasso, target)
    assert beta == pytest.approx(0.2, rel=1e-2)
    assert gamma == pytest.approx(30.0, abs=0.1)


def _popular_and_rare_world(seed=0):
    # Taste is a tag effect plus a latent effect the tags cannot see: ALS should win
    # where items have many ratings, LASSO where they have almost none.
    world = make_tag_world(n_users=200, n_items=160, density=1.0, noise=0.0, seed=seed)
    rng = np.random.default_rng(seed)
    latent = rng.normal(0, 1, (200, 2)) @ rng.normal(0, 1, (2, 160))
    truth = 5.0 + world.weights @ world.tags.toarray().T + latent
    popularity = np.where(np.arange(160) < 80, 0.7, 0.03)
    mask = rng.random(truth.shape) < popularity[None, :]
    users, items = np.nonzero(mask)
    values = truth[users, items] + rng.normal(0, 0.3, len(users))
    data = RatingMatrix.from_triples(users, items, values, 200, 160)
    return data, world.tags, truth, mask


def test_the_gate_opens_towards_als_with_popularity():
    data, tags, truth, mask = _popular_and_rare_world()
    model = BALSE(
        als=ALS(rank=4, reg=0.05, n_iter=15), lasso=Lasso(alpha=0.01), random_state=0
    ).fit(data, tags)
    assert model.beta_ > 0
    counts = data.item_counts()
    assert model.gate(np.argmax(counts))[0] > 0.8
    assert model.gate(np.argmin(counts))[0] < 0.5
    users, items = np.nonzero(~mask)
    blend = rmse(model.predict(users, items), truth[users, items])
    als = rmse(model.als_.predict(users, items), truth[users, items])
    lasso = rmse(model.lasso_.predict(users, items), truth[users, items])
    assert blend < min(als, lasso)


def test_fold_in_gives_the_same_scores_as_the_fitted_user():
    data, tags, _, _ = _popular_and_rare_world(seed=1)
    model = BALSE(als=ALS(rank=4, solver="cholesky"), random_state=0).fit(data, tags)
    u = 3
    state = model.fold_in(data.items[data.users == u], data.values[data.users == u])
    scores = model.predict_folded(*state)
    np.testing.assert_allclose(scores, model.predict(np.full(160, u), np.arange(160)), atol=1e-3)


def test_sub_models_are_refitted_on_all_ratings_and_templates_untouched():
    data, tags, _, _ = _popular_and_rare_world(seed=2)
    template = ALS(rank=3, n_iter=5)
    model = BALSE(als=template, random_state=0).fit(data, tags)
    assert not hasattr(template, "user_factors_")
    np.testing.assert_array_equal(model.item_counts_, data.item_counts())
    refit = ALS(rank=3, n_iter=5, random_state=model.als_.random_state).fit(data)
    np.testing.assert_allclose(model.als_.item_factors_, refit.item_factors_)


def test_validation_fraction_must_be_a_fraction():
    data, tags, _, _ = _popular_and_rare_world()
    with pytest.raises(ValueError, match="validation_fraction"):
        BALSE(validation_fraction=1.0).fit(data, tags)
