"""Diverse subsets: greedy MAP inference of a determinantal point process (DPP), the
sampler behind the diverse card deck.

Example::

    >>> greedy_dpp(np.array([[1.0, 0.0], [0.99, 0.01], [0.0, 1.0]]), 2)
    [0, 2]
"""

from __future__ import annotations

import numpy as np

RIDGE = 1e-3  # keeps the DPP kernel full rank once the factor rank is exhausted
_TIE = 1e-9  # relative difference of two gains below which they are equal


def greedy_dpp(
    vectors: np.ndarray,
    k: int,
    quality: np.ndarray | None = None,
    given: np.ndarray | None = None,
) -> list[int]:
    """Indices of ``k`` rows chosen by greedy MAP inference of a DPP with kernel
    ``L = diag(q) (V V^T + ridge I) diag(q)``, conditioned on the rows of ``given`` being
    in the set already (the works a person rated). Ties go to the lowest index, so the
    order of ``vectors`` breaks them (we pass works most popular first).

    The gain of a row ``v`` is ``ridge q^2 (1 + v^T A v)``, where
    ``A = (S^T S + ridge I)^-1`` is the posterior covariance of a taste vector after
    ratings of the given and picked rows ``S`` (ALS's fold-in with a ridge prior), so
    ``v^T A v`` is the variance of the prediction for ``v``: each pick is the work whose
    rating would teach the most. A pick updates ``A`` by Sherman-Morrison, O(N d) for
    ``d`` factors; the incremental Cholesky of Chen, Zhang & Zhou (2018) makes the same
    picks in O(N (d + k)) each and cannot start from hundreds of given rows cheaply.

    Example::

        >>> greedy_dpp(np.array([[1.0, 0.0], [0.99, 0.01], [0.0, 1.0]]), 2)
        [0, 2]
        >>> greedy_dpp(np.array([[1.0, 0.0], [0.99, 0.01], [0.0, 1.0]]), 1, given=[[1.0, 0.0]])
        [2]
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    n = len(vectors)
    k = min(k, n)
    if k <= 0:
        return []
    d = vectors.shape[1]
    q2 = np.ones(n) if quality is None else np.asarray(quality, dtype=np.float64) ** 2
    given = np.zeros((0, d)) if given is None else np.asarray(given, dtype=np.float64)
    given = given.reshape(-1, d)
    covariance = np.linalg.inv(given.T @ given + RIDGE * np.eye(d))
    variance = np.einsum("ij,jk,ik->i", vectors, covariance, vectors)
    available = np.ones(n, dtype=bool)
    picked: list[int] = []
    for _ in range(k):
        # The Schur complement of L: what the given and picked rows do not explain of row j.
        gains = np.where(available, RIDGE * q2 * (1.0 + variance), -np.inf)
        best = gains.max()
        if best <= 1e-12:
            break
        # Equal up to rounding is a tie (unit rows all start equal): the first one wins.
        j = int(np.argmax(gains >= best * (1 - _TIE)))
        picked.append(j)
        available[j] = False
        spread = covariance @ vectors[j]
        denominator = 1.0 + vectors[j] @ spread
        variance = variance - (vectors @ spread) ** 2 / denominator
        covariance = covariance - np.outer(spread, spread) / denominator
    return picked
