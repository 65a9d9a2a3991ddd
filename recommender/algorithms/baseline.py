"""Global mean plus regularised user and item biases: the fallback every model shares.

``r_ui ~ mu + b_u + b_i``, fitted by a few alternating closed-form passes (each pass is a
ridge regression per item, then per user, solved for all of them at once with
``np.bincount``). A user or item never seen in training has bias 0, so the prediction
degrades gracefully to the item bias, the user bias, or the global mean.

Example::

    >>> from recommender.algorithms.base import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 0], [5.0, 3.0, 4.0])
    >>> model = Baseline(reg_user=0.0, reg_item=0.0).fit(data)
    >>> model.predict([5], [9])  # unknown user and item: the global mean
    array([4.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from recommender.algorithms.base import RatingMatrix, Recommender, as_pairs, fit_inputs
from recommender.algorithms.recommending import Folded


def fit_biases(
    ratings: RatingMatrix, reg_user: float = 15.0, reg_item: float = 10.0, n_iter: int = 10
) -> tuple[float, np.ndarray, np.ndarray]:
    """Fit ``mu``, user biases and item biases by alternating ridge solutions.

    Example::

        >>> data = RatingMatrix.from_triples([0, 1], [0, 0], [1.0, 3.0])
        >>> mu, bu, bi = fit_biases(data, 0.0, 0.0, 1)
        >>> float(mu), bu.round(6).tolist()
        (2.0, [-1.0, 1.0])
    """
    users, items = ratings.users, ratings.items
    values = ratings.values.astype(np.float64)
    user_bias = np.zeros(ratings.n_users)
    item_bias = np.zeros(ratings.n_items)
    if ratings.nnz == 0:
        return 0.0, user_bias, item_bias
    mu = float(values.mean())
    n_items = np.bincount(items, minlength=ratings.n_items)
    n_users = np.bincount(users, minlength=ratings.n_users)
    for _ in range(max(1, int(n_iter))):
        residual = values - mu - user_bias[users]
        item_bias = np.bincount(items, residual, ratings.n_items) / (reg_item + n_items + 1e-12)
        residual = values - mu - item_bias[items]
        user_bias = np.bincount(users, residual, ratings.n_users) / (reg_user + n_users + 1e-12)
    return mu, user_bias, item_bias


def known_indices(indices, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices as int64 plus a mask of those inside ``[0, size)``; unknown ones map to 0.

    Example::

        >>> known_indices([0, 3, -1], 2)
        (array([0, 0, 0]), array([ True, False, False]))
    """
    indices = np.asarray(indices, dtype=np.int64).ravel()
    mask = (indices >= 0) & (indices < size)
    return np.where(mask, indices, 0), mask


def known_rows(matrix: np.ndarray, indices) -> np.ndarray:
    """Rows of ``matrix`` at ``indices``, zeros for indices outside it (even if it is empty).

    Example::

        >>> known_rows(np.array([[1.0, 2.0]]), [0, 5]).tolist()
        [[1.0, 2.0], [0.0, 0.0]]
    """
    idx, mask = known_indices(indices, len(matrix))
    rows = np.zeros((len(idx),) + matrix.shape[1:], dtype=matrix.dtype)
    rows[mask] = matrix[idx[mask]]
    return rows


def fold_bias(mu, item_bias, reg_user, items, values) -> float:
    """A new user's ridge bias against fixed item biases (the last half-pass of
    :func:`fit_biases`); unknown items are ignored.

    Example::

        >>> round(fold_bias(3.0, np.array([0.5, -0.5]), 0.0, [0, 1, 7], [4.0, 3.0, 5.0]), 6)
        0.5
    """
    items, known = known_indices(items, len(item_bias))
    values = np.asarray(values, dtype=np.float64).ravel()[known]
    residual = values - mu - item_bias[items[known]]
    return float(residual.sum() / (reg_user + len(residual) + 1e-12)) if len(residual) else 0.0


def bias_prediction(mu, user_bias, item_bias, users, items) -> np.ndarray:
    """``mu + b_u + b_i`` with 0 for any bias outside the training shape (float64)."""
    u, u_known = known_indices(users, len(user_bias))
    i, i_known = known_indices(items, len(item_bias))
    if len(u) != len(i):
        raise ValueError("users and items must have the same length")
    bu = np.where(u_known, user_bias[u] if len(user_bias) else 0.0, 0.0)
    bi = np.where(i_known, item_bias[i] if len(item_bias) else 0.0, 0.0)
    return float(mu) + bu + bi


class Baseline(Recommender):
    """``mu + b_u + b_i`` with ridge-regularised biases (Koren's baseline predictor).

    Parameters: ``reg_user`` and ``reg_item`` are the ridge penalties (in "virtual
    ratings" at the mean), ``n_iter`` the number of alternating passes.
    """

    def __init__(self, reg_user: float = 15.0, reg_item: float = 10.0, n_iter: int = 10):
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.n_iter = n_iter

    def fit(self, ratings: RatingMatrix, item_features=None) -> Baseline:
        if self.reg_user < 0 or self.reg_item < 0 or self.n_iter < 1:
            raise ValueError("regularisation must be >= 0 and n_iter >= 1")
        ratings, item_features = fit_inputs(ratings, item_features)
        mu, bu, bi = fit_biases(ratings, self.reg_user, self.reg_item, self.n_iter)
        self.global_mean_ = np.float64(mu)
        self.user_bias_ = bu
        self.item_bias_ = bi
        self.user_items_ = ratings.tocsr()
        return self

    def predict(self, users, items=None) -> np.ndarray:
        users, items = as_pairs(users, items)
        return bias_prediction(
            self.global_mean_, self.user_bias_, self.item_bias_, users, items
        ).astype(np.float32)

    def fold_in(self, items, values) -> Folded:
        """A new user's state ``(bias,)`` from their ratings."""
        bias = fold_bias(self.global_mean_, self.item_bias_, self.reg_user, items, values)
        return Folded((bias,), items, values)

    def predict_folded(self, bias, items=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every item when None)."""
        items = np.arange(len(self.item_bias_)) if items is None else items
        items, known = known_indices(items, len(self.item_bias_))
        return float(self.global_mean_) + bias + np.where(known, self.item_bias_[items], 0.0)
