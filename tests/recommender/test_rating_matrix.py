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


# -- construction: validation, scipy, raw ids ----------------------------------------------


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ([2**32 + 1], "does not fit in int32"),
        ([2**31], "does not fit in int32"),
        ([-1], "is negative"),
        ([1.5], "is not a whole number"),
        ([np.nan], "is not a whole number"),
        (["a"], "use RatingMatrix.from_ids|map raw ids"),
    ],
)
def test_bad_indices_are_refused_not_wrapped(users, message):
    with pytest.raises(ValueError, match=message):
        RatingMatrix.from_triples(users, [0], [4.0])


def test_whole_float_indices_are_accepted():
    data = RatingMatrix.from_triples([0.0, 2.0], [1.0, 0.0], [4.0, 3.0])
    assert data.users.tolist() == [0, 2] and data.shape == (3, 2)


def test_duplicate_pairs_are_an_error_unless_aggregated():
    users, items, values = [0, 1, 0], [1, 1, 1], [4.0, 5.0, 2.0]
    with pytest.raises(ValueError, match="user 0 rated item 1 more than once"):
        RatingMatrix.from_triples(users, items, values)
    last = RatingMatrix.from_triples(users, items, values, duplicates="last", times=[1, 2, 3])
    assert last.tocsr().toarray().tolist() == [[0, 2.0], [0, 5.0]]  # never summed (6)
    assert sorted(last.times.tolist()) == [2.0, 3.0]
    mean = RatingMatrix.from_triples(users, items, values, duplicates="mean", times=[1, 2, 3])
    assert mean.tocsr().toarray().tolist() == [[0, 3.0], [0, 5.0]]
    assert mean.times.tolist() == [3.0, 2.0]  # the pair's latest time
    with pytest.raises(ValueError, match="duplicates must be one of"):
        RatingMatrix.from_triples(users, items, values, duplicates="sum")


def test_from_scipy_keeps_explicit_zeros_and_the_shape():
    matrix = sp.csr_matrix(([5.0, 0.0, 3.0], ([0, 2, 2], [1, 0, 3])), shape=(4, 5))
    data = RatingMatrix.from_scipy(matrix)
    assert data.shape == (4, 5) and data.nnz == 3
    assert data.tocsr().toarray().tolist() == matrix.toarray().tolist()
    coo = sp.coo_matrix(([4.0, 2.0], ([0, 0], [1, 1])), shape=(1, 2))  # a pair twice
    with pytest.raises(ValueError, match="more than once"):
        RatingMatrix.from_scipy(coo)
    assert RatingMatrix.from_scipy(coo, duplicates="mean").values.tolist() == [3.0]


def test_from_ids_keeps_the_maps_both_ways():
    data = RatingMatrix.from_ids(["bob", "ann", "bob"], [30, 10, 10], [4, 5, 3], all_items=[99])
    assert data.user_ids.tolist() == ["ann", "bob"] and data.item_ids.tolist() == [10, 30, 99]
    assert data.user_index(["bob", "zoe"]).tolist() == [1, -1]
    assert data.item_index([99, 30]).tolist() == [2, 1]
    assert data.subset(data.values > 3).item_ids is data.item_ids
    with pytest.raises(ValueError, match="more than once"):
        RatingMatrix.from_ids(["a", "a"], ["x", "x"], [1, 2])
    with pytest.raises(ValueError, match="no user ids"):
        RatingMatrix.from_triples([0], [0], [1.0]).user_index([0])


def test_from_frame_reads_a_dict_or_a_dataframe():
    frame = {"u": ["a", "b"], "i": ["x", "y"], "r": [4.0, 2.0], "t": [10.0, 20.0]}
    data = RatingMatrix.from_frame(frame, "u", "i", "r", time="t")
    assert data.shape == (2, 2) and data.times.tolist() == [10.0, 20.0]
    with pytest.raises(ValueError, match="no column 'rating'"):
        RatingMatrix.from_frame(frame, "u", "i")
    pandas = pytest.importorskip("pandas")
    table = pandas.DataFrame(frame)
    assert RatingMatrix.from_frame(table, "u", "i", "r").values.tolist() == [4.0, 2.0]


def test_every_model_fits_from_scipy_and_from_an_array():
    from recommender.algorithms.als import ALS
    from recommender.algorithms.rating_inputs import as_rating_matrix

    rng = np.random.default_rng(0)
    dense = np.where(rng.random((30, 20)) < 0.5, rng.integers(1, 6, (30, 20)), 0)
    matrix = sp.csr_matrix(dense.astype(float))
    model = ALS(rank=3, random_state=0).fit(matrix)
    triples = np.column_stack([*matrix.nonzero(), matrix.data])
    again = ALS(rank=3, random_state=0).fit(triples)
    np.testing.assert_allclose(model.predict([0, 1], [2, 3]), again.predict([0, 1], [2, 3]))
    np.testing.assert_allclose(
        model.predict(triples[:5]), model.predict(triples[:5, 0], triples[:5, 1])
    )
    with pytest.raises(ValueError, match=r"\(n, 3\) array"):
        as_rating_matrix(np.ones((3, 2)))
