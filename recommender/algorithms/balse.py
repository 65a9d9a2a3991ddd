"""BALSE: blend ALS and LASSO per item with a gate learned on held-out ratings.

``r = s_j r_ALS + (1 - s_j) r_LASSO`` with ``s_j = sigmoid(beta (R_j - gamma))`` and ``R_j``
the item's number of training ratings: popular works follow ALS, little-known ones the
tag-based LASSO. ``beta`` and ``gamma`` are learned (the "Steins gate"): the sub-models are
fitted on 70% of the training ratings, the gate minimises squared error on the other 30%
(L-BFGS-B with an analytic gradient, several starts), then the sub-models are refitted on
everything. All ratings of a ``cold_fraction`` of the works also go to validation, so the
gate sees works with no rating at all (R_j = 0) and learns how little to trust ALS there;
without them the sigmoid's value at 0 is an extrapolation from works with a few ratings.

Example::

    >>> model = BALSE(random_state=0).fit(ratings, tags)  # doctest: +SKIP
    >>> model.beta_, model.gamma_  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from recommender.algorithms.als import ALS
from recommender.algorithms.base import (
    RatingMatrix,
    Recommender,
    as_pairs,
    check_fitted,
    check_random_state,
    fit_inputs,
    validation_split,
)
from recommender.algorithms.lasso import Lasso
from recommender.algorithms.recommending import Folded, features_and_names, is_user_index

logger = logging.getLogger(__name__)


def _clone(model: Recommender | None, default: Callable[..., Recommender], seed) -> Recommender:
    if model is None:
        return default(random_state=seed)
    params = model.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        params["random_state"] = seed
    return type(model)(**params)


def fit_gate(counts, r_als, r_lasso, target, starts=None) -> tuple[float, float]:
    """Learn (beta, gamma) minimising the blend's mean squared error.

    ``counts`` is each pair's item rating count; gamma is searched on the scale of
    ``log1p`` counts internally for conditioning, and returned in ratings.

    Example::

        >>> fit_gate(np.array([0, 50]), np.array([0.0, 1.0]), np.array([1.0, 0.0]),
        ...          np.array([1.0, 1.0]))  # doctest: +SKIP
    """
    counts = np.asarray(counts, dtype=np.float64)
    diff = np.asarray(r_als, np.float64) - np.asarray(r_lasso, np.float64)
    base = np.asarray(r_lasso, np.float64) - np.asarray(target, np.float64)
    scale = max(float(np.std(counts)), 1.0)

    def loss(theta):
        # theta = (beta * scale, gamma / scale): both O(1) for the optimiser.
        beta, gamma = theta[0] / scale, theta[1] * scale
        gate = expit(beta * (counts - gamma))
        err = base + gate * diff
        dgate = gate * (1.0 - gate) * err * diff
        value = np.mean(err**2)
        grad_beta = 2.0 * np.mean(dgate * (counts - gamma))
        grad_gamma = -2.0 * np.mean(dgate) * beta
        return value, np.array([grad_beta / scale, grad_gamma * scale])

    if starts is None:
        quantiles = np.quantile(counts, [0.1, 0.5, 0.9]) / scale
        starts = [(b, g) for b in (0.5, 2.0, 8.0) for g in quantiles]
    best = None
    for start in starts:
        result = minimize(loss, np.asarray(start, float), jac=True, method="L-BFGS-B",
                          bounds=[(1e-3, 1e3), (-10.0, 10.0 + counts.max() / scale)])  # fmt: skip
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None  # starts is never empty
    return float(best.x[0] / scale), float(best.x[1] * scale)


class BALSE(Recommender):
    """Gated blend of an ALS and a LASSO; ``als``/``lasso`` are unfitted templates.

    Learned: ``beta_``, ``gamma_``, ``item_counts_``, ``als_``, ``lasso_``.
    """

    def __init__(
        self, als=None, lasso=None, validation_fraction=0.3, cold_fraction=0.05, random_state=None
    ):
        self.als = als
        self.lasso = lasso
        self.validation_fraction = validation_fraction
        self.cold_fraction = cold_fraction
        self.random_state = random_state

    def _default_templates(self) -> dict:
        return {"als": ALS, "lasso": Lasso}

    def fit(self, ratings: RatingMatrix, item_features=None, tag_names=None) -> BALSE:
        """Learn the gate on a validation split, then refit both models on all ratings
        (``tag_names`` or a DataFrame's columns name the tags, for :meth:`explain`)."""
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError("validation_fraction must lie in (0, 1)")
        if not 0.0 <= self.cold_fraction < 1.0:
            raise ValueError("cold_fraction must lie in [0, 1)")
        ratings, item_features = fit_inputs(ratings, item_features)
        item_features, names = features_and_names(item_features, tag_names)
        if ratings.nnz < 2:
            raise ValueError("BALSE needs at least two ratings (one to train, one to validate)")
        rng = check_random_state(self.random_state)
        seed = int(rng.integers(2**31 - 1))
        train, valid = validation_split(ratings, self.validation_fraction, self.cold_fraction, rng)

        als = _clone(self.als, ALS, seed).fit(train, item_features)
        lasso = _clone(self.lasso, Lasso, seed).fit(train, item_features)
        counts = train.item_counts()[valid.items]
        self.beta_, self.gamma_ = fit_gate(
            counts, als.predict(valid.users, valid.items),
            lasso.predict(valid.users, valid.items), valid.values,
        )  # fmt: skip
        logger.info("BALSE gate: beta=%.4g gamma=%.4g", self.beta_, self.gamma_)
        # The split and its models go before the final fits: at tens of millions of
        # ratings they are gigabytes, and the final fits need as much again.
        del als, lasso, counts, train, valid

        self.als_ = _clone(self.als, ALS, seed).fit(ratings, item_features)
        self.lasso_ = _clone(self.lasso, Lasso, seed).fit(ratings, item_features, names)
        self.item_counts_ = ratings.item_counts()
        self.tag_names_ = self.lasso_.tag_names_
        self.user_items_ = ratings.tocsr()
        return self

    def gate(self, items) -> np.ndarray:
        """The ALS share s_j of each item (unknown items count as never rated)."""
        check_fitted(self, "beta_")
        items = np.asarray(items, dtype=np.int64).ravel()
        known = (items >= 0) & (items < len(self.item_counts_))
        counts = np.zeros(len(items))
        counts[known] = self.item_counts_[items[known]]
        return expit(self.beta_ * (counts - self.gamma_))

    def predict(self, users, items=None) -> np.ndarray:
        users, items = as_pairs(users, items)
        gate = self.gate(items)
        return gate * self.als_.predict(users, items) + (1 - gate) * self.lasso_.predict(
            users, items
        )

    def predict_users(self, users) -> np.ndarray:
        """Dense predictions (len(users) x items) of whole rows."""
        gate = self.gate(np.arange(len(self.item_counts_)))[None, :]
        als = self.als_.predict_users(users)
        return gate * als + (1 - gate) * self.lasso_.predict_users(users)[:, : als.shape[1]]

    def fold_in(self, items, values, item_features=None):
        """A new user's state: ``((als_vector, als_bias), (lasso_coef, lasso_intercept))``."""
        check_fitted(self, "beta_")
        return Folded(
            (
                self.als_.fold_in(items, values),
                self.lasso_.fold_in(items, values, item_features=item_features),
            ),
            items,
            values,
        )

    def predict_folded(self, als_state, lasso_state, items=None, item_features=None):
        """Blend a folded-in user's scores; items beyond the ALS model follow LASSO alone."""
        check_fitted(self, "beta_")
        if items is None:
            tags = self.lasso_.item_features_ if item_features is None else item_features
            items = np.arange(tags.shape[0])
        items = np.asarray(items, dtype=np.int64).ravel()
        gate = self.gate(items)
        als = self.als_.predict_folded(*als_state, items=items)
        lasso = self.lasso_.predict_folded(*lasso_state, items=items, item_features=item_features)
        return gate * als + (1 - gate) * lasso

    # -- explanations ---------------------------------------------------------------------

    def _item_vectors(self) -> np.ndarray:
        return self.als_._item_vectors()

    def _tag_weights(self, user) -> np.ndarray:
        check_fitted(self, "beta_")
        return self.lasso_._tag_weights(user if is_user_index(user) else user[1])

    def _tag_rows(self):
        return self.lasso_._tag_rows()
