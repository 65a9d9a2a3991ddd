"""Explanations: why a work is recommended, and what a user seems to like.

Pure functions over learned arrays (a LASSO's tag weights, an ALS's item factors), so the
site can explain any model that has them.

Example::

    >>> coef = np.array([1.5, -2.0, 0.0])
    >>> explain_tags(coef, np.array([1.0, 1.0, 1.0]), ["space", "gore", "music"], k=2)
    [('space', 1.5), ('gore', -2.0)]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _dense_row(row) -> np.ndarray:
    if sp.issparse(row):
        return np.asarray(row.toarray(), dtype=np.float64).ravel()
    return np.asarray(row, dtype=np.float64).ravel()


def explain_tags(coef, item_tag_row, tag_names, k=3) -> list[tuple[str, float]]:
    """The ``k`` tags contributing most to a (user, work) score, as (name, contribution).

    Contribution = the user's LASSO weight x the work's tag weight. Positive contributions
    come first (largest first), then negative ones (most negative first); zero ones never.

    Example::

        >>> explain_tags([2.0, 0.5], [0.5, 1.0], ["mecha", "school"], k=3)
        [('mecha', 1.0), ('school', 0.5)]
    """
    contrib = np.asarray(coef, dtype=np.float64).ravel() * _dense_row(item_tag_row)
    if len(contrib) != len(tag_names):
        raise ValueError("coef, item_tag_row and tag_names must have the same length")
    nonzero = np.flatnonzero(contrib)
    top = nonzero[np.argsort(-np.abs(contrib[nonzero]), kind="stable")][:k]
    top = sorted(top, key=lambda j: (contrib[j] < 0, -abs(contrib[j])))
    return [(tag_names[j], float(contrib[j])) for j in top]


def user_taste(coef, tag_names, k=3) -> dict[str, list[tuple[str, float]]]:
    """A user's strongest liked and disliked tags from their LASSO weights.

    Example::

        >>> user_taste([1.0, -0.5, 0.2], ["space", "gore", "music"], k=1)
        {'liked': [('space', 1.0)], 'disliked': [('gore', -0.5)]}
    """
    coef = np.asarray(coef, dtype=np.float64).ravel()
    if len(coef) != len(tag_names):
        raise ValueError("coef and tag_names must have the same length")
    order = np.argsort(-coef, kind="stable")
    liked = [(tag_names[j], float(coef[j])) for j in order[:k] if coef[j] > 0]
    disliked = [(tag_names[j], float(coef[j])) for j in order[::-1][:k] if coef[j] < 0]
    return {"liked": liked, "disliked": disliked}


def nearest_liked(item_factors, item, liked_items, k=2) -> list[tuple[int, float]]:
    """The ``k`` liked items closest to ``item`` in factor space, as (index, cosine).

    ``item`` itself is never returned; items with all-zero factors are skipped.

    Example::

        >>> factors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
        >>> nearest_liked(factors, 0, [1, 2], k=1)
        [(1, 0.9939)]
    """
    factors = np.asarray(item_factors, dtype=np.float64)
    liked = np.unique(np.asarray(liked_items, dtype=np.int64))
    liked = liked[(liked != item) & (liked >= 0) & (liked < len(factors))]
    if not 0 <= item < len(factors) or len(liked) == 0:
        return []
    target = factors[item]
    norms = np.linalg.norm(factors[liked], axis=1) * np.linalg.norm(target)
    valid = norms > 0
    liked, norms = liked[valid], norms[valid]
    cosine = factors[liked] @ target / norms
    order = np.argsort(-cosine, kind="stable")[:k]
    return [(int(liked[j]), round(float(cosine[j]), 4)) for j in order]
