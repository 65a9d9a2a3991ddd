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


def rmse(predicted, actual) -> float:
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(actual)) ** 2)))
