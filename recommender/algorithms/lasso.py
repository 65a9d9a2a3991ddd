"""LASSO: one sparse linear model per user over the item tag matrix.

Each user gets tag weights ``coef_[u]`` and an unpenalised intercept ``intercept_[u]``
minimising ``1/(2 n_u) ||r_u - T_u p_u - b_u||^2 + alpha ||p_u||_1``. All users are solved at
once in a numba kernel (see ``_lasso_kernels``), never one scikit-learn model per user.
The weights explain a user's taste; predictions are clipped to the training rating range.

Example::

    >>> import scipy.sparse as sp
    >>> from recommender.algorithms.base import RatingMatrix
    >>> tags = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    >>> data = RatingMatrix.from_triples([0, 0, 0], [0, 1, 2], [4.0, -2.0, 1.0])
    >>> model = Lasso(alpha=0.01).fit(data, tags)
    >>> model.coef_.round(1)
    array([[ 3., -3.]])
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from recommender.algorithms import _lasso_kernels as kernels
from recommender.algorithms.base import (
    RatingMatrix,
    Recommender,
    as_pairs,
    check_fitted,
    row_chunks,
)

logger = logging.getLogger(__name__)


def as_tag_matrix(item_features, n_items: int | None = None) -> sp.csr_matrix:
    """Validate an item x tag matrix (weights in [0, 1]) as float64 CSR."""
    if item_features is None:
        raise ValueError("this model needs item_features (an n_items x n_tags matrix)")
    tags = sp.csr_matrix(item_features, dtype=np.float64)
    tags.sum_duplicates()
    if n_items is not None and tags.shape[0] < n_items:
        raise ValueError(f"item_features has {tags.shape[0]} rows for {n_items} items")
    if tags.nnz and (tags.data.min() < 0 or tags.data.max() > 1):
        raise ValueError("tag weights must lie in [0, 1]")
    return tags


class Lasso(Recommender):
    """Per-user sparse linear regression on item tags, solved for all users at once.

    ``clip=None`` clips predictions to the rating range seen in training; a ``(lo, hi)``
    pair fixes it. Learned: ``coef_`` (n_users x n_tags), ``intercept_``, ``clip_``,
    ``global_mean_`` (the intercept of users without ratings) and ``item_features_``.
    """

    def __init__(self, alpha=0.05, max_iter=500, tol=1e-6, clip=None, random_state=None):
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.clip = clip
        self.random_state = random_state  # unused: the solution is unique and deterministic

    def fit(self, ratings: RatingMatrix, item_features=None) -> Lasso:
        """Fit every user's model on ``item_features`` (n_items x n_tags)."""
        if self.alpha < 0 or int(self.max_iter) < 1 or self.tol <= 0:
            raise ValueError("need alpha >= 0, max_iter >= 1 and tol > 0")
        if ratings.nnz == 0:
            raise ValueError("Lasso cannot be fitted on an empty RatingMatrix")
        tags = as_tag_matrix(item_features, ratings.n_items)
        csr = ratings.tocsr()
        mean = float(np.mean(ratings.values, dtype=np.float64))
        coef = np.zeros((ratings.n_users, tags.shape[1]), dtype=np.float64)
        intercept = np.zeros(ratings.n_users, dtype=np.float64)
        sweeps = kernels.lasso_all_users(
            csr.indptr, csr.indices, csr.data.astype(np.float64),
            tags.indptr.astype(np.int64), tags.indices.astype(np.int64), tags.data,
            tags.shape[1], float(self.alpha), int(self.max_iter), float(self.tol),
            row_chunks(csr.indptr), coef, intercept, mean,
        )  # fmt: skip
        if sweeps >= int(self.max_iter):
            logger.warning("Lasso: some users did not converge in %d sweeps", self.max_iter)
        if self.clip is None:
            self.clip_ = np.array([ratings.values.min(), ratings.values.max()], np.float64)
        else:
            lo, hi = self.clip
            self.clip_ = np.array([lo, hi], dtype=np.float64)
        self.coef_ = coef
        self.intercept_ = intercept
        self.global_mean_ = mean
        self.item_features_ = tags
        return self

    def _scores(self, coef, intercept, items, tags) -> np.ndarray:
        # Items without a tag row (unknown) score the intercept alone.
        known = (items >= 0) & (items < tags.shape[0])
        out = np.array(intercept, dtype=np.float64, copy=True)
        if known.any():
            rows = tags[items[known]]
            coef_rows = coef if coef.ndim == 1 else coef[known]
            out[known] += np.asarray(rows.multiply(coef_rows).sum(axis=1)).ravel()
        return np.clip(out, *self.clip_)

    def predict(self, users, items) -> np.ndarray:
        """Score pairs; unknown users get the global mean, unknown items the intercept."""
        check_fitted(self, "coef_")
        users, items = as_pairs(users, items)
        known = (users >= 0) & (users < len(self.intercept_))
        coef = np.zeros((len(users), self.coef_.shape[1]))
        coef[known] = self.coef_[users[known]]
        intercept = np.full(len(users), self.global_mean_)
        intercept[known] = self.intercept_[users[known]]
        return self._scores(coef, intercept, items, self.item_features_)

    def predict_users(self, users) -> np.ndarray:
        """Dense predictions (len(users) x items) of whole rows: one sparse product."""
        check_fitted(self, "coef_")
        users = np.asarray(users, dtype=np.int64).ravel()
        known = (users >= 0) & (users < len(self.intercept_))
        coef = np.zeros((len(users), self.coef_.shape[1]))
        coef[known] = self.coef_[users[known]]
        intercept = np.full(len(users), self.global_mean_)
        intercept[known] = self.intercept_[users[known]]
        scores = np.asarray(self.item_features_ @ coef.T).T + intercept[:, None]
        return np.clip(scores, *self.clip_)

    def fold_in(self, items, values, item_features=None) -> tuple[np.ndarray, float]:
        """Fit one user's weights and intercept from their ratings (milliseconds).

        ``item_features`` replaces the training tag matrix (e.g. with brand-new works).
        """
        check_fitted(self, "coef_")
        tags = self.item_features_ if item_features is None else as_tag_matrix(item_features)
        items = np.asarray(items, dtype=np.int64).ravel()
        values = np.asarray(values, dtype=np.float64).ravel()
        if items.shape != values.shape:
            raise ValueError("items and values must have the same length")
        keep = (items >= 0) & (items < tags.shape[0])
        items, values = items[keep], values[keep]
        if len(items) == 0:
            return np.zeros(tags.shape[1]), self.global_mean_
        order = np.argsort(items, kind="stable")
        coef = np.zeros((1, tags.shape[1]))
        intercept = np.zeros(1)
        kernels.lasso_rows(
            0, 1, np.array([0, len(items)], np.int64), items[order], values[order],
            tags.indptr.astype(np.int64), tags.indices.astype(np.int64), tags.data,
            tags.shape[1], float(self.alpha), int(self.max_iter), float(self.tol),
            coef, intercept, self.global_mean_,
        )  # fmt: skip
        return coef[0], float(intercept[0])

    def predict_folded(self, coef, intercept, items=None, item_features=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every row of the tag matrix when None)."""
        check_fitted(self, "coef_")
        tags = self.item_features_ if item_features is None else as_tag_matrix(item_features)
        items = np.arange(tags.shape[0]) if items is None else np.asarray(items, np.int64).ravel()
        coef = np.asarray(coef, dtype=np.float64)
        return self._scores(coef, np.full(len(items), float(intercept)), items, tags)
