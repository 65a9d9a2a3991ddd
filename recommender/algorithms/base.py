"""The contract every recommender in this library follows.

Pure library: numpy/scipy/torch only, never Django.

Ratings are explicit (user, item, value) triples held in :class:`RatingMatrix`. A value
of exactly 0 is a real rating (a 0-10 scale has them), so nothing here relies on sparse
matrices dropping zeros.

Estimators follow scikit-learn's contract: ``__init__`` only stores hyper-parameters,
``fit`` validates them and returns ``self``, learned attributes end in ``_``, randomness
comes only from ``random_state``. Unknown users or items never raise: they get the
model's fallback (global mean plus whatever bias is known).

Example::

    >>> data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 1], [4.0, 2.0, -2.0])
    >>> data.shape
    (2, 2)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import scipy.sparse as sp
from numba import njit, prange


@njit(cache=True, parallel=True)
def _group_by(keys, minor, values, n_keys, n_chunks):
    # Stable counting sort of the (minor, value) pairs by key, returned as a compressed
    # matrix (indptr, minor, values): O(n + n_keys), where np.lexsort takes O(n log n)
    # comparisons (about 1 s for 6.3M ratings, measured). Each thread scatters one
    # contiguous slice of the input, after every earlier slice's entries of the same key,
    # so the order within a key is the input order.
    n = len(keys)
    counts = np.zeros((n_chunks, n_keys), dtype=np.int64)
    for c in prange(n_chunks):
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            counts[c, keys[i]] += 1
    indptr = np.zeros(n_keys + 1, dtype=np.int64)
    for k in range(n_keys):
        position = indptr[k]
        for c in range(n_chunks):
            count = counts[c, k]
            counts[c, k] = position  # now the slice's write cursor for key k
            position += count
        indptr[k + 1] = position
    out_minor = np.empty(n, dtype=np.int32)
    out_values = np.empty(n, dtype=values.dtype)
    for c in prange(n_chunks):
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            k = keys[i]
            at = counts[c, k]
            out_minor[at] = minor[i]
            out_values[at] = values[i]
            counts[c, k] = at + 1
    return indptr, out_minor, out_values


def _group(keys, minor, values, n_keys) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_group_by`` with one input slice per thread, fewer when keys outnumber entries
    (each slice keeps a counter per key)."""
    n_chunks = max(1, min(numba.get_num_threads(), len(keys) // max(n_keys, 1), 8))
    return _group_by(keys, minor, values, n_keys, n_chunks)


def _majors(indptr) -> np.ndarray:
    """The major index of every stored entry of a compressed matrix."""
    return np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))


@dataclass(frozen=True)
class RatingMatrix:
    """Explicit ratings as parallel arrays, with CSR/CSC views built on demand.

    ``users`` and ``items`` are int32 indices in ``[0, n_users)`` and ``[0, n_items)``;
    ``values`` are float32. At most one rating per (user, item). ``times`` (optional, one
    float per rating, larger is later) lets list models weigh recent ratings more.
    """

    users: np.ndarray
    items: np.ndarray
    values: np.ndarray
    n_users: int
    n_items: int
    times: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_triples(
        cls, users, items, values, n_users=None, n_items=None, times=None
    ) -> RatingMatrix:
        users = np.asarray(users, dtype=np.int32).ravel()
        items = np.asarray(items, dtype=np.int32).ravel()
        values = np.asarray(values, dtype=np.float32).ravel()
        if not (len(users) == len(items) == len(values)):
            raise ValueError("users, items and values must have the same length")
        if len(users) and (users.min() < 0 or items.min() < 0):
            raise ValueError("user and item indices must be non-negative")
        if not np.all(np.isfinite(values)):
            raise ValueError("rating values must be finite")
        n_users = int(users.max() + 1 if len(users) else 0) if n_users is None else int(n_users)
        n_items = int(items.max() + 1 if len(items) else 0) if n_items is None else int(n_items)
        if len(users) and (users.max() >= n_users or items.max() >= n_items):
            raise ValueError("an index is out of range for the given shape")
        if times is not None:
            times = np.asarray(times, dtype=np.float64).ravel()
            if len(times) != len(values):
                raise ValueError("times must hold one value per rating")
        return cls(users, items, values, n_users, n_items, times)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_users, self.n_items)

    @property
    def nnz(self) -> int:
        return len(self.values)

    def _compressed(self, by_user: bool) -> sp.csr_matrix | sp.csc_matrix:
        # Built by hand from stable counting sorts, so explicit zero ratings survive and
        # the minor indices come out sorted: grouping by item, then regrouping those
        # runs by user, leaves each user's items in order (and the reverse for CSC).
        if by_user and "csr" not in self._cache:
            by_item = _group(self.items, self.users, self.values, self.n_items)
            item_of = _majors(by_item[0])
            indptr, items, values = _group(by_item[1], item_of, by_item[2], self.n_users)
            self._cache["csr"] = sp.csr_matrix((values, items, indptr), shape=self.shape)
        if not by_user and "csc" not in self._cache:
            csr = self.tocsr()
            indptr, users, values = _group(csr.indices, _majors(csr.indptr), csr.data, self.n_items)
            self._cache["csc"] = sp.csc_matrix((values, users, indptr), shape=self.shape)
        return self._cache["csr" if by_user else "csc"]

    def tocsr(self) -> sp.csr_matrix:
        """Users as rows; stored entries are exactly the ratings (zeros included)."""
        return self._compressed(by_user=True)

    def tocsc(self) -> sp.csc_matrix:
        """Items as columns; stored entries are exactly the ratings (zeros included)."""
        return self._compressed(by_user=False)

    def item_counts(self) -> np.ndarray:
        """Number of ratings of each item (the R_j of BALSE's gate)."""
        return np.bincount(self.items, minlength=self.n_items)

    def user_counts(self) -> np.ndarray:
        return np.bincount(self.users, minlength=self.n_users)

    def subset(self, mask: np.ndarray) -> RatingMatrix:
        """The ratings selected by a boolean mask, same shape."""
        times = None if self.times is None else self.times[mask]
        return RatingMatrix(
            self.users[mask], self.items[mask], self.values[mask], self.n_users, self.n_items, times
        )


class Recommender:
    """Base class: hyper-parameter handling shared by every estimator.

    Subclasses implement ``fit(ratings, item_features=None)`` returning ``self`` and
    ``predict(users, items)`` returning one float per pair, with a defined fallback for
    indices outside the training shape (never an exception).
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

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> Recommender:
        for name, value in params.items():
            if name not in self._param_names():
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, ratings: RatingMatrix, item_features: sp.spmatrix | None = None):
        raise NotImplementedError

    def predict(self, users, items) -> np.ndarray:
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


def as_pairs(users, items) -> tuple[np.ndarray, np.ndarray]:
    """Two equal-length int64 index arrays from anything array-like."""
    users = np.asarray(users, dtype=np.int64).ravel()
    items = np.asarray(items, dtype=np.int64).ravel()
    if users.shape != items.shape:
        raise ValueError("users and items must have the same length")
    return users, items


def check_fitted(model: Recommender, attribute: str) -> None:
    """Raise a clear error when ``model`` is used before ``fit``."""
    if not hasattr(model, attribute):
        raise RuntimeError(f"{type(model).__name__} is not fitted yet: call fit() first")
