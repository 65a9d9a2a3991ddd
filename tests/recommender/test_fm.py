"""Factorization machine: exact FM algebra, tag-driven cold start, determinism."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.fm import FactorizationMachine, implicit_matrix, prepare_features
from tests.recommender.cases_extra import tag_world


def fm(**kw):
    params = dict(n_factors=8, n_epochs=40, lr=0.02, reg=0.01, batch_size=128, random_state=0)
    return FactorizationMachine(**{**params, **kw})


def test_it_ranks_cold_start_works_by_the_users_taste_for_their_tags():
    train, tags, likes_tag0, item_tag = tag_world()
    model = fm(implicit=False).fit(train, tags)
    cold = np.arange(train.n_items - 6, train.n_items)
    users = np.repeat(np.arange(train.n_users), len(cold))
    items = np.tile(cold, train.n_users)
    pred = model.predict(users, items).reshape(train.n_users, len(cold))
    sign = np.where(item_tag[cold][None, :] == 0, 1.0, -1.0) * likes_tag0[:, None]
    # Every user prefers each cold work carrying the tag they like.
    assert np.all(
        pred[sign > 0].reshape(train.n_users, -1).min(1)
        > pred[sign < 0].reshape(train.n_users, -1).max(1)
    )


def test_precomputed_sides_equal_the_fm_formula():
    train, tags, _, _ = tag_world(seed=1)
    model = fm(n_epochs=3, implicit=True).fit(train, tags)
    u, i = np.array([0, 3, 7]), np.array([1, 2, 29])
    expected = (
        model.global_mean_
        + model.user_bias_[u]
        + model.item_bias_[i]
        + model.user_self_[u]
        + model.item_self_[i]
        + (model.user_vectors_[u] * model.item_vectors_[i]).sum(1)
    )
    np.testing.assert_allclose(model.predict(u, i), expected, rtol=1e-5)


def test_feature_and_implicit_matrices():
    features = prepare_features(sp.csr_matrix([[3.0, 4.0], [0.0, 0.0]]), 3)
    np.testing.assert_allclose(features.toarray(), [[0.6, 0.8], [0, 0], [0, 0]])
    data = RatingMatrix.from_triples([0, 0, 0, 0, 1], [0, 1, 2, 3, 0], [1, 2, 3, 4, 5])
    np.testing.assert_allclose(implicit_matrix(data).toarray(), [[0.5] * 4, [1, 0, 0, 0]])


def test_deterministic_and_works_without_features():
    train, tags, _, _ = tag_world(seed=2)
    a = fm(n_epochs=2, random_state=3).fit(train, tags).predict([0, 1], [0, 1])
    b = fm(n_epochs=2, random_state=3).fit(train, tags).predict([0, 1], [0, 1])
    np.testing.assert_array_equal(a, b)
    plain = fm(n_epochs=2).fit(train)
    assert np.all(np.isfinite(plain.predict([0, 99], [0, 99])))
    assert plain.predict([99], [99])[0] == pytest.approx(plain.global_mean_, abs=1e-6)
