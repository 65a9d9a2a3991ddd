"""What an estimator's ``fit`` accepts, turned into a :class:`RatingMatrix`: a RatingMatrix, a
scipy sparse matrix, an ``(n, 3)`` array or DataFrame, or scikit-learn's ``X, y``.

Pure library: numpy/scipy only, never Django.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.ratings import RatingMatrix


def as_rating_matrix(ratings, y=None) -> RatingMatrix:
    """What ``fit`` accepts, as a :class:`RatingMatrix`: a RatingMatrix, a scipy sparse
    users x items matrix (stored entries are ratings), an ``(n, 3)`` array (a numeric
    DataFrame too) of user index, item index, rating with an optional 4th column of
    times, or scikit-learn's ``X, y``: ``(n, 2)`` (user, item) rows and the ratings.
    Raw ids go through :meth:`RatingMatrix.from_ids` first.

    Example::

        >>> as_rating_matrix(np.array([[0, 1, 4.0], [1, 0, 2.0]])).shape
        (2, 2)
        >>> as_rating_matrix(np.array([[0, 1], [1, 0]]), y=[4.0, 2.0]).values.tolist()
        [4.0, 2.0]
    """
    if isinstance(ratings, RatingMatrix) and y is None:
        return ratings
    if sp.issparse(ratings) and y is None:
        return RatingMatrix.from_scipy(ratings)
    table = np.asarray(ratings.to_numpy() if hasattr(ratings, "to_numpy") else ratings)
    if y is not None:
        values = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y).ravel()
        if table.ndim != 2 or table.shape[1] < 2 or len(values) != len(table):
            raise ValueError(
                "with y, X must hold one (user index, item index) row per rating; got X of "
                f"shape {table.shape} for {len(values)} ratings"
            )
        return RatingMatrix.from_triples(table[:, 0], table[:, 1], values)
    if table.ndim != 2 or table.shape[1] not in (3, 4):
        raise ValueError(
            "ratings must be a RatingMatrix, a scipy sparse users x items matrix or an "
            f"(n, 3) array of user index, item index, rating; got shape {table.shape}"
        )
    times = table[:, 3] if table.shape[1] == 4 else None
    return RatingMatrix.from_triples(table[:, 0], table[:, 1], table[:, 2], times=times)


def fit_inputs(ratings, item_features=None):
    """``fit``'s first two arguments as (RatingMatrix, item features). scikit-learn calls
    ``fit(X, y)``: a 1-d second argument is then the ratings of ``X``'s (user, item) rows,
    and there are no item features (give tag models an ``(n, 3)`` X and
    ``item_features=`` instead).

    Example::

        >>> data, features = fit_inputs(np.array([[0, 1], [1, 0]]), np.array([4.0, 2.0]))
        >>> data.nnz, features
        (2, None)
    """
    if item_features is not None and not sp.issparse(item_features):
        if not hasattr(item_features, "columns") and np.ndim(item_features) == 1:
            return as_rating_matrix(ratings, y=item_features), None
    return as_rating_matrix(ratings), item_features
