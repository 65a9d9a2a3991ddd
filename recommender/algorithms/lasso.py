"""LASSO: one sparse linear model per user over the item tag matrix, on top of a baseline.

A user's prediction is the baseline plus their own deviation, shrunk by how much we know
about them::

    r_ui = mu + b_i + s_u (a_u + T_i d_u) + T_i theta,     s_u = n_u / (n_u + prior)

- ``mu + b_i + T_i theta``: the baseline's item part; the item bias is ridge-shrunk toward
  what the work's tags predict (``theta``, a ridge regression of the item biases on the
  tags), so a work nobody rated yet gets ``mu + T_i theta``;
- ``(a_u, d_u)``: the user's LASSO, ``1/(2 n_u) ||e_u - a_u - T_u d_u||^2 + alpha ||d_u||_1``
  on their residuals ``e_u`` from the baseline's item part (all users at once in a numba
  kernel, ``_lasso_kernels``);
- ``s_u``: with ``d_u = 0`` the model is exactly the baseline with a user bias shrunk by
  ``prior`` pseudo-ratings; a user with one rating is all but the baseline (their one
  residual is no evidence of a taste for tags), one with hundreds is all their own model.

Learned ``coef_[u] = theta + s_u d_u`` are the user's tag weights (everyone's average taste
plus their own, the explanation of "what you seem to like"), ``intercept_[u] = s_u a_u``.
Predictions are clipped to the training rating range.

Example::

    >>> import scipy.sparse as sp
    >>> from recommender.algorithms.base import RatingMatrix
    >>> tags = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    >>> data = RatingMatrix.from_triples([0, 0, 0], [0, 1, 2], [4.0, -2.0, 1.0])
    >>> model = Lasso(alpha=0.01, prior=0.0, reg_item=0.0).fit(data, tags)  # no shrinkage
    >>> model.predict([0, 0], [0, 1]).round(1)
    array([ 4., -2.])
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
    fit_inputs,
    in_chunks,
    row_chunks,
)
from recommender.algorithms.baseline import fit_biases
from recommender.algorithms.recommending import Folded, features_and_names, is_user_index

logger = logging.getLogger(__name__)
ALPHA_TOLERANCE = 0.005  # validation MSE within this share of the best counts as a tie


def as_tag_matrix(item_features, n_items: int | None = None) -> sp.csr_matrix:
    """Validate an item x tag matrix (weights in [0, 1]) as float64 CSR."""
    if item_features is None:
        raise ValueError(
            "this model needs item_features (an n_items x n_tags matrix); with scikit-learn, "
            "give X as (n, 3) rows of user, item, rating and item_features= as a fit parameter"
        )
    item_features, _ = features_and_names(item_features)
    tags = sp.csr_matrix(item_features, dtype=np.float64)
    tags.sum_duplicates()
    if n_items is not None and tags.shape[0] < n_items:
        raise ValueError(f"item_features has {tags.shape[0]} rows for {n_items} items")
    if tags.nnz and (tags.data.min() < 0 or tags.data.max() > 1):
        raise ValueError("tag weights must lie in [0, 1]")
    return tags


def tag_prior(item_bias, counts, tags, reg_item: float, reg_tags: float) -> np.ndarray:
    """``theta``: ridge regression of the item biases on the items' tags, each rated item
    weighted by its reliability ``n / (n + reg_item)``.

    Example::

        >>> tags = sp.csr_matrix(np.array([[1.0], [1.0], [0.0]]))
        >>> tag_prior(np.array([1.0, 1.0, 0.0]), np.array([100, 100, 100]), tags, 0, 0)
        array([1.])
    """
    rated = counts > 0
    if not rated.any() or tags.shape[1] == 0:
        return np.zeros(tags.shape[1])
    x = tags[np.flatnonzero(rated)]
    weight = counts[rated] / (counts[rated] + reg_item)
    gram = np.asarray((x.T @ x.multiply(weight[:, None])).todense())
    gram[np.diag_indices_from(gram)] += reg_tags
    rhs = np.asarray(x.T @ (weight * item_bias[rated])).ravel()
    return np.linalg.lstsq(gram, rhs, rcond=None)[0]


def tag_scores(tags: sp.csr_matrix, coef: np.ndarray, users, items: np.ndarray) -> np.ndarray:
    """``tags[i] . coef[u]`` for each pair (``coef`` users x tags, ``users`` its rows), or
    ``tags[i] . coef`` with one row of weights for all; pairs are scored in chunks (one
    dense row of weights per pair costs n_tags x 8 bytes).

    Example::

        >>> tags = sp.csr_matrix(np.array([[1.0, 0.0], [0.5, 1.0]]))
        >>> tag_scores(tags, np.array([[2.0, 3.0]]), np.array([0, 0]), np.array([0, 1]))
        array([2., 4.])
    """
    if coef.ndim == 1:
        return np.asarray(tags[items] @ coef, dtype=np.float64).ravel()

    def chunk(rows, columns):
        return np.asarray(tags[columns].multiply(coef[rows]).sum(axis=1)).ravel()

    return in_chunks(chunk, np.asarray(users), np.asarray(items))


class Lasso(Recommender):
    """Per-user sparse linear regression on item tags, solved for all users at once, as a
    shrunk deviation from the baseline (see the module docstring).

    ``alpha`` is the L1 penalty of the personal tag weights, or ``"auto"`` (chosen on
    held-out ratings, see :meth:`fit`). ``prior`` is the number of pseudo-ratings pulling
    each user toward the baseline (0: no shrinkage); ``reg_item`` the item biases' ridge
    (toward the tags' prediction) and ``reg_tags`` that of ``theta``. ``clip=None`` clips
    predictions to the rating range seen in training; a ``(lo, hi)`` pair fixes it.
    Learned: ``coef_`` (n_users x n_tags), ``intercept_``, ``item_offset_`` (``mu + b_i -
    T_i theta``), ``tag_prior_`` (``theta``), ``clip_``, ``global_mean_``,
    ``item_features_``, ``tag_names_``, ``user_items_``, ``alpha_``.
    """

    #: 2: coef_ includes the tag prior, intercept_ is the shrunk deviation from the baseline.
    format_version = 2

    def __init__(
        self,
        alpha="auto",
        max_iter=500,
        tol=1e-6,
        clip=None,
        prior=15.0,
        reg_item=10.0,
        reg_tags=1.0,
        alpha_grid=(0.02, 0.05, 0.15, 0.5, np.inf),
        validation_fraction=0.2,
        random_state=None,
    ):
        self.alpha = alpha
        self.alpha_grid = alpha_grid
        self.validation_fraction = validation_fraction
        self.max_iter = max_iter
        self.tol = tol
        self.clip = clip
        self.prior = prior
        self.reg_item = reg_item
        self.reg_tags = reg_tags
        self.random_state = random_state  # draws the validation split of alpha="auto"

    def _validate(self) -> None:
        if self.alpha != "auto" and not (isinstance(self.alpha, int | float) and self.alpha >= 0):
            raise ValueError(f"alpha must be 'auto' or a number >= 0, got {self.alpha!r}")
        if int(self.max_iter) < 1 or self.tol <= 0:
            raise ValueError("need max_iter >= 1 and tol > 0")
        if self.prior < 0 or self.reg_item < 0 or self.reg_tags < 0:
            raise ValueError("prior, reg_item and reg_tags must be >= 0")
        if self.alpha == "auto" and (not self.alpha_grid or min(self.alpha_grid) < 0):
            raise ValueError("alpha_grid must hold numbers >= 0")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError("validation_fraction must lie in (0, 1)")

    def fit(self, ratings: RatingMatrix, item_features=None, tag_names=None) -> Lasso:
        """Fit every user's model on ``item_features`` (n_items x n_tags, weights in
        [0, 1]; a DataFrame's columns name the tags, or pass ``tag_names``).

        ``alpha="auto"`` tries ``alpha_grid`` times the spread of the residuals on
        ``validation_fraction`` of the ratings of users with two or more (``inf``: no
        personal tag weights, the baseline with a shrunk user bias) and keeps the
        strongest within 0.5% of the best validation error: the penalty a 1-10 scale of
        noisy reviews needs is not a 1-5 scale's.
        """
        self._validate()
        ratings, item_features = fit_inputs(ratings, item_features)
        if ratings.nnz == 0:
            raise ValueError("Lasso cannot be fitted on an empty RatingMatrix")
        item_features, names = features_and_names(item_features, tag_names)
        tags = as_tag_matrix(item_features, ratings.n_items)
        alpha = self._choose_alpha(ratings, tags) if self.alpha == "auto" else float(self.alpha)
        parts = self._solve(ratings, tags, alpha)
        if self.clip is None:
            self.clip_ = np.array([ratings.values.min(), ratings.values.max()], np.float64)
        else:
            lo, hi = self.clip
            self.clip_ = np.array([lo, hi], dtype=np.float64)
        self.coef_, self.intercept_, self.item_offset_, self.tag_prior_, self.global_mean_ = parts
        self.alpha_ = alpha
        self.item_features_ = tags
        self.tag_names_ = names
        self.user_items_ = ratings.tocsr()
        return self

    def _residuals(self, ratings: RatingMatrix, tags):
        """(mu, item offsets, theta, each item's T_i theta, the CSR view, residuals)."""
        mu, _, item_bias = fit_biases(ratings, float(self.prior), float(self.reg_item))
        counts = ratings.item_counts().astype(np.float64)
        theta = tag_prior(item_bias, counts, tags[: ratings.n_items], self.reg_item, self.reg_tags)
        tagged = np.asarray(tags[: ratings.n_items] @ theta).ravel()
        # b_i shrunk toward T_i theta instead of 0; the offset leaves the tag part out.
        offset = mu + item_bias - counts / (counts + self.reg_item + 1e-12) * tagged
        csr = ratings.tocsr()
        residual = csr.data.astype(np.float64) - offset[csr.indices] - tagged[csr.indices]
        return mu, offset, theta, tagged, csr, residual

    def _solve(self, ratings: RatingMatrix, tags, alpha: float):
        """(coef, intercept, item offsets, theta, mu) for one ``alpha``."""
        mu, offset, theta, _, csr, residual = self._residuals(ratings, tags)
        deviation = np.zeros((ratings.n_users, tags.shape[1]), dtype=np.float64)
        intercept = np.zeros(ratings.n_users, dtype=np.float64)
        sweeps = kernels.lasso_all_users(
            csr.indptr, csr.indices, residual,
            tags.indptr.astype(np.int64), tags.indices.astype(np.int64), tags.data,
            tags.shape[1], float(alpha), int(self.max_iter), float(self.tol),
            row_chunks(csr.indptr), deviation, intercept, 0.0,
        )  # fmt: skip
        if sweeps >= int(self.max_iter):
            logger.warning("Lasso: some users did not converge in %d sweeps", self.max_iter)
        n_u = np.diff(csr.indptr).astype(np.float64)
        shrink = n_u / (n_u + self.prior) if self.prior > 0 else (n_u > 0).astype(np.float64)
        coef = theta[None, :] + shrink[:, None] * deviation
        return coef, shrink * intercept, offset, theta, mu

    def _choose_alpha(self, ratings: RatingMatrix, tags) -> float:
        rng = np.random.default_rng(self.random_state)
        several = ratings.user_counts()[ratings.users] >= 2
        held = several & (rng.random(ratings.nnz) < self.validation_fraction)
        if held.sum() < 10:
            return float(sorted(self.alpha_grid)[len(self.alpha_grid) // 2])
        kept = ratings.subset(~held)
        *_, residual = self._residuals(kept, tags)
        spread = float(np.std(residual)) or 1.0
        users, items = ratings.users[held], ratings.items[held]
        low, high = float(kept.values.min()), float(kept.values.max())
        errors = {}
        for multiplier in self.alpha_grid:
            coef, intercept, offset, _, _ = self._solve(kept, tags, multiplier * spread)
            guess = offset[items] + intercept[users] + tag_scores(tags, coef, users, items)
            errors[multiplier * spread] = float(np.mean((np.clip(guess, low, high)
                                                         - ratings.values[held]) ** 2))  # fmt: skip
        # The strongest penalty within 0.5% of the best: near-ties are noise, and a
        # weaker penalty is the one that can lose to the baseline on new ratings.
        best = min(errors.values())
        chosen = max(a for a, error in errors.items() if error <= best * (1 + ALPHA_TOLERANCE))
        logger.info("Lasso alpha %.4g (validation MSE %s)", chosen, errors)
        return chosen

    def _offsets(self, items) -> np.ndarray:
        """The item part of the baseline without tags (``mu`` for unknown items)."""
        known = (items >= 0) & (items < len(self.item_offset_))
        out = np.full(len(items), self.global_mean_, dtype=np.float64)
        out[known] = self.item_offset_[items[known]]
        return out

    def _scores(self, coef, intercept, items, tags, users=None) -> np.ndarray:
        """Offset + intercept + tag part of each item; ``coef`` is one row of tag weights
        for every item, or a users x tags array whose rows ``users`` gives per item."""
        # Items without a tag row (unknown) score their offset and the intercept alone.
        known = (items >= 0) & (items < tags.shape[0])
        out = np.array(intercept, dtype=np.float64, copy=True) + self._offsets(items)
        if known.any():
            rows = None if users is None else users[known]
            out[known] += tag_scores(tags, coef, rows, items[known])
        return np.clip(out, *self.clip_)

    def predict(self, users, items=None) -> np.ndarray:
        """Score pairs; unknown users get the baseline's item part (everyone's tag
        weights, no personal intercept), unknown items their intercept."""
        check_fitted(self, "coef_")
        users, items = as_pairs(users, items)
        known = (users >= 0) & (users < len(self.intercept_))
        out = np.empty(len(users), dtype=np.float64)
        tags = self.item_features_
        mine = users[known]
        out[known] = self._scores(self.coef_, self.intercept_[mine], items[known], tags, mine)
        others = items[~known]
        out[~known] = self._scores(self.tag_prior_, np.zeros(len(others)), others, tags)
        return out

    def predict_users(self, users) -> np.ndarray:
        """Dense predictions (len(users) x items) of whole rows, as :meth:`predict` gives
        them pair by pair: one sparse product."""
        check_fitted(self, "coef_")
        users = np.asarray(users, dtype=np.int64).ravel()
        known = (users >= 0) & (users < len(self.intercept_))
        coef = np.tile(self.tag_prior_, (len(users), 1))
        coef[known] = self.coef_[users[known]]
        intercept = np.zeros(len(users))
        intercept[known] = self.intercept_[users[known]]
        items = np.arange(self.item_features_.shape[0])
        scores = np.asarray(self.item_features_ @ coef.T).T
        scores += intercept[:, None] + self._offsets(items)[None, :]
        return np.clip(scores, *self.clip_)

    def fold_in(self, items, values, item_features=None) -> Folded:
        """Fit one user's weights and intercept from their ratings (milliseconds), as
        ``(coef, intercept)``. ``item_features`` replaces the training tag matrix (e.g.
        with brand-new works, whose baseline offset is then ``mu``).
        """
        check_fitted(self, "coef_")
        tags = self.item_features_ if item_features is None else as_tag_matrix(item_features)
        items = np.asarray(items, dtype=np.int64).ravel()
        values = np.asarray(values, dtype=np.float64).ravel()
        if items.shape != values.shape:
            raise ValueError("items and values must have the same length")
        rated = (items, values)
        keep = (items >= 0) & (items < tags.shape[0])
        items, values = items[keep], values[keep]
        if len(items) == 0:
            return Folded((self.tag_prior_.copy(), 0.0), *rated)
        order = np.argsort(items, kind="stable")
        items, values = items[order], values[order]
        tagged = np.asarray(tags[items] @ self.tag_prior_).ravel()
        residual = values - self._offsets(items) - tagged
        deviation = np.zeros((1, tags.shape[1]))
        intercept = np.zeros(1)
        kernels.lasso_rows(
            0, 1, np.array([0, len(items)], np.int64), items, residual,
            tags.indptr.astype(np.int64), tags.indices.astype(np.int64), tags.data,
            tags.shape[1], float(self.alpha_), int(self.max_iter), float(self.tol),
            deviation, intercept, 0.0,
        )  # fmt: skip
        n = float(len(items))
        shrink = n / (n + self.prior) if self.prior > 0 else 1.0
        coef = self.tag_prior_ + shrink * deviation[0]
        return Folded((coef, float(shrink * intercept[0])), *rated)

    def predict_folded(self, coef, intercept, items=None, item_features=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every row of the tag matrix when None)."""
        check_fitted(self, "coef_")
        tags = self.item_features_ if item_features is None else as_tag_matrix(item_features)
        items = np.arange(tags.shape[0]) if items is None else np.asarray(items, np.int64).ravel()
        coef = np.asarray(coef, dtype=np.float64)
        return self._scores(coef, np.full(len(items), float(intercept)), items, tags)

    # -- explanations ---------------------------------------------------------------------

    def _tag_weights(self, user) -> np.ndarray:
        check_fitted(self, "coef_")
        if is_user_index(user):
            known = 0 <= int(user) < len(self.coef_)
            return self.coef_[int(user)] if known else self.tag_prior_
        return np.asarray(user[0], dtype=np.float64)

    def _tag_rows(self) -> sp.csr_matrix:
        return self.item_features_

    def _item_vectors(self) -> np.ndarray:
        """The items' tag rows: similar items share tags."""
        check_fitted(self, "item_features_")
        return self.item_features_.toarray()
