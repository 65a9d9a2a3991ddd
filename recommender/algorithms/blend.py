"""Feature-weighted linear stacking of several recommenders (Sill et al. 2009).

The training ratings are split: the component models are fitted on ``1 - validation_
fraction`` of them and predict the rest; a ridge regression then learns how much each
component's deviation from the baseline counts, as a linear function of the user's and the
item's log number of ratings (so popular works can trust the factor models and rare ones
the neighbourhood or tag-based models). A ``cold_fraction`` of the works is moved wholly
to the validation side, and a "never rated" indicator joins the features, so the weights
also cover cold-start works. With ``refit=True`` the components are finally refitted on
all training ratings: more data, but the weights were learned on the part-fitted models,
and components whose shrinkage depends on data size (SVD, KNN) then get over-weighted;
on small data sets prefer ``refit=False``.

The fitted components are kept as learned attributes ``component0_``, ``component1_``...
(nested estimators, which the npz persistence saves under their own prefix).

Example::

    >>> from recommender.algorithms.base import RatingMatrix
    >>> rng = np.random.default_rng(0)
    >>> users, items = rng.integers(0, 20, 300), rng.integers(0, 15, 300)
    >>> data = RatingMatrix.from_triples(users, items, rng.integers(1, 6, 300), duplicates="last")
    >>> model = Blend(components=("knn-item", "svd"), random_state=0).fit(data)
    >>> model.predict([0, 99], [0, 99]).shape
    (2,)
"""

from __future__ import annotations

import importlib

import numpy as np

from recommender.algorithms.base import (
    RatingMatrix,
    Recommender,
    as_pairs,
    check_random_state,
    fit_inputs,
    validation_split,
)
from recommender.algorithms.baseline import bias_prediction, fit_biases, fold_bias, known_rows
from recommender.algorithms.recommending import Folded

# Component name -> (module, class, keyword arguments).
COMPONENTS = {
    "als": ("als", "ALS", {}),
    "knn-item": ("knn", "KNN", {"kind": "item"}),
    "knn-user": ("knn", "KNN", {"kind": "user"}),
    "svd": ("svd", "TruncatedSVD", {}),
    "mf": ("mf", "MatrixFactorization", {}),
    "fm": ("fm", "FactorizationMachine", {}),
    "neural": ("neural", "NeuralRecommender", {}),
    "lasso": ("lasso", "Lasso", {}),
}


def _component(name: str, random_state):
    module_name, class_name, params = COMPONENTS[name]
    cls = getattr(importlib.import_module(f"recommender.algorithms.{module_name}"), class_name)
    model = cls(**params)
    return model.set_params(random_state=random_state)


def _support_features(users, items, user_counts, item_counts) -> np.ndarray:
    """[1, log1p(n_u), log1p(n_i), n_i == 0] per pair; unknown users/items have 0 ratings."""
    n_u = known_rows(user_counts.astype(np.float64), users)
    n_i = known_rows(item_counts.astype(np.float64), items)
    return np.column_stack([np.ones(len(n_u)), np.log1p(n_u), np.log1p(n_i), n_i == 0])


class Blend(Recommender):
    """Stacked blend of ``components`` (names from :data:`COMPONENTS`)."""

    def __init__(
        self,
        components: tuple = ("fm", "als", "knn-item", "knn-user", "svd", "neural", "lasso"),
        validation_fraction: float = 0.2,
        cold_fraction: float = 0.05,
        reg: float = 10.0,
        refit: bool = True,
        random_state=None,
    ):
        self.refit = refit
        self.components = components
        self.validation_fraction = validation_fraction
        self.cold_fraction = cold_fraction
        self.reg = reg
        self.random_state = random_state

    def _names(self) -> list[str]:
        names = list(self.components)
        unknown = [n for n in names if n not in COMPONENTS]
        if not names or unknown:
            raise ValueError(f"components must be a non-empty subset of {list(COMPONENTS)}")
        if not 0 < self.validation_fraction < 1 or self.reg < 0:
            raise ValueError("validation_fraction must be in (0, 1) and reg >= 0")
        if not 0 <= self.cold_fraction < 1:
            raise ValueError("cold_fraction must be in [0, 1)")
        return names

    def _seeds(self) -> list[int]:
        rng = check_random_state(self.random_state)
        return [int(s) for s in rng.integers(2**31, size=len(self.components))]

    def _design(self, models, users, items, user_counts, item_counts, base) -> np.ndarray:
        support = _support_features(users, items, user_counts, item_counts)
        deviations = [m.predict(users, items).astype(np.float64) - base for m in models]
        # The support columns alone correct the bias prediction itself: works with one or
        # two ratings, and never-rated ones, are not rated like the average work.
        return np.hstack([support] + [d[:, None] * support for d in deviations])

    def fit(self, ratings: RatingMatrix, item_features=None) -> Blend:
        names = self._names()
        ratings, item_features = fit_inputs(ratings, item_features)
        self.user_items_ = ratings.tocsr()
        seeds = self._seeds()
        rng = check_random_state(self.random_state)
        # Some works go entirely to validation, so that the weights also learn how far
        # to trust each component on works it has never seen.
        part, val = validation_split(ratings, self.validation_fraction, self.cold_fraction, rng)
        models = [
            _component(n, s).fit(part, item_features) for n, s in zip(names, seeds, strict=True)
        ]
        mu, bu, bi = fit_biases(part)
        base = bias_prediction(mu, bu, bi, val.users, val.items)
        x = self._design(models, val.users, val.items, part.user_counts(), part.item_counts(), base)
        target = val.values - base
        gram = x.T @ x + self.reg * np.eye(x.shape[1])
        self.weights_ = np.linalg.solve(gram, x.T @ target) if len(target) else np.zeros(len(x.T))
        if not self.refit:
            self.global_mean_, self.user_bias_, self.item_bias_ = np.float64(mu), bu, bi
            self.user_counts_, self.item_counts_ = part.user_counts(), part.item_counts()
            for index, model in enumerate(models):
                setattr(self, f"component{index}_", model)
            return self
        mu, bu, bi = fit_biases(ratings)
        self.global_mean_, self.user_bias_, self.item_bias_ = np.float64(mu), bu, bi
        self.user_counts_ = ratings.user_counts()
        self.item_counts_ = ratings.item_counts()
        for index, (name, seed) in enumerate(zip(names, seeds, strict=True)):
            setattr(self, f"component{index}_", _component(name, seed).fit(ratings, item_features))
        return self

    def _fitted_models(self) -> list:
        return [getattr(self, f"component{index}_") for index in range(len(self.components))]

    def predict(self, users, items=None) -> np.ndarray:
        users, items = as_pairs(users, items)
        base = bias_prediction(self.global_mean_, self.user_bias_, self.item_bias_, users, items)
        x = self._design(
            self._fitted_models(), users, items, self.user_counts_, self.item_counts_, base
        )
        return (base + x @ self.weights_).astype(np.float32)

    def fold_in(self, items, values) -> Folded:
        """A new user's state: their baseline bias, number of known ratings and each
        component's own fold-in."""
        bias = fold_bias(self.global_mean_, self.item_bias_, 15.0, items, values)
        rows = np.asarray(items, dtype=np.int64).ravel()
        n_known = int(((rows >= 0) & (rows < len(self.item_bias_))).sum())
        states = tuple(model.fold_in(items, values) for model in self._fitted_models())
        return Folded((bias, n_known, states), items, values)

    def predict_folded(self, bias, n_known, states, items=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every item when None)."""
        items = np.arange(len(self.item_bias_)) if items is None else np.asarray(items)
        items = items.astype(np.int64).ravel()
        base = bias_prediction(self.global_mean_, np.array([bias]), self.item_bias_,
                               np.zeros(len(items), np.int64), items)  # fmt: skip
        support = _support_features(
            np.zeros(len(items), np.int64), items, np.array([n_known]), self.item_counts_
        )
        deviations = [
            np.asarray(model.predict_folded(*state, items=items), np.float64) - base
            for model, state in zip(self._fitted_models(), states, strict=True)
        ]
        x = np.hstack([support] + [d[:, None] * support for d in deviations])
        return base + x @ self.weights_
