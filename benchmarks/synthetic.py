"""A deterministic synthetic rating set shaped like the Kaggle anime ratings.

73,515 users x 11,200 items x 6.3M ratings, power-law user activity and item popularity,
ratings 1-10 from a rank-20 latent model with a global mean, biases and noise; plus a sparse
item x tag matrix (43 tags, a few per item) for LASSO.

Example::

    >>> data = anime_like(scale=0.01)  # 1% of the size, for a quick look
    >>> data.ratings.nnz > 0
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import RatingMatrix

N_USERS, N_ITEMS, N_RATINGS, N_TAGS, RANK = 73_515, 11_200, 6_300_000, 43, 20


@dataclass
class Synthetic:
    ratings: RatingMatrix
    tags: sp.csr_matrix
    user_factors: np.ndarray
    item_factors: np.ndarray


def _power_law(rng, n, exponent):
    weights = (np.arange(1, n + 1, dtype=np.float64)) ** -exponent
    return rng.permutation(weights / weights.sum())


def anime_like(scale=1.0, seed=0, noise=1.0) -> Synthetic:
    """Generate the set; ``scale`` shrinks users, items and ratings together."""
    rng = np.random.default_rng(seed)
    n_users = max(int(N_USERS * scale), 10)
    n_items = max(int(N_ITEMS * scale), 10)
    n_ratings = min(int(N_RATINGS * scale), n_users * n_items // 4)
    p_user = _power_law(rng, n_users, 0.6)
    p_item = _power_law(rng, n_items, 0.9)
    keys = np.empty(0, dtype=np.int64)
    # Duplicated (user, item) pairs are dropped, so draw in rounds until there are enough.
    while len(keys) < n_ratings:
        draw = int((n_ratings - len(keys)) * 1.3) + 1000
        users = rng.choice(n_users, size=draw, p=p_user)
        items = rng.choice(n_items, size=draw, p=p_item)
        keys = np.unique(np.concatenate([keys, users.astype(np.int64) * n_items + items]))
    keys = rng.choice(keys, size=n_ratings, replace=False)
    users, items = np.divmod(keys, n_items)

    u_f = rng.normal(0.0, 0.35, (n_users, RANK)).astype(np.float32)
    i_f = rng.normal(0.0, 0.35, (n_items, RANK)).astype(np.float32)
    u_b = rng.normal(0.0, 0.8, n_users)
    i_b = rng.normal(0.0, 0.8, n_items)
    latent = np.einsum("ij,ij->i", u_f[users], i_f[items], dtype=np.float64)
    raw = 7.0 + u_b[users] + i_b[items] + latent + rng.normal(0.0, noise, n_ratings)
    values = np.clip(np.rint(raw), 1, 10).astype(np.float32)
    ratings = RatingMatrix.from_triples(users, items, values, n_users, n_items)

    tags_per_item = rng.integers(1, 6, n_items)
    rows = np.repeat(np.arange(n_items), tags_per_item)
    cols = rng.integers(0, N_TAGS, len(rows))
    weights = rng.uniform(0.3, 1.0, len(rows))
    tags = sp.csr_matrix((weights, (rows, cols)), shape=(n_items, N_TAGS))
    tags.sum_duplicates()
    tags.data = np.minimum(tags.data, 1.0)
    return Synthetic(ratings, tags, u_f, i_f)
