"""Scoring many (user, item) pairs holds a bounded amount of memory: the held-out and
validation ratings of a large site are millions of pairs, and a dense row of weights per
pair (factors, tag weights) at once was gigabytes (docs/performance.md)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.als import ALS
from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.lasso import Lasso

N_PAIRS = 2_000_000


def _world(n_users=2_000, n_items=400, n_tags=64, seed=0):
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, 30_000)
    items = rng.integers(0, n_items, 30_000)
    values = rng.integers(0, 5, 30_000).astype(np.float32)
    ratings = RatingMatrix.from_triples(users, items, values, n_users, n_items, duplicates="last")
    tags = sp.random(n_items, n_tags, density=0.2, format="csr", random_state=seed)
    tags.data[:] = 1.0
    pairs = (rng.integers(0, n_users, N_PAIRS), rng.integers(0, n_items, N_PAIRS))
    return ratings, tags, pairs


def _peak_mb(call) -> tuple[np.ndarray, float]:
    tracemalloc.start()
    try:
        out = call()
        return out, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_lasso_scores_millions_of_pairs_in_bounded_memory():
    ratings, tags, (users, items) = _world()
    model = Lasso(alpha=0.05, random_state=0).fit(ratings, tags)
    scores, peak = _peak_mb(lambda: model.predict(users, items))
    # A few float64 arrays per pair (about 100 bytes a pair); all tag rows at once were
    # 2M pairs x 64 tags x 8 bytes, twice, and more (3,085 MB measured).
    assert peak < 300, f"{peak:.0f} MB"
    some = np.arange(0, N_PAIRS, 99_991)
    expected = [model.predict(users[k : k + 1], items[k : k + 1])[0] for k in some]
    np.testing.assert_allclose(scores[some], expected, rtol=1e-12)


def test_als_scores_millions_of_pairs_in_bounded_memory():
    ratings, _, (users, items) = _world()
    model = ALS(rank=48, n_iter=2, random_state=0).fit(ratings)
    scores, peak = _peak_mb(lambda: model.predict(users, items))
    # All at once: two 2M x 49 arrays of factors and bias, and more (1,133 MB measured).
    assert peak < 60, f"{peak:.0f} MB"
    some = np.arange(0, N_PAIRS, 99_991)
    expected = [model.predict(users[k : k + 1], items[k : k + 1])[0] for k in some]
    np.testing.assert_allclose(scores[some], expected, rtol=1e-6)
