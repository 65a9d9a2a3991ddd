"""RatingMatrix's CSR/CSC views: built by parallel counting sorts, they must equal scipy's
canonical matrices (sorted indices) and keep zero-valued ratings."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.algorithms.base import RatingMatrix, _group_by


def _shuffled_triples(n_users, n_items, nnz, seed):
    rng = np.random.default_rng(seed)
    cells = rng.choice(n_users * n_items, nnz, replace=False)  # random order, no duplicate
    values = rng.integers(0, 11, nnz).astype(np.float32)  # 0 is a real rating
    return cells // n_items, cells % n_items, values


@pytest.mark.parametrize("shape_nnz", [(50, 40, 900), (3, 1000, 10), (2000, 30, 30_000)])
def test_views_equal_scipy_canonical_matrices_zeros_included(shape_nnz):
    n_users, n_items, nnz = shape_nnz
    users, items, values = _shuffled_triples(n_users, n_items, nnz, seed=nnz)
    ratings = RatingMatrix.from_triples(users, items, values, n_users, n_items)
    # Shift so that scipy keeps the zeros too, then compare structure and values.
    reference = sp.coo_matrix((values + 100, (users, items)), shape=(n_users, n_items))
    for ours, theirs in (
        (ratings.tocsr(), reference.tocsr()),
        (ratings.tocsc(), reference.tocsc()),
    ):
        theirs.sort_indices()
        assert ours.nnz == nnz
        assert np.array_equal(ours.indptr, theirs.indptr)
        assert np.array_equal(ours.indices, theirs.indices)
        assert np.array_equal(ours.data + 100, theirs.data)


def test_grouping_is_stable_across_thread_slices():
    keys = np.array([2, 0, 2, 1, 0, 2, 2, 0], dtype=np.int32)
    minor = np.arange(8, dtype=np.int32)  # the input position: order must be kept per key
    values = minor.astype(np.float32) * 10
    for n_chunks in (1, 2, 3, 8):
        indptr, out_minor, out_values = _group_by(keys, minor, values, 3, n_chunks)
        assert indptr.tolist() == [0, 3, 4, 8]
        assert out_minor.tolist() == [1, 4, 7, 3, 0, 2, 5, 6]
        assert np.array_equal(out_values, out_minor * 10)


def test_empty_matrix_has_empty_views():
    ratings = RatingMatrix.from_triples([], [], [], n_users=3, n_items=2)
    assert ratings.tocsr().shape == (3, 2) and ratings.tocsr().nnz == 0
    assert ratings.tocsc().indptr.tolist() == [0, 0, 0]
