"""The contract every recommender in this library follows.

Pure library: numpy/scipy/torch only, never Django.

Ratings are explicit (user, item, value) triples held in :class:`RatingMatrix` (see
``ratings.py``; ``fit`` also takes a scipy sparse matrix or an ``(n, 3)`` array).

Estimators follow scikit-learn's contract: ``__init__`` only stores hyper-parameters,
``fit`` validates them and returns ``self``, learned attributes end in ``_``, randomness
comes only from ``random_state``; ``get_params(deep=True)`` / ``set_params`` (nested
``als__rank``) make them work with ``sklearn.base.clone`` and ``GridSearchCV``. Unknown
users or items never raise: they get the model's fallback (global mean plus whatever bias
is known).

Example::

    >>> data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 1], [4.0, 2.0, -2.0])
    >>> data.shape
    (2, 2)
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.algorithms._grouping import _group, _group_by, _majors  # noqa: F401
from recommender.algorithms.rating_inputs import (  # noqa: F401  (re-exported: the old home)
    as_rating_matrix,
    fit_inputs,
)
from recommender.algorithms.ratings import RatingMatrix  # noqa: F401  (re-exported)
from recommender.algorithms.recommending import Recommending


class Recommender(Recommending):
    """Base class: hyper-parameter handling shared by every estimator.

    Subclasses implement ``fit(ratings, item_features=None)`` returning ``self`` and
    ``predict(users, items)`` returning one float per pair, with a defined fallback for
    indices outside the training shape (never an exception). ``Recommending`` adds
    ``recommend``, ``similar_items``, ``explain`` and ``score`` on top.
    """

    #: Format version written into saved files; bump when the saved arrays change.
    format_version = 1

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind is not p.VAR_KEYWORD
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyper-parameters; with ``deep``, a nested estimator's as ``name__param``
        too (scikit-learn's convention)."""
        params = {name: getattr(self, name) for name in self._param_names()}
        if deep:
            for name, value in list(params.items()):
                if hasattr(value, "get_params") and not isinstance(value, type):
                    for key, inner in value.get_params(deep=True).items():
                        params[f"{name}__{key}"] = inner
        return params

    def set_params(self, **params) -> Recommender:
        """Set hyper-parameters, nested ones as ``name__param`` (``als__rank=10``)."""
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, _, inner = key.partition("__")
            if name not in self._param_names():
                raise ValueError(
                    f"{type(self).__name__} has no parameter {name!r} "
                    f"(it has {', '.join(self._param_names())})"
                )
            if inner:
                nested.setdefault(name, {})[inner] = value
            else:
                setattr(self, name, value)
        for name, inner_params in nested.items():
            template = getattr(self, name)
            if template is None and name in self._default_templates():
                # None stands for the default sub-model: make it, to set its parameters.
                template = self._default_templates()[name]()
                setattr(self, name, template)
            if template is None:
                raise ValueError(
                    f"{type(self).__name__}.{name} is None: set {name}= to an estimator "
                    f"before setting {name}__ parameters"
                )
            template.set_params(**inner_params)
        return self

    def _default_templates(self) -> dict:
        """Sub-model parameters whose None means a default estimator (name -> class)."""
        return {}

    def __sklearn_tags__(self):
        # scikit-learn reads these (GridSearchCV, clone's checks); imported only then.
        from sklearn.utils import RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=False),
            regressor_tags=RegressorTags(),
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params(deep=False).items())
        return f"{type(self).__name__}({args})"

    def fit(self, ratings, item_features: sp.spmatrix | None = None, *args, **kwargs):
        raise NotImplementedError

    def predict(self, users, items=None) -> np.ndarray:
        raise NotImplementedError


def check_random_state(seed) -> np.random.Generator:
    """A numpy Generator from None, an int or an existing Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def validation_split(
    ratings: RatingMatrix, fraction: float, cold_fraction: float, rng: np.random.Generator
) -> tuple[RatingMatrix, RatingMatrix]:
    """Split ``ratings`` into (fit part, validation part) for learning how to combine models.

    A random ``fraction`` of the ratings, plus *all* ratings of a random ``cold_fraction``
    of the rated items, go to validation: the combination then also sees items the
    sub-models never saw, as in production where new works arrive unrated. The fit part
    keeps at least one rating and validation gets at least one.
    """
    rated = np.flatnonzero(ratings.item_counts() > 0)
    cold = rng.choice(rated, size=int(round(cold_fraction * len(rated))), replace=False)
    held = (rng.random(ratings.nnz) < fraction) | np.isin(ratings.items, cold)
    if held.all() or not held.any():
        held[:] = False
        held[rng.integers(ratings.nnz)] = True
    return ratings.subset(~held), ratings.subset(held)


def row_chunks(indptr: np.ndarray, n_chunks: int = 64) -> np.ndarray:
    """Boundaries of contiguous row ranges holding about the same number of entries.

    Parallel kernels hand one range to a thread at a time, so threads share the work
    evenly and each range reuses one scratch buffer.

    Example::

        >>> row_chunks(np.array([0, 5, 6, 7, 12]), n_chunks=2)
        array([0, 2, 4])
    """
    targets = np.linspace(0, indptr[-1], n_chunks + 1)
    bounds = np.searchsorted(indptr, targets, side="left")
    bounds[0], bounds[-1] = 0, len(indptr) - 1
    return np.unique(bounds).astype(np.int64)


def as_pairs(users, items=None) -> tuple[np.ndarray, np.ndarray]:
    """Two equal-length int64 index arrays from anything array-like; with ``items`` None,
    ``users`` is a table whose first two columns are user and item (``predict(X)``).

    Example::

        >>> as_pairs(np.array([[0, 3, 4.5], [1, 2, 1.0]]))
        (array([0, 1]), array([3, 2]))
    """
    if items is None:
        table = np.asarray(users.to_numpy() if hasattr(users, "to_numpy") else users)
        if table.ndim != 2 or table.shape[1] < 2:
            raise ValueError("predict(X) needs X with user and item columns (n x 2 or more)")
        users, items = table[:, 0], table[:, 1]
    users = np.asarray(users, dtype=np.int64).ravel()
    items = np.asarray(items, dtype=np.int64).ravel()
    if users.shape != items.shape:
        raise ValueError("users and items must have the same length")
    return users, items


#: Pairs scored at once by :func:`in_chunks`. A model that gathers one row of weights per
#: pair (factors, tag weights) holds that many rows: all 8M validation pairs of a 30M-rating
#: site at once were gigabytes.
PAIR_CHUNK = 1 << 16


def in_chunks(score, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``score(users, items)`` computed :data:`PAIR_CHUNK` pairs at a time, so the memory
    it needs per pair is bounded whatever the number of pairs.

    Example::

        >>> in_chunks(lambda u, i: u * 10.0 + i, np.array([1, 2]), np.array([3, 4]))
        array([13., 24.])
    """
    out = np.empty(len(users), dtype=np.float64)
    for start in range(0, len(users), PAIR_CHUNK):
        part = slice(start, start + PAIR_CHUNK)
        out[part] = score(users[part], items[part])
    return out


def check_fitted(model: Recommender, attribute: str) -> None:
    """Raise a clear error when ``model`` is used before ``fit``."""
    if not hasattr(model, attribute):
        raise RuntimeError(f"{type(model).__name__} is not fitted yet: call fit() first")
