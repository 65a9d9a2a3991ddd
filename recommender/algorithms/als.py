"""ALS-WR (Zhou et al. 2008) with a global mean and user/item biases.

Each half-step solves every user (then every item) against the other side's fixed factors,
regularised by ``reg * n`` where ``n`` is that row's number of ratings. The solves run in
numba kernels over the CSR/CSC arrays (see ``_als_kernels``): by default a few
conjugate-gradient steps warm-started from the previous factors, or exact Cholesky solves.

Example::

    >>> from recommender.algorithms.base import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1, 1], [0, 1, 0, 1], [4.0, 2.0, 4.0, 2.0])
    >>> model = ALS(rank=2, n_iter=5, random_state=0).fit(data)
    >>> model.predict([0], [0]).round(1)  # two ratings each: the prior pulls toward the mean
    array([3.6])
    >>> ALS(rank=2, n_iter=5, prior=0.0, random_state=0).fit(data).predict([0], [0]).round(1)
    array([4.])
"""

from __future__ import annotations

import logging

import numpy as np

from recommender.algorithms import _als_kernels as kernels
from recommender.algorithms.base import (
    RatingMatrix,
    Recommender,
    as_pairs,
    check_fitted,
    check_random_state,
    fit_inputs,
    in_chunks,
    row_chunks,
)
from recommender.algorithms.recommending import Folded

logger = logging.getLogger(__name__)

SOLVERS = ("cg", "cholesky")


class ALS(Recommender):
    """Alternating least squares with lambda-weighted regularisation and biases.

    ``solver="cg"`` (default) takes ``cg_steps`` conjugate-gradient steps per row and
    half-step, warm-started from the previous factors; ``solver="cholesky"`` solves each
    row exactly (slower; the reference the CG solver is tested against).

    Learned: ``global_mean_``, ``user_bias_``, ``item_bias_``, ``user_factors_``,
    ``item_factors_``.
    """

    def __init__(
        self,
        rank=20,
        reg=0.1,
        n_iter=10,
        random_state=None,
        dtype="float32",
        reg_bias=0.05,
        solver="cg",
        cg_steps=3,
        init_scale=0.1,
        prior=30.0,
    ):
        self.rank = rank
        self.reg = reg
        self.n_iter = n_iter
        self.random_state = random_state
        self.dtype = dtype
        self.reg_bias = reg_bias
        self.solver = solver
        self.cg_steps = cg_steps
        self.init_scale = init_scale
        self.prior = prior

    def _validate(self) -> None:
        if int(self.rank) < 1:
            raise ValueError(f"rank must be >= 1, got {self.rank!r}")
        if self.reg < 0 or (self.reg_bias is not None and self.reg_bias < 0):
            raise ValueError("reg and reg_bias must be >= 0")
        if self.prior < 0:
            raise ValueError(f"prior must be >= 0, got {self.prior!r}")
        if int(self.n_iter) < 0:
            raise ValueError(f"n_iter must be >= 0, got {self.n_iter!r}")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        if self.solver == "cg" and int(self.cg_steps) < 1:
            raise ValueError("cg_steps must be >= 1")
        if np.dtype(self.dtype) not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}")

    def fit(self, ratings: RatingMatrix, item_features=None) -> ALS:
        """Learn biases and factors from ``ratings`` (a RatingMatrix, a scipy sparse
        users x items matrix or an (n, 3) array; ``item_features`` is ignored)."""
        self._validate()
        ratings, item_features = fit_inputs(ratings, item_features)
        if ratings.nnz == 0:
            raise ValueError("ALS cannot be fitted on an empty RatingMatrix")
        dtype = np.dtype(self.dtype)
        rank = int(self.rank)
        rng = check_random_state(self.random_state)
        reg_bias = self.reg if self.reg_bias is None else self.reg_bias

        csr, csc = ratings.tocsr(), ratings.tocsc()
        mu = float(np.mean(ratings.values, dtype=np.float64))
        # Rows hold [factors, bias]; see _als_kernels for why this layout.
        users = np.zeros((ratings.n_users, rank + 1), dtype=dtype)
        items = np.zeros((ratings.n_items, rank + 1), dtype=dtype)
        scale = self.init_scale / np.sqrt(rank)
        users[:, :rank] = rng.normal(0.0, scale, (ratings.n_users, rank))
        items[:, :rank] = rng.normal(0.0, scale, (ratings.n_items, rank))
        users[np.diff(csr.indptr) == 0] = 0.0  # the counts, without another pass
        items[np.diff(csc.indptr) == 0] = 0.0
        by_user = (csr.indptr, csr.indices, csr.data.astype(dtype, copy=False))
        by_item = (csc.indptr, csc.indices, csc.data.astype(dtype, copy=False))

        # Items first, users last: the final user vectors are then exact solves (or CG
        # steps) against the final item factors, which is what fold_in reproduces.
        for _ in range(int(self.n_iter)):
            self._half_step(by_item, users, items, mu, reg_bias)
            self._half_step(by_user, items, users, mu, reg_bias)

        self.global_mean_ = mu
        self.user_factors_ = np.ascontiguousarray(users[:, :rank])
        self.user_bias_ = np.ascontiguousarray(users[:, rank])
        self.item_factors_ = np.ascontiguousarray(items[:, :rank])
        self.item_bias_ = np.ascontiguousarray(items[:, rank])
        self.user_items_ = csr
        return self

    def _half_step(self, arrays, other, own, mu, reg_bias) -> None:
        indptr, indices, data = arrays
        bounds = row_chunks(indptr)
        if self.solver == "cg":
            kernels.cg_half_step(
                indptr, indices, data, other, own, mu, self.reg, reg_bias, float(self.prior),
                int(self.cg_steps), bounds,
            )  # fmt: skip
        else:
            kernels.exact_half_step(
                indptr, indices, data, other, own, mu, self.reg, reg_bias, float(self.prior), bounds
            )

    # -- scoring -------------------------------------------------------------------------

    def predict(self, users, items=None) -> np.ndarray:
        """Score (user, item) pairs; unknown indices fall back to global mean + known bias."""
        check_fitted(self, "user_factors_")
        users, items = as_pairs(users, items)
        return in_chunks(self._predict_pairs, users, items)

    def _predict_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        known_u = (users >= 0) & (users < len(self.user_bias_))
        known_i = (items >= 0) & (items < len(self.item_bias_))
        u_rows = np.zeros((len(users), self.user_factors_.shape[1] + 1), self.user_factors_.dtype)
        i_rows = np.zeros_like(u_rows)
        u_rows[known_u, :-1] = self.user_factors_[users[known_u]]
        u_rows[known_u, -1] = self.user_bias_[users[known_u]]
        i_rows[known_i, :-1] = self.item_factors_[items[known_i]]
        i_rows[known_i, -1] = self.item_bias_[items[known_i]]
        return np.einsum("ij,ij->i", u_rows[:, :-1], i_rows[:, :-1], dtype=np.float64) + (
            self.global_mean_ + u_rows[:, -1].astype(np.float64) + i_rows[:, -1]
        )

    def predict_users(self, users) -> np.ndarray:
        """Dense predictions (len(users) x items) of whole rows: one matrix product.

        Unknown users get the global mean plus the item biases, as in :meth:`predict`."""
        check_fitted(self, "user_factors_")
        users = np.asarray(users, dtype=np.int64).ravel()
        known = (users >= 0) & (users < len(self.user_bias_))
        rows = np.zeros((len(users), self.user_factors_.shape[1]), self.user_factors_.dtype)
        rows[known] = self.user_factors_[users[known]]
        bias = np.zeros(len(users))
        bias[known] = self.user_bias_[users[known]]
        out = (rows @ self.item_factors_.T).astype(np.float64)
        return out + self.item_bias_[None, :] + (self.global_mean_ + bias)[:, None]

    def fold_in(self, items, values) -> Folded:
        """Solve one (new or changed) user's vector and bias against the fixed item factors.

        Unknown item indices are ignored; no ratings gives a zero vector and zero bias.

        Example::

            >>> vec, bias = model.fold_in([0, 1], [4.0, 2.0])  # doctest: +SKIP
        """
        check_fitted(self, "item_factors_")
        items = np.asarray(items, dtype=np.int64).ravel()
        values = np.asarray(values, dtype=np.float64).ravel()
        if items.shape != values.shape:
            raise ValueError("items and values must have the same length")
        rated = (items, values)
        rank = self.item_factors_.shape[1]
        keep = (items >= 0) & (items < len(self.item_bias_))
        items, values = items[keep], values[keep]
        n = len(items)
        if n == 0:
            return Folded((np.zeros(rank, dtype=self.item_factors_.dtype), 0.0), *rated)
        feats = np.ones((n, rank + 1), dtype=np.float64)
        feats[:, :rank] = self.item_factors_[items]
        target = values - self.global_mean_ - self.item_bias_[items]
        gram = feats.T @ feats
        reg_bias = self.reg if self.reg_bias is None else self.reg_bias
        gram[np.diag_indices(rank)] += self.reg * (n + self.prior)
        gram[rank, rank] += reg_bias * (n + self.prior)
        solution = np.linalg.solve(gram, feats.T @ target)
        vector = solution[:rank].astype(self.item_factors_.dtype)
        return Folded((vector, float(solution[rank])), *rated)

    def predict_folded(self, user_vector, user_bias, items=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every item when None)."""
        check_fitted(self, "item_factors_")
        if items is None:
            scores = self.item_factors_ @ np.asarray(user_vector, self.item_factors_.dtype)
            return scores.astype(np.float64) + self.item_bias_ + self.global_mean_ + user_bias
        items = np.asarray(items, dtype=np.int64).ravel()
        known = (items >= 0) & (items < len(self.item_bias_))
        out = np.full(len(items), self.global_mean_ + float(user_bias), dtype=np.float64)
        rows = items[known]
        out[known] += self.item_factors_[rows] @ np.asarray(user_vector, np.float64)
        out[known] += self.item_bias_[rows]
        return out

    def _item_vectors(self) -> np.ndarray:
        check_fitted(self, "item_factors_")
        return self.item_factors_
