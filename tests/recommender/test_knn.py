"""KNN and the baseline predictor it sits on: known answers against brute-force loops."""

import numpy as np
import pytest

from recommender.algorithms import knn as knn_module
from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.baseline import Baseline, fit_biases
from recommender.algorithms.knn import KNN


def random_ratings(seed=0, n_users=30, n_items=20, density=0.4):
    rng = np.random.default_rng(seed)
    mask = rng.random((n_users, n_items)) < density
    users, items = np.nonzero(mask)
    values = rng.integers(1, 6, size=len(users)).astype(float)
    return RatingMatrix.from_triples(users, items, values, n_users, n_items)


def brute_force_knn(data, kind, k, shrinkage, min_support, similarity):
    """Straight loops over the definition, for comparison with the vectorised model."""
    mu, bu, bi = fit_biases(data, 15.0, 10.0)
    dense = np.full(data.shape, np.nan)
    dense[data.users, data.items] = data.values
    base = mu + bu[:, None] + bi[None, :]
    resid = dense - base
    signal = resid if similarity == "pearson" else dense
    if kind == "user":
        signal, resid, dense_t = signal, resid, dense
    else:
        signal, resid, dense_t = signal.T, resid.T, dense.T
    n = signal.shape[0]
    sim = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            common = ~np.isnan(dense_t[a]) & ~np.isnan(dense_t[b])
            support = common.sum()
            if a == b or support < min_support:
                continue
            x, y = signal[a, common], signal[b, common]
            denom = np.sqrt((x**2).sum() * (y**2).sum())
            s = (x * y).sum() / denom if denom > 0 else 0.0
            if shrinkage > 0:
                s *= max(support - 1, 0) / (max(support - 1, 0) + shrinkage)
            sim[a, b] = s
    pred = np.zeros(data.shape)
    for u in range(data.n_users):
        for i in range(data.n_items):
            target, other = (u, i) if kind == "user" else (i, u)
            rated = np.flatnonzero(~np.isnan(dense_t[:, other]))
            cands = [(sim[target, j], resid[j, other]) for j in rated if sim[target, j] > 0]
            cands.sort(key=lambda t: -t[0])
            cands = cands[:k]
            weight = sum(s for s, _ in cands)
            offset = sum(s * r for s, r in cands) / weight if weight > 0 else 0.0
            pred[u, i] = base[u, i] + offset
    return sim, pred


@pytest.mark.parametrize("kind", ["user", "item"])
@pytest.mark.parametrize("similarity", ["pearson", "cosine"])
def test_it_matches_the_brute_force_definition(kind, similarity):
    data = random_ratings()
    model = KNN(kind=kind, k=5, similarity=similarity, shrinkage=10, min_support=2).fit(data)
    sim, expected = brute_force_knn(data, kind, 5, 10, 2, similarity)
    np.testing.assert_allclose(model.similarity_, sim, atol=1e-5)
    users, items = np.meshgrid(np.arange(data.n_users), np.arange(data.n_items), indexing="ij")
    got = model.predict(users.ravel(), items.ravel()).reshape(data.shape)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_chunked_prediction_gives_the_same_answer(monkeypatch):
    data = random_ratings(seed=1)
    model = KNN(kind="item", k=3).fit(data)
    users = np.repeat(np.arange(data.n_users), data.n_items)
    items = np.tile(np.arange(data.n_items), data.n_users)
    whole = model.predict(users, items)
    monkeypatch.setattr(knn_module, "_MAX_EXPANDED", 7)
    np.testing.assert_allclose(model.predict(users, items), whole, atol=1e-6)


def test_neighbors_are_the_users_with_the_same_taste():
    rng = np.random.default_rng(0)
    taste = np.where(np.arange(20)[:, None] < 10, 1.0, -1.0) * np.linspace(-2, 2, 15)[None, :]
    dense = 3 + taste + rng.normal(0, 0.1, taste.shape)
    users, items = np.nonzero(np.ones_like(dense))
    data = RatingMatrix.from_triples(users, items, dense[users, items])
    model = KNN(kind="user", shrinkage=0).fit(data)
    found, sims = model.neighbors(0, k=5, return_similarity=True)
    assert set(found.tolist()) <= set(range(1, 10))
    assert np.all(np.diff(sims) <= 0)
    assert model.neighbors(99, k=5).size == 0


def test_unknown_users_and_items_get_the_baseline():
    data = random_ratings(seed=2)
    model = KNN(kind="item").fit(data)
    baseline = Baseline().fit(data)
    got = model.predict([0, 99, -1], [99, 0, 3])
    np.testing.assert_allclose(got, baseline.predict([0, 99, -1], [99, 0, 3]), atol=1e-6)
    assert got[1] == pytest.approx(model.global_mean_ + model.item_bias_[0], abs=1e-5)


def test_baseline_biases_are_the_ridge_solution():
    data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 0], [5.0, 3.0, 4.0])
    model = Baseline(reg_user=1.0, reg_item=2.0, n_iter=200).fit(data)
    mu = 4.0
    bu, bi = model.user_bias_, model.item_bias_
    # Stationary point: each bias is its ridge-regularised mean residual.
    assert bi[0] == pytest.approx((5 - mu - bu[0] + 4 - mu - bu[1]) / (2 + 2), abs=1e-9)
    assert bu[0] == pytest.approx((5 - mu - bi[0] + 3 - mu - bi[1]) / (2 + 1), abs=1e-9)
    assert model.predict([0], [1])[0] == pytest.approx(mu + bu[0] + bi[1], abs=1e-5)


def test_baseline_on_empty_input_predicts_zero():
    empty = RatingMatrix.from_triples([], [], [], 0, 0)
    assert Baseline().fit(empty).predict([0, 1], [0, 1]).tolist() == [0.0, 0.0]
    assert KNN().fit(empty).predict([0], [0]).tolist() == [0.0]


def test_invalid_parameters_are_rejected():
    data = random_ratings()
    with pytest.raises(ValueError):
        KNN(kind="both").fit(data)
    with pytest.raises(ValueError):
        KNN(k=0).fit(data)


def test_blocked_similarity_equals_the_one_shot_computation(monkeypatch):
    data = random_ratings(seed=4)
    whole = KNN(kind="user").fit(data).similarity_
    monkeypatch.setattr(knn_module, "_BLOCK", 7)
    np.testing.assert_array_equal(KNN(kind="user").fit(data).similarity_, whole)
