"""Nearest rows of a matrix by cosine: the one implementation behind "similar works" (item
factors), "looks alike" (poster embeddings) and "because you liked" explanations.

Example::

    >>> vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> cosine_neighbours(vectors, [0], k=2)
    [[(1, 0.9939), (2, 0.0)]]
"""

from __future__ import annotations

import numpy as np

from recommender.algorithms.vectors import row_norms

# Candidates beyond which each query's best are found by a partial sort (one query against
# a whole catalogue); below it, one sort of all the queries' scores is cheaper.
PARTIAL_SORT_FROM = 2048


def cosine_neighbours(
    matrix, rows, k: int, candidates=None, weights=None, norms=None
) -> list[list[tuple[int, float]]]:
    """For each index in ``rows``, the ``k`` rows of ``matrix`` closest to it, as
    ``(index, score)`` pairs, best first (ties: lowest index first).

    ``score`` is the cosine similarity, multiplied by ``weights[j]`` when ``weights`` (one
    non-negative number per row of ``matrix``) is given: a confidence that damps neighbours
    whose vector says little. Scores are rounded to 4 decimals.

    A row is never its own neighbour; all-zero rows are never neighbours, and an all-zero or
    out-of-range query row gets an empty list. ``candidates`` (row indices) restricts the
    neighbours; ``norms`` passes precomputed row norms (a cache of unit rows passes ones), which
    saves one pass over a large matrix.

    One matrix product for all queries; the cost is O(len(rows) x len(candidates) x width).

    Example::

        >>> vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.6, 0.0], [0.0, 1.0]])
        >>> cosine_neighbours(vectors, [0, 3], k=1, candidates=[1, 3])
        [[(1, 0.9939)], [(1, 0.1104)]]
        >>> cosine_neighbours(vectors, [0], k=2, weights=[1.0, 0.5, 1.0, 1.0])
        [[(2, 1.0), (1, 0.4969)]]
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    matrix = np.asarray(matrix)
    if matrix.dtype not in (np.float32, np.float64):
        matrix = matrix.astype(np.float64)
    n = len(matrix)
    rows = np.asarray(rows, dtype=np.int64).ravel()
    result: list[list[tuple[int, float]]] = [[] for _ in rows]
    if norms is None:
        norms = row_norms(matrix)
    else:
        norms = np.asarray(norms, dtype=matrix.dtype).ravel()
        if len(norms) != n:
            raise ValueError(f"norms has {len(norms)} entries for a matrix of {n} rows")
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if len(weights) != n:
            raise ValueError(f"weights has {len(weights)} entries for a matrix of {n} rows")
    columns: np.ndarray
    if candidates is None:
        columns = np.arange(n)
        block = matrix
    else:
        columns = np.unique(np.asarray(candidates, dtype=np.int64).ravel())
        columns = columns[(columns >= 0) & (columns < n)]
        block = matrix[columns]
    queries = np.flatnonzero((rows >= 0) & (rows < n))
    queries = queries[norms[rows[queries]] > 0]
    if k == 0 or len(columns) == 0 or len(queries) == 0:
        return result
    asked = rows[queries]
    products = (matrix[asked] @ block.T).astype(np.float64, copy=False)
    scale = norms[asked].astype(np.float64)[:, None] * norms[columns].astype(np.float64)[None, :]
    scores = np.divide(products, scale, out=np.zeros_like(products), where=scale > 0)
    if weights is not None:
        scores *= weights[columns][None, :]
    valid = (scale > 0) & (asked[:, None] != columns[None, :]) & np.isfinite(scores)
    scores = np.where(valid, scores, -np.inf)
    if len(columns) > PARTIAL_SORT_FROM:
        best = [_best(scores[position], k) for position in range(len(queries))]
    else:
        best = list(np.argsort(-scores, axis=1, kind="stable")[:, :k])
    for position, query in enumerate(queries):
        chosen = best[position]
        result[query] = [
            (column, round(score, 4))
            for column, score in zip(
                columns[chosen].tolist(), scores[position, chosen].tolist(), strict=True
            )
            if score != -np.inf
        ]
    return result


def _best(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest ``scores``, best first, ties by lowest position, like a
    stable sort; but only the scores at or above the k-th highest are sorted."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
    top = np.flatnonzero(scores >= threshold)  # every tie at the threshold, in order
    return top[np.argsort(-scores[top], kind="stable")][:k]
