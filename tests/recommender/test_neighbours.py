"""cosine_neighbours: the one nearest-rows function behind similar works, looks alike and
"because you liked"."""

import numpy as np
import pytest

from recommender.algorithms import neighbours
from recommender.algorithms.neighbours import cosine_neighbours


def brute_force(matrix, row, k, weights=None):
    scores = []
    for j, other in enumerate(matrix):
        if j == row or not other.any():
            continue
        cosine = other @ matrix[row] / (np.linalg.norm(other) * np.linalg.norm(matrix[row]))
        scores.append((-(cosine * (1.0 if weights is None else weights[j])), j))
    return [j for _, j in sorted(scores)[:k]]


def test_it_finds_the_brute_force_neighbours_of_random_rows():
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(300, 12))
    weights = rng.uniform(0.05, 1.0, size=300)
    found = cosine_neighbours(matrix, [0, 17, 299], k=8, weights=weights)
    for row, pairs in zip([0, 17, 299], found, strict=True):
        assert [j for j, _ in pairs] == brute_force(matrix, row, 8, weights)
        assert [s for _, s in pairs] == sorted((s for _, s in pairs), reverse=True)


def test_weights_damp_a_close_but_untrusted_neighbour():
    vectors = np.array([[1.0, 0.0], [0.99, 0.05], [0.8, 0.6], [0.0, 1.0]])
    assert [j for j, _ in cosine_neighbours(vectors, [0], k=2)[0]] == [1, 2]
    damped = cosine_neighbours(vectors, [0], k=2, weights=[1.0, 0.1, 1.0, 1.0])[0]
    assert damped == [(2, 0.8), (1, 0.0999)]


def test_candidates_zero_rows_and_unknown_rows():
    vectors = np.array([[1.0, 0.0], [0.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
    assert cosine_neighbours(vectors, [0], k=3, candidates=[0, 1, 2]) == [[(2, 0.7071)]]
    assert cosine_neighbours(vectors, [1, 7, -1], k=3) == [[], [], []]
    assert cosine_neighbours(vectors, [0], k=0) == [[]]
    assert cosine_neighbours(vectors, [0], k=3, candidates=[]) == [[]]


def test_ties_go_to_the_lowest_index_and_precomputed_norms_give_the_same_answer():
    vectors = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert cosine_neighbours(vectors, [2], k=2) == [[(0, 1.0), (1, 1.0)]]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert cosine_neighbours(unit, [2], k=2, norms=np.ones(4)) == [[(0, 1.0), (1, 1.0)]]


def test_it_refuses_mismatched_weights_norms_and_negative_k():
    vectors = np.eye(3)
    with pytest.raises(ValueError, match="weights has 2 entries"):
        cosine_neighbours(vectors, [0], k=1, weights=[1.0, 1.0])
    with pytest.raises(ValueError, match="norms has 4 entries"):
        cosine_neighbours(vectors, [0], k=1, norms=np.ones(4))
    with pytest.raises(ValueError, match="k must be >= 0"):
        cosine_neighbours(vectors, [0], k=-1)


def test_a_whole_catalogue_query_gives_the_full_sorts_answer_ties_included(monkeypatch):
    # Past PARTIAL_SORT_FROM candidates each query sorts only its best: the answer, ties at
    # the k-th place included, must be the one a sort of every score gives.
    rng = np.random.default_rng(5)
    n = neighbours.PARTIAL_SORT_FROM + 500
    matrix = rng.normal(size=(n, 6))
    matrix[100:140] = matrix[7]  # 40 exact ties for row 7's nearest
    matrix[200] = 0.0
    asked = [(7, 10), (7, 40), (7, 45), (3, 25), (200, 5)]
    partial = [cosine_neighbours(matrix, [row], k=k)[0] for row, k in asked]
    monkeypatch.setattr(neighbours, "PARTIAL_SORT_FROM", 10 * n)
    full = [cosine_neighbours(matrix, [row], k=k)[0] for row, k in asked]
    assert partial == full
    assert [j for j, _ in partial[0]] == list(range(100, 110))
    assert [j for j, _ in partial[3]] == brute_force(matrix, 3, 25)
    assert partial[4] == []
