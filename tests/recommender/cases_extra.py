"""Estimators of the extra models for the shared contract suite, plus test data helpers.

``CASES`` entries are ``(name, factory)`` or ``(name, factory, options)``; a factory takes
an optional ``random_state``. ``needs_features`` means the model is at its best with item
tag features (it still works without them).
"""

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.baseline import Baseline
from recommender.algorithms.blend import Blend
from recommender.algorithms.fm import FactorizationMachine
from recommender.algorithms.knn import KNN
from recommender.algorithms.mf import MatrixFactorization
from recommender.algorithms.neural import NeuralRecommender
from recommender.algorithms.svd import TruncatedSVD

# ml100k_rmse: ceiling of the u1 test RMSE (measured value + ~1% margin for machine noise).
CASES = [
    (
        "baseline",
        lambda random_state=0: Baseline(),
        # Biases only: it cannot recover interactions, so no planted-ratio promise.
        {"generated_rmse": 0.985, "planted_ratio": 1.0, "ml100k_rmse": 0.97},
    ),
    (
        "knn-user",
        lambda random_state=0: KNN(kind="user", random_state=random_state),
        {"generated_rmse": 0.865, "ml100k_rmse": 0.945},
    ),
    (
        "knn-item",
        lambda random_state=0: KNN(kind="item", random_state=random_state),
        {"generated_rmse": 0.865, "ml100k_rmse": 0.945},
    ),
    (
        "svd",
        lambda random_state=0: TruncatedSVD(random_state=random_state),
        # Its shrinkage is tuned for noisy MovieLens and over-shrinks the clean planted world
        # (0.56 x spread); test_svd.py checks recovery with a suitable shrinkage.
        {"generated_rmse": 0.86, "ml100k_rmse": 0.95},
    ),
    (
        "mf",
        lambda random_state=0: MatrixFactorization(random_state=random_state),
        {"generated_rmse": 0.83, "ml100k_rmse": 0.935, "planted_ratio": 0.3},
    ),
    (
        "fm",
        # Without the implicit-feedback features, to keep the suite fast (3x cheaper).
        lambda random_state=0: FactorizationMachine(implicit=False, random_state=random_state),
        {
            "generated_rmse": 0.81,
            "needs_features": True,
            "ml100k_rmse": 0.925,
            "planted_ratio": 0.3,
        },
    ),
    (
        "neural",
        lambda random_state=0: NeuralRecommender(implicit=False, random_state=random_state),
        {"generated_rmse": 0.8, "needs_features": True, "ml100k_rmse": 0.925, "planted_ratio": 0.3},
    ),
    (
        "blend",
        lambda random_state=0: Blend(components=("knn-item", "svd"), random_state=random_state),
        {"generated_rmse": 0.83, "ml100k_rmse": 0.935, "planted_ratio": 0.5},
    ),
]


def planted(n_users=60, n_items=40, rank=2, density=0.5, noise=0.0, seed=0):
    """A rating matrix ``3 + b_u + b_i + U V^T`` observed on a random mask.

    Returns (train RatingMatrix, held-out (users, items, values), full dense matrix).
    """
    rng = np.random.default_rng(seed)
    truth = (
        3.0
        + rng.normal(0, 0.3, (n_users, 1))
        + rng.normal(0, 0.3, (1, n_items))
        + rng.normal(0, 1.0, (n_users, rank)) @ rng.normal(0, 1.0, (rank, n_items)) / np.sqrt(rank)
    )
    observed = truth + rng.normal(0, noise, truth.shape) if noise else truth
    mask = rng.random(truth.shape) < density
    users, items = np.nonzero(mask)
    train = RatingMatrix.from_triples(users, items, observed[users, items], n_users, n_items)
    held_users, held_items = np.nonzero(~mask)
    return train, (held_users, held_items, truth[held_users, held_items]), truth


def tag_world(seed=0, n_users=40, n_items=30, n_cold=6):
    """Users love or hate tag 0 vs tag 1; the last ``n_cold`` items have no ratings.

    Returns (train RatingMatrix, item tag matrix, liking matrix: +1/-1 per (user, tag 0)).
    """
    rng = np.random.default_rng(seed)
    item_tag = rng.integers(0, 2, n_items)
    item_tag[-n_cold:] = [0, 1] * (n_cold // 2)
    likes_tag0 = np.where(np.arange(n_users) % 2 == 0, 1.0, -1.0)
    sign = np.where(item_tag[None, :] == 0, 1.0, -1.0) * likes_tag0[:, None]
    dense = 3.0 + 1.5 * sign + rng.normal(0, 0.2, (n_users, n_items))
    mask = rng.random((n_users, n_items)) < 0.6
    mask[:, -n_cold:] = False
    users, items = np.nonzero(mask)
    train = RatingMatrix.from_triples(users, items, dense[users, items], n_users, n_items)
    tags = sp.csr_matrix((np.ones(n_items), (np.arange(n_items), item_tag)), shape=(n_items, 2))
    return train, tags, likes_tag0, item_tag
