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

from recommender.algorithms.neighbours import cosine_neighbours


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
    row = sp.csr_matrix(_dense_row(item_tag_row)[None, :])
    return explain_tags_many(coef, row, tag_names, k)[0]


def explain_tags_many(coef, item_tag_rows, tag_names, k=3, positive_only=False) -> list[list]:
    """:func:`explain_tags` for many works at once (one row of ``item_tag_rows`` each).

    ``positive_only`` keeps only the tags that raise the score ("you seem to like ...").

    Example::

        >>> rows = sp.csr_matrix([[1.0, 0.0], [0.5, 1.0]])
        >>> explain_tags_many([2.0, -1.0], rows, ["mecha", "gore"], k=2)
        [[('mecha', 2.0)], [('mecha', 1.0), ('gore', -1.0)]]
    """
    coef = np.asarray(coef, dtype=np.float64).ravel()
    if item_tag_rows.shape[1] != len(coef) or len(coef) != len(tag_names):
        raise ValueError("coef, item_tag_rows and tag_names must have the same number of tags")
    contrib = np.asarray(sp.csr_matrix(item_tag_rows).multiply(coef[None, :]).todense())
    if positive_only:
        contrib = np.where(contrib > 0, contrib, 0.0)
    by_size = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :k]
    result = []
    for r, top in enumerate(by_size):
        top = top[contrib[r, top] != 0]
        # Positive contributions first, each sign by decreasing size.
        values = contrib[r, top]
        top = top[np.lexsort((-np.abs(values), values < 0))]
        result.append([(tag_names[j], float(contrib[r, j])) for j in top])
    return result


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
    return nearest_liked_many(item_factors, [item], liked_items, k)[0]


def nearest_liked_many(item_factors, items, liked_items, k=2) -> list[list[tuple[int, float]]]:
    """:func:`nearest_liked` for many items at once: one matrix product, not a loop.

    Example::

        >>> factors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
        >>> nearest_liked_many(factors, [0, 2], [1, 2], k=1)
        [[(1, 0.9939)], [(1, 0.1104)]]
    """
    liked = np.asarray(liked_items, dtype=np.int64).ravel()
    return cosine_neighbours(item_factors, items, k, candidates=liked)
