"""LASSO: sklearn's solution, planted sparse tag weights, clipping, fold-in with new works."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Lasso as SklearnLasso

from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.lasso import Lasso
from tests.recommender.conftest import make_tag_world


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.5])
def test_it_matches_sklearn_on_sample_users(alpha, tag_world):
    data = tag_world.train
    model = Lasso(alpha=alpha, tol=1e-10, max_iter=20_000).fit(data, tag_world.tags)
    for u in (0, 17, 63):
        rows = data.users == u
        reference = SklearnLasso(alpha=alpha, tol=1e-12, max_iter=200_000)
        reference.fit(tag_world.tags[data.items[rows]].toarray(), data.values[rows])
        np.testing.assert_allclose(model.coef_[u], reference.coef_, atol=1e-4)
        assert model.intercept_[u] == pytest.approx(reference.intercept_, abs=1e-4)


def test_it_recovers_the_planted_sparse_weights(tag_world):
    model = Lasso(alpha=0.01).fit(tag_world.train, tag_world.tags)
    planted = tag_world.weights
    # The planted tags with the planted signs stand out; the others stay near zero
    # (noise leaves a few tiny weights); magnitudes shrink a little with alpha.
    strong = np.where(np.abs(model.coef_) > 0.5, np.sign(model.coef_), 0.0)
    np.testing.assert_array_equal(strong, np.sign(planted))
    assert np.abs(model.coef_[planted == 0]).max() < 0.15
    assert np.abs(model.coef_ - planted).max() < 0.3


def test_predictions_are_clipped_to_the_training_range():
    tags = sp.csr_matrix(np.eye(3))
    data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 2], [-2.0, 4.0, 4.0])
    model = Lasso(alpha=0.0).fit(data, tags * 0.9 + sp.csr_matrix(np.full((3, 3), 0.1)))
    scores = model.predict([0, 1, 0], [0, 0, 2])
    assert scores.min() >= -2.0 and scores.max() <= 4.0
    fixed = Lasso(alpha=0.0, clip=(0.0, 1.0)).fit(data, tags)
    assert fixed.predict([0], [1])[0] == 1.0


def test_fold_in_equals_the_fitted_user_and_scores_new_works_from_tags(tag_world):
    data = tag_world.train
    model = Lasso(alpha=0.02).fit(data, tag_world.tags)
    u = 5
    coef, intercept = model.fold_in(data.items[data.users == u], data.values[data.users == u])
    np.testing.assert_allclose(coef, model.coef_[u], atol=1e-6)
    assert intercept == pytest.approx(model.intercept_[u], abs=1e-6)
    # A brand-new work with only tags: the user's weights score it.
    new_work = sp.csr_matrix(tag_world.weights[u] > 0, dtype=float)
    catalogue = sp.vstack([tag_world.tags, new_work]).tocsr()
    n = catalogue.shape[0]
    scores = model.predict_folded(coef, intercept, [n - 1], item_features=catalogue)
    assert scores[0] > np.median(model.predict_folded(coef, intercept))


def test_users_without_ratings_predict_the_global_mean():
    world = make_tag_world(n_users=10, n_items=20)
    data = RatingMatrix.from_triples(
        world.train.users, world.train.items, world.train.values, n_users=12, n_items=20
    )
    model = Lasso().fit(data, world.tags)
    assert not model.coef_[10:].any()
    np.testing.assert_allclose(model.predict([10, 11, 99], [0, 1, 2]), model.global_mean_)


def test_it_needs_valid_tags():
    data = RatingMatrix.from_triples([0], [0], [1.0])
    with pytest.raises(ValueError, match="item_features"):
        Lasso().fit(data, None)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Lasso().fit(data, sp.csr_matrix([[2.0]]))
    with pytest.raises(ValueError, match="rows"):
        Lasso().fit(RatingMatrix.from_triples([0], [3], [1.0]), sp.csr_matrix([[1.0]]))
