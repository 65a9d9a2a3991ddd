"""Fixtures for the recommender library tests: MovieLens 100K (read in place, never copied)
and small synthetic worlds with known answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks.shared_data import data_path
from recommender.algorithms.base import RatingMatrix

ML100K = data_path("movielens", "ml-100k")
ML_USERS, ML_ITEMS = 943, 1682


@dataclass
class Fold:
    train: RatingMatrix
    test_users: np.ndarray
    test_items: np.ndarray
    test_values: np.ndarray
    genres: sp.csr_matrix  # items x 19 genre flags, the tags of MovieLens
    oracle_rmse: float = float("nan")  # generated data: the noise-free truth's test RMSE


def _triples(path: Path):
    table = np.loadtxt(path, dtype=np.int64, usecols=(0, 1, 2))
    return table[:, 0] - 1, table[:, 1] - 1, table[:, 2].astype(np.float32)


def load_ml100k_fold(k: int, folder: Path = ML100K) -> Fold:
    """Official split ``u{k}.base`` / ``u{k}.test`` with 0-based indices."""
    users, items, values = _triples(folder / f"u{k}.base")
    test_users, test_items, test_values = _triples(folder / f"u{k}.test")
    flags = np.loadtxt(
        folder / "u.item", delimiter="|", encoding="latin-1", dtype=str, usecols=range(5, 24)
    ).astype(np.float64)
    train = RatingMatrix.from_triples(users, items, values, ML_USERS, ML_ITEMS)
    return Fold(train, test_users, test_items, test_values, sp.csr_matrix(flags))


@pytest.fixture(scope="session")
def ml100k_u1() -> Fold:
    if not (ML100K / "u1.base").exists():
        pytest.skip(f"MovieLens 100K not found at {ML100K}")
    return load_ml100k_fold(1)


@dataclass
class TagWorld:
    """Ratings r = 5 + T_i w_u + noise with sparse user weights w_u (rank = n_tags)."""

    train: RatingMatrix
    tags: sp.csr_matrix
    weights: np.ndarray  # n_users x n_tags, the planted answer
    held_out: tuple[np.ndarray, np.ndarray, np.ndarray]  # users, items, noise-free truth


def make_tag_world(n_users=120, n_items=150, n_tags=8, density=0.5, noise=0.1, seed=0) -> TagWorld:
    rng = np.random.default_rng(seed)
    tags = np.zeros((n_items, n_tags))
    for i in range(n_items):
        tags[i, rng.choice(n_tags, size=3, replace=False)] = rng.uniform(0.5, 1.0, 3)
    weights = np.zeros((n_users, n_tags))
    for u in range(n_users):
        weights[u, rng.choice(n_tags, size=3, replace=False)] = rng.choice([-2.0, 2.0], 3)
    truth = 5.0 + weights @ tags.T
    mask = rng.random(truth.shape) < density
    users, items = np.nonzero(mask)
    values = truth[users, items] + rng.normal(0.0, noise, len(users))
    train = RatingMatrix.from_triples(users, items, values, n_users, n_items)
    held_u, held_i = np.nonzero(~mask)
    return TagWorld(train, sp.csr_matrix(tags), weights, (held_u, held_i, truth[held_u, held_i]))


@pytest.fixture(scope="session")
def tag_world() -> TagWorld:
    return make_tag_world()


def make_rating_world(
    n_users=600,
    n_items=400,
    rank=4,
    n_tags=12,
    noise=0.8,
    choice=3.0,
    test_fraction=0.2,
    seed=0,
) -> Fold:
    """MovieLens-like generated ratings for an accuracy band without the shared data:
    ``3.6 + b_u + b_i + U V^T + noise`` on a 1-5 scale (clipped), with popular items and
    active users rated far more often than the rest, item factors partly explained by
    ``n_tags`` genre flags (so tag models have something to learn), and a random
    ``test_fraction`` of the ratings held out. With ``choice`` > 0 people mostly rate what
    suits their taste (odds ``exp(choice x u.v)``), as on MovieLens, where what someone
    chose to watch says as much as their stars: the top-N lists' world. Returns a
    :class:`Fold` (genres = the tags) whose ``oracle_rmse`` is what the noise-free truth
    scores on the test set.

    Example::

        fold = make_rating_world()
        fold.train.nnz, round(fold.oracle_rmse, 2)  # -> (28862, 0.71)
    """
    rng = np.random.default_rng(seed)
    tags = (rng.random((n_items, n_tags)) < 0.2).astype(np.float64)
    tag_effect = rng.normal(0.0, 0.5, (n_tags, rank))
    item_f = tags @ tag_effect + rng.normal(0.0, 0.4, (n_items, rank))
    user_f = rng.normal(0.0, 0.5, (n_users, rank))
    user_b = rng.normal(0.0, 0.4, n_users)
    item_b = rng.normal(0.0, 0.5, n_items) - 0.3 * tags[:, :2].sum(axis=1)
    # Popular items and active users: ratings per row follow skewed weights; and people
    # mostly watch what suits their taste (the choice of what to rate is itself evidence).
    item_weight = rng.pareto(1.2, n_items) + 0.2
    user_weight = rng.lognormal(0.0, 0.8, n_users)
    n_ratings = int(0.15 * n_users * n_items)
    p = (np.outer(user_weight, item_weight) * np.exp(choice * user_f @ item_f.T)).ravel()
    cells = rng.choice(n_users * n_items, size=n_ratings, replace=False, p=p / p.sum())
    users, items = np.divmod(cells, n_items)
    interaction = np.einsum("ij,ij->i", user_f[users], item_f[items])
    clean = 3.6 + user_b[users] + item_b[items] + interaction
    values = np.clip(clean + rng.normal(0.0, noise, n_ratings), 1.0, 5.0)
    test = rng.random(n_ratings) < test_fraction
    train = RatingMatrix.from_triples(users[~test], items[~test], values[~test], n_users, n_items)
    fold = Fold(train, users[test], items[test], values[test], sp.csr_matrix(tags))
    fold.oracle_rmse = rmse(np.clip(clean[test], 1.0, 5.0), values[test])
    return fold


@pytest.fixture(scope="session")
def rating_world() -> Fold:
    return make_rating_world()


def rmse(predicted, actual) -> float:
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(actual)) ** 2)))
