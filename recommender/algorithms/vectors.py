"""Row norms and unit rows: the one vector normalisation behind cosine neighbours, the
poster index and the diverse deck.

Example::

    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
"""

from __future__ import annotations

import numpy as np


def row_norms(matrix: np.ndarray) -> np.ndarray:
    """The Euclidean length of each row, in the matrix's float type (one pass, no
    temporary matrix).

    Example::

        >>> row_norms(np.array([[3.0, 4.0], [1.0, 0.0]]))
        array([5., 1.])
    """
    matrix = np.asarray(matrix)
    if matrix.dtype not in (np.float32, np.float64):
        matrix = matrix.astype(np.float64)
    return np.sqrt(np.einsum("ij,ij->i", matrix, matrix))


def unit_rows(matrix: np.ndarray, norms: np.ndarray | None = None) -> np.ndarray:
    """``matrix`` with each row scaled to length 1 (same float type); an all-zero row stays
    zero, since it has no direction. ``norms`` passes :func:`row_norms` when already known.

    Example::

        >>> unit_rows(np.array([[0.0, 2.0]], dtype=np.float32))
        array([[0., 1.]], dtype=float32)
    """
    matrix = np.asarray(matrix)
    if matrix.dtype not in (np.float32, np.float64):
        matrix = matrix.astype(np.float64)
    norms = row_norms(matrix) if norms is None else np.asarray(norms, dtype=matrix.dtype)
    norms = norms.reshape(-1, 1)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
