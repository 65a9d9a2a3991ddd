"""A 2-D picture of a factor model: the plane of the item factors' two principal axes.

Why it can be read as a taste map: an ALS score is ``mu + b_u + b_j + u . v_j``. With the
item factors centred on their mean ``m`` and ``W`` the two principal axes (k x 2),
``u . v_j = u . m + (W^T u) . (W^T (v_j - m)) + (what the other axes carry)``, so in the
plane the personal part of the score grows along ``W^T u``: works lying in the user's
direction from the centre are predicted higher, as far as two axes can tell.

Example::

    >>> factors = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> plane = principal_plane(factors)
    >>> plane.project(factors).round(2).tolist()
    [[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]]
    >>> plane.direction([1.0, 0.0]).round(2).tolist()
    [1.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Plane:
    """The centre and two principal axes of a set of factor vectors."""

    center: np.ndarray  # (k,)
    axes: np.ndarray  # (k, 2), orthonormal columns (a column is zero if the data is flatter)
    explained: np.ndarray  # (2,) share of the variance along each axis

    def project(self, vectors) -> np.ndarray:
        """Coordinates in the plane of item factor rows (n x k -> n x 2)."""
        return (np.atleast_2d(np.asarray(vectors, dtype=np.float64)) - self.center) @ self.axes

    def direction(self, user_vector) -> np.ndarray:
        """A user vector's direction in the plane (``W^T u``, not centred: a user vector
        is not a point among the items but a direction of preference)."""
        return np.asarray(user_vector, dtype=np.float64) @ self.axes


def principal_plane(factors) -> Plane:
    """PCA of item factors (rows) through an SVD of the centred matrix.

    Each axis's sign is fixed (its largest loading is positive), so the picture is the
    same every time the same model is projected.

    Example::

        >>> principal_plane(np.eye(3)).axes.shape
        (3, 2)
    """
    data = np.asarray(factors, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError("factors must be a 2-D array (items x factors)")
    n, k = data.shape
    center = data.mean(axis=0) if n else np.zeros(k)
    axes = np.zeros((k, 2))
    explained = np.zeros(2)
    if n >= 2 and k >= 1:
        _, singular, vt = np.linalg.svd(data - center, full_matrices=False)
        keep = min(2, len(singular))
        axes[:, :keep] = vt[:keep].T
        strongest = np.abs(axes).argmax(axis=0)
        axes *= np.where(axes[strongest, [0, 1]] < 0, -1.0, 1.0)
        total = float(np.sum(singular**2))
        if total > 0:
            explained[:keep] = singular[:keep] ** 2 / total
    return Plane(center=center, axes=axes, explained=explained)
