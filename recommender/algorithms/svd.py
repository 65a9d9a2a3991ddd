"""Truncated SVD of the bias-centred rating matrix, with optional EM imputation.

The residual matrix ``R - (mu + b_u + b_i)`` is filled with 0 (= the baseline) where no
rating exists and factorised by ``scipy.sparse.linalg.svds``. With ``n_iter > 1`` the
missing cells are re-filled with the current low-rank estimate and the SVD redone (the
"hard/soft impute" EM of Mazumder et al. 2010); singular values are soft-thresholded by
``shrinkage``. The filled matrix is never built: ``svds`` sees a ``LinearOperator``
(sparse correction + low-rank part), so memory stays O(ratings + rank * (users + items)).

Example::

    >>> from recommender.algorithms.base import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1, 1, 2], [0, 1, 0, 1, 1], [5, 1, 4, 2, 1])
    >>> model = TruncatedSVD(n_components=1, random_state=0).fit(data)
    >>> bool(model.predict([2], [0])[0] > model.predict([2], [1])[0])
    True
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, svds

from recommender.algorithms.base import (
    RatingMatrix,
    Recommender,
    as_pairs,
    check_random_state,
    fit_inputs,
)
from recommender.algorithms.baseline import bias_prediction, fit_biases, fold_bias, known_indices
from recommender.algorithms.recommending import Folded


class TruncatedSVD(Recommender):
    """Baseline plus a rank-``n_components`` SVD of the residuals.

    ``n_iter=1`` is the plain "PureSVD"-on-residuals; more iterations impute the missing
    cells from the previous estimate. ``shrinkage`` (>= 0) is subtracted from every
    singular value (soft-impute), which regularises the imputed factors.
    """

    def __init__(
        self,
        n_components: int = 10,
        n_iter: int = 8,
        shrinkage: float = 10.0,
        reg_user: float = 15.0,
        reg_item: float = 10.0,
        random_state=None,
    ):
        self.n_components = n_components
        self.n_iter = n_iter
        self.shrinkage = shrinkage
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.random_state = random_state

    def fit(self, ratings: RatingMatrix, item_features=None) -> TruncatedSVD:
        if self.n_components < 1 or self.n_iter < 1 or self.shrinkage < 0:
            raise ValueError("n_components and n_iter must be >= 1, shrinkage >= 0")
        ratings, item_features = fit_inputs(ratings, item_features)
        rng = check_random_state(self.random_state)
        mu, bu, bi = fit_biases(ratings, self.reg_user, self.reg_item)
        self.user_items_ = ratings.tocsr()
        self.global_mean_ = np.float64(mu)
        self.user_bias_, self.item_bias_ = bu, bi
        n_users, n_items = ratings.shape
        rank = min(int(self.n_components), min(n_users, n_items) - 1)
        self.user_factors_ = np.zeros((n_users, max(rank, 0)))
        self.item_factors_ = np.zeros((n_items, max(rank, 0)))
        if rank < 1 or ratings.nnz == 0:
            return self
        users, items = ratings.users, ratings.items
        residual = ratings.values - (mu + bu[users] + bi[items])
        left = np.zeros((n_users, rank))
        right = np.zeros((n_items, rank))
        v0 = rng.standard_normal(min(n_users, n_items))
        for _ in range(int(self.n_iter)):
            # Observed cells hold the residual; missing ones the current estimate.
            correction = residual - np.einsum("ij,ij->i", left[users], right[items])
            sparse = sp.csr_matrix((correction, (users, items)), shape=ratings.shape)
            operator = _sparse_plus_low_rank(sparse, left, right)
            u, s, vt = svds(operator, k=rank, v0=v0, solver="arpack")
            s = np.maximum(s - self.shrinkage, 0.0)
            left, right = u * s, vt.T
        self.user_factors_, self.item_factors_ = left, right
        return self

    def predict(self, users, items=None) -> np.ndarray:
        users, items = as_pairs(users, items)
        base = bias_prediction(self.global_mean_, self.user_bias_, self.item_bias_, users, items)
        u, u_known = known_indices(users, len(self.user_factors_))
        i, i_known = known_indices(items, len(self.item_factors_))
        both = u_known & i_known
        if self.user_factors_.shape[1] and both.any():
            dot = np.einsum("ij,ij->i", self.user_factors_[u[both]], self.item_factors_[i[both]])
            base[both] += dot
        return base.astype(np.float32)

    def fold_in(self, items, values, n_iter: int = 20) -> Folded:
        """A new user's state ``(bias, factors)``: the baseline bias, then the row the
        soft-impute EM converges to against the fixed item factors (missing cells filled
        with the current estimate, singular values shrunk as in ``fit``)."""
        bias = fold_bias(self.global_mean_, self.item_bias_, self.reg_user, items, values)
        rank = self.item_factors_.shape[1]
        rows, known = known_indices(items, len(self.item_factors_))
        rows = rows[known]
        residual = np.asarray(values, np.float64).ravel()[known] - (
            self.global_mean_ + bias + self.item_bias_[rows]
        )
        factors = np.zeros(rank)
        if rank and len(rows):
            shrunk = np.sqrt((self.user_factors_**2).sum(axis=0))  # s - shrinkage, per axis
            ratio = np.divide(shrunk, shrunk + self.shrinkage, out=np.zeros(rank),
                              where=shrunk > 0)  # fmt: skip
            right = self.item_factors_[rows]
            projected = residual @ right
            gram = right.T @ right
            for _ in range(int(n_iter)):  # x <- ratio * (z V), z filled with x V^T
                factors = ratio * (projected + factors - factors @ gram)
        return Folded((bias, factors), items, values)

    def predict_folded(self, bias, factors, items=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every item when None)."""
        items = np.arange(len(self.item_bias_)) if items is None else items
        rows, known = known_indices(items, len(self.item_bias_))
        out = self.global_mean_ + bias + np.where(known, self.item_bias_[rows], 0.0)
        if len(factors):
            out = out + np.where(known, self.item_factors_[rows] @ np.asarray(factors), 0.0)
        return out

    def _item_vectors(self) -> np.ndarray:
        return self.item_factors_


def _sparse_plus_low_rank(sparse, left, right) -> LinearOperator:
    """``sparse + left @ right.T`` as an operator, never materialised."""
    return LinearOperator(
        sparse.shape,
        matvec=lambda v: sparse @ v + left @ (right.T @ v),
        rmatvec=lambda v: sparse.T @ v + right @ (left.T @ v),
        dtype=np.float64,
    )
