"""EASE's dense algebra: the closed-form solve, row sparsification, and the kernel that
adds a person's rated rows of ``B`` (see :mod:`recommender.algorithms.ease`)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.linalg import lapack


def solve_ease(gram: np.ndarray, reg: float) -> np.ndarray:
    """The EASE weights ``B`` for a Gram matrix ``W^T W`` (not modified) and ``reg``.

    A Cholesky inverse (LAPACK potrf/potri: half the work of a general inverse), in the
    Gram matrix's precision. Works nobody picked get all-zero rows and columns.

    Example::

        >>> solve_ease(np.array([[2.0, 1.0], [1.0, 2.0]]), 1.0).round(3).tolist()
        [[0.0, 0.333], [0.333, 0.0]]
    """
    n = gram.shape[0]
    if n == 0:
        return np.zeros((0, 0), dtype=gram.dtype)
    matrix = gram.copy()
    matrix[np.diag_indices(n)] += reg
    potrf, potri = (lapack.spotrf, lapack.spotri) if gram.dtype == np.float32 else (
        lapack.dpotrf, lapack.dpotri)  # fmt: skip
    factor, info = potrf(matrix, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"the regularised Gram matrix is not positive ({info})")
    inverse, info = potri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"cannot invert the regularised Gram matrix ({info})")
    upper = np.triu(inverse)
    precision = upper + np.triu(inverse, 1).T  # potri fills one triangle
    del upper, inverse
    diagonal = np.diag(precision).copy()
    precision /= -diagonal[None, :]
    precision[np.diag_indices(n)] = 0.0
    return precision


def sparsify_rows(coef: np.ndarray, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest absolute weights of each row of a dense matrix (CSR).

    Example::

        >>> sparsify_rows(np.array([[0.0, 3.0, -5.0, 1.0]]), 2).toarray().tolist()
        [[0.0, 3.0, -5.0, 0.0]]
    """
    n_rows, n_cols = coef.shape
    k = min(int(k), n_cols)
    if k <= 0:
        return sp.csr_matrix(coef.shape, dtype=coef.dtype)
    cols = np.argpartition(-np.abs(coef), k - 1, axis=1)[:, :k]
    cols.sort(axis=1)
    vals = np.take_along_axis(coef, cols, axis=1)
    indptr = np.arange(0, n_rows * k + 1, k)
    matrix = sp.csr_matrix((vals.ravel(), cols.ravel(), indptr), shape=coef.shape)
    matrix.eliminate_zeros()
    return matrix


@njit(cache=True)
def add_rows(coef, rows, weights, out) -> None:
    """``out += weights @ coef[rows]`` without gathering the rows into a copy: one person's
    scores read only the rows of the works they rated, straight from a memory-mapped
    ``coef`` (a third of the memory traffic of a gather and a product)."""
    for k in range(len(rows)):
        row = coef[rows[k]]
        weight = weights[k]
        for j in range(len(out)):
            out[j] += weight * row[j]
