"""LASSO: sklearn's solution on the baseline's residuals, planted sparse tag weights,
clipping, fold-in with new works, and never worse than the baseline on sparse users."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Lasso as SklearnLasso

from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.lasso import Lasso
from tests.recommender.conftest import make_tag_world, rmse


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.5])
def test_it_matches_sklearn_on_sample_users(alpha, tag_world):
    # Without shrinkage (prior=0) each user's deviation is sklearn's LASSO of their
    # residuals from the baseline's item part.
    data = tag_world.train
    model = Lasso(alpha=alpha, tol=1e-10, max_iter=20_000, prior=0.0).fit(data, tag_world.tags)
    tags = tag_world.tags.toarray()
    for u in (0, 17, 63):
        rows = data.users == u
        items = data.items[rows]
        residual = data.values[rows] - model.item_offset_[items] - tags[items] @ model.tag_prior_
        reference = SklearnLasso(alpha=alpha, tol=1e-12, max_iter=200_000)
        reference.fit(tags[items], residual)
        np.testing.assert_allclose(model.coef_[u] - model.tag_prior_, reference.coef_, atol=1e-4)
        assert model.intercept_[u] == pytest.approx(reference.intercept_, abs=1e-4)


def test_it_recovers_the_planted_sparse_weights(tag_world):
    model = Lasso(alpha=0.01, prior=0.0).fit(tag_world.train, tag_world.tags)
    planted = tag_world.weights
    # The planted tags with the planted signs stand out; the others stay near zero
    # (noise leaves a few tiny weights); magnitudes shrink a little with alpha.
    strong = np.where(np.abs(model.coef_) > 0.5, np.sign(model.coef_), 0.0)
    np.testing.assert_array_equal(strong, np.sign(planted))
    # The L1 penalty is on the deviation from everyone's average weight (tag_prior_),
    # which is what an absent planted tag stays near.
    assert np.abs(model.tag_prior_).max() < 0.2
    assert np.abs(model.coef_[planted == 0]).max() < 0.2
    assert np.abs(model.coef_ - planted).max() < 0.4


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


def test_users_without_ratings_get_the_baseline_item_part():
    world = make_tag_world(n_users=10, n_items=20)
    data = RatingMatrix.from_triples(
        world.train.users, world.train.items, world.train.values, n_users=12, n_items=20
    )
    model = Lasso().fit(data, world.tags)
    np.testing.assert_array_equal(model.coef_[10:], np.tile(model.tag_prior_, (2, 1)))
    assert not model.intercept_[10:].any()
    tags = world.tags.toarray()
    expected = model.item_offset_[[0, 1, 2]] + tags[[0, 1, 2]] @ model.tag_prior_
    np.testing.assert_allclose(model.predict([10, 11, 99], [0, 1, 2]), expected)


def test_a_user_with_one_rating_is_all_but_the_baseline():
    # One rating says nothing about a taste for tags: the deviation is shrunk by 1/(1+prior).
    world = make_tag_world(n_users=40, n_items=30)
    train = world.train
    lonely = RatingMatrix.from_triples(
        np.append(train.users, 40), np.append(train.items, 3), np.append(train.values, 9.0)
    )
    model = Lasso(prior=15.0).fit(lonely, world.tags)
    unknown = model.predict(np.full(30, 99), np.arange(30))
    lonely_scores = model.predict(np.full(30, 40), np.arange(30))
    assert np.abs(lonely_scores - unknown).max() < 0.5
    assert np.allclose(model.coef_[40], model.tag_prior_)  # one rating: no tag deviation


def test_it_needs_valid_tags():
    data = RatingMatrix.from_triples([0], [0], [1.0])
    with pytest.raises(ValueError, match="item_features"):
        Lasso().fit(data, None)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Lasso().fit(data, sp.csr_matrix([[2.0]]))
    with pytest.raises(ValueError, match="rows"):
        Lasso().fit(RatingMatrix.from_triples([0], [3], [1.0]), sp.csr_matrix([[1.0]]))


def sparse_world(seed=0, n_users=600, n_items=80, n_tags=6, one_rating_share=0.7):
    """Users whose ratings follow item quality plus a weak personal tag taste and noise;
    most of them rate a single work (as on review sites)."""
    rng = np.random.default_rng(seed)
    tags = (rng.random((n_items, n_tags)) < 0.3).astype(float)
    quality = rng.normal(0, 1.0, n_items)
    taste = rng.normal(0, 0.5, (n_users, n_tags))
    users, items = [], []
    for u in range(n_users):
        count = 1 if rng.random() < one_rating_share else int(rng.integers(2, 25))
        chosen = rng.choice(n_items, size=count, replace=False)
        users += [u] * count
        items += chosen.tolist()
    users, items = np.array(users), np.array(items)
    values = (
        6 + quality[items] + (taste[users] * tags[items]).sum(1) + rng.normal(0, 1.5, len(users))
    )
    values = np.clip(np.round(values), 1, 10)
    return RatingMatrix.from_triples(users, items, values, n_users, n_items), sp.csr_matrix(tags)


def test_it_is_not_worse_than_the_baseline_on_sparse_users():
    from recommender.algorithms.baseline import Baseline

    lasso_errors, baseline_errors, unshrunk_errors = [], [], []
    for seed in range(6):
        data, tags = sparse_world(seed)
        rng = np.random.default_rng(seed)
        test = rng.random(data.nnz) < 0.2
        train = data.subset(~test)
        assert np.mean(train.user_counts()[train.user_counts() > 0] == 1) > 0.5
        truth, users, items = data.values[test], data.users[test], data.items[test]
        lasso = rmse(Lasso(random_state=seed).fit(train, tags).predict(users, items), truth)
        baseline = rmse(Baseline().fit(train).predict(users, items), truth)
        # Each split: at most a rounding's worth worse (0.2%, where the tags say nothing).
        assert lasso <= baseline * 1.002, (seed, lasso, baseline)
        unshrunk = Lasso(alpha=0.05, prior=0.0).fit(train, tags).predict(users, items)
        lasso_errors.append(lasso)
        baseline_errors.append(baseline)
        unshrunk_errors.append(rmse(unshrunk, truth))
    assert np.mean(lasso_errors) < np.mean(baseline_errors)
    # The old model (no shrinkage toward the baseline, a fixed penalty) loses to it.
    assert np.mean(unshrunk_errors) > np.mean(baseline_errors)
