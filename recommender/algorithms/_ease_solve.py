"""EASE's dense algebra: the closed-form solve, row sparsification, and the kernel that
adds a person's rated rows of ``B`` (see :mod:`recommender.algorithms.ease`)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.linalg import lapack

GRAM_BAND = 1024  # columns of the Gram matrix computed at once


def gram_matrix(weights: sp.spmatrix, dtype=np.float32) -> np.ndarray:
    """``W^T W`` as a dense ``dtype`` matrix, a band of columns at a time.

    The sparse product of the whole matrix is dense in practice (12 bytes per pair of works)
    and its float64 copy 8 more: 24 bytes per pair at the peak where the result needs 4.

    Example::

        >>> gram_matrix(sp.csr_matrix([[1.0, 1.0], [0.0, 2.0]])).tolist()
        [[1.0, 1.0], [1.0, 5.0]]
    """
    n = weights.shape[1]
    rows = sp.csr_matrix(weights.T)
    columns = sp.csc_matrix(weights)
    gram = np.empty((n, n), dtype=dtype)
    for start in range(0, n, GRAM_BAND):
        stop = min(n, start + GRAM_BAND)
        gram[:, start:stop] = (rows @ columns[:, start:stop]).toarray()
    return gram


def solve_ease(gram: np.ndarray, reg: float, overwrite: bool = False) -> np.ndarray:
    """The EASE weights ``B`` for a Gram matrix ``W^T W`` and ``reg``.

    A Cholesky inverse (LAPACK potrf/potri: half the work of a general inverse), in the
    Gram matrix's precision. Works nobody picked get all-zero rows and columns. With
    ``overwrite`` the Gram matrix's memory becomes ``B`` (a C-ordered float array is then
    neither copied nor kept: at most one works x works matrix is alive, where the copy and
    the symmetrisation held five); without it ``gram`` is left as it was.

    Example::

        >>> solve_ease(np.array([[2.0, 1.0], [1.0, 2.0]]), 1.0).round(3).tolist()
        [[0.0, 0.333], [0.333, 0.0]]
    """
    n = gram.shape[0]
    if n == 0:
        return np.zeros((0, 0), dtype=gram.dtype)
    # LAPACK works on Fortran order; a symmetric matrix in C order is its own transpose, so
    # the transposed view (Fortran-ordered) is factored in place, upper triangle <-> lower.
    matrix = (gram if overwrite else gram.copy()).T
    matrix[np.diag_indices(n)] += reg
    potrf, potri = (lapack.spotrf, lapack.spotri) if gram.dtype == np.float32 else (
        lapack.dpotrf, lapack.dpotri)  # fmt: skip
    factor, info = potrf(matrix, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"the regularised Gram matrix is not positive ({info})")
    inverse, info = potri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"cannot invert the regularised Gram matrix ({info})")
    # potri fills one triangle; the full inverse is symmetric, so its transpose is the same
    # matrix back in the Gram matrix's (C) order, whose rows serving reads.
    precision = mirror_upper(inverse).T
    diagonal = np.diag(precision).copy()
    precision /= -diagonal[None, :]
    precision[np.diag_indices(n)] = 0.0
    return precision


def mirror_upper(matrix: np.ndarray, block: int = 512) -> np.ndarray:
    """Copy the upper triangle of a square matrix onto its lower one, in place, a band of rows
    at a time (no full-size temporary); returns it.

    Example::

        >>> mirror_upper(np.array([[1.0, 2.0], [0.0, 3.0]])).tolist()
        [[1.0, 2.0], [2.0, 3.0]]
    """
    n = matrix.shape[0]
    for start in range(0, n, block):
        stop = min(n, start + block)
        matrix[start:stop, :start] = matrix[:start, start:stop].T
        square = matrix[start:stop, start:stop]
        lower = np.tril_indices(stop - start, -1)
        square[lower] = square.T[lower]
    return matrix


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
    # A band of rows at a time: the absolute values and the partition's indices of the whole
    # matrix would be three more works x works arrays.
    cols = np.empty((n_rows, k), dtype=np.int64)
    for start in range(0, n_rows, 1024):
        band = -np.abs(coef[start : start + 1024])
        cols[start : start + 1024] = np.argpartition(band, k - 1, axis=1)[:, :k]
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
