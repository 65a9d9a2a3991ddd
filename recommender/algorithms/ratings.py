"""Explicit ratings as parallel arrays: :class:`RatingMatrix` and its constructors.

Pure library: numpy/scipy/numba only, never Django.

A value of exactly 0 is a real rating (a 0-10 scale has them), so nothing here relies on
sparse matrices dropping zeros. Indices are validated, never wrapped: an index that does
not fit in int32, a fractional or negative one, or the same (user, item) pair twice is a
clear error (or, for pairs, aggregated when ``duplicates`` says how).

Example::

    >>> data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 1], [4.0, 2.0, -2.0])
    >>> data.shape
    (2, 2)
    >>> named = RatingMatrix.from_ids(["ann", "bob", "ann"], ["x", "x", "y"], [5, 3, 4])
    >>> named.shape, named.user_ids.tolist(), named.item_index(["y", "zzz"]).tolist()
    ((2, 2), ['ann', 'bob'], [1, -1])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from recommender.algorithms._grouping import _group, _majors

INDEX_MAX = np.iinfo(np.int32).max
DUPLICATES = ("error", "last", "mean")


def as_indices(raw, name: str) -> np.ndarray:
    """``raw`` as int32 indices, refusing what would be silently changed by a cast:
    negative, fractional, non-finite or too large values, and non-numbers.

    Example::

        >>> as_indices([0, 2.0, 7], "user").tolist()
        [0, 2, 7]
        >>> as_indices([2**32 + 1], "item")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: item index 4294967297 (position 0) does not fit in int32 ...
    """
    array = np.asarray(raw)
    if array.ndim != 1:
        array = array.ravel()
    if array.size == 0:
        return np.zeros(0, dtype=np.int32)
    kind = array.dtype.kind
    hint = "map raw ids to indices with RatingMatrix.from_ids"
    if kind not in "iuf":
        example = array[0]
        raise ValueError(
            f"{name} indices must be integers, got {array.dtype} values such as {example!r}; {hint}"
        )
    if kind == "f":
        bad = ~np.isfinite(array) | (array != np.floor(array))
        if bad.any():
            at = int(np.argmax(bad))
            raise ValueError(f"{name} index {array[at]!r} (position {at}) is not a whole number")
    low = array.min()
    if low < 0:
        at = int(np.argmin(array))
        raise ValueError(f"{name} index {array[at]} (position {at}) is negative")
    high = array.max()
    if high > INDEX_MAX:
        at = int(np.argmax(array))
        value = int(array[at]) if kind != "f" else array[at]
        raise ValueError(
            f"{name} index {value} (position {at}) does not fit in int32 "
            f"(at most {INDEX_MAX}); {hint}"
        )
    return array.astype(np.int32)


@dataclass(frozen=True)
class RatingMatrix:
    """Explicit ratings as parallel arrays, with CSR/CSC views built on demand.

    ``users`` and ``items`` are int32 indices in ``[0, n_users)`` and ``[0, n_items)``;
    ``values`` are float32. At most one rating per (user, item). ``times`` (optional, one
    float per rating, larger is later) lets list models weigh recent ratings more.
    ``user_ids`` / ``item_ids`` (optional) hold the raw id of each index, when the
    matrix was built from raw ids (:meth:`from_ids`, :meth:`from_frame`).
    """

    users: np.ndarray
    items: np.ndarray
    values: np.ndarray
    n_users: int
    n_items: int
    times: np.ndarray | None = None
    user_ids: np.ndarray | None = None
    item_ids: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # -- constructors ----------------------------------------------------------------------

    @classmethod
    def from_triples(
        cls, users, items, values, n_users=None, n_items=None, times=None, duplicates="error"
    ) -> RatingMatrix:
        """Ratings from index arrays (validated: see :func:`as_indices`).

        ``duplicates`` says what the same (user, item) pair given twice means: ``"error"``
        (the default) refuses it, ``"last"`` keeps the last one given (a rating changed in
        place), ``"mean"`` averages them (their latest time is kept).

        Example::

            >>> RatingMatrix.from_triples([0, 0], [1, 1], [4.0, 2.0])
            Traceback (most recent call last):
            ...
            ValueError: user 0 rated item 1 more than once (positions 0 and 1); pass ...
            >>> RatingMatrix.from_triples([0, 0], [1, 1], [4.0, 2.0], duplicates="mean").values
            array([3.], dtype=float32)
        """
        if duplicates not in DUPLICATES:
            raise ValueError(f"duplicates must be one of {DUPLICATES}, got {duplicates!r}")
        users = as_indices(users, "user")
        items = as_indices(items, "item")
        values = np.asarray(values, dtype=np.float32).ravel()
        if not (len(users) == len(items) == len(values)):
            raise ValueError("users, items and values must have the same length")
        if not np.all(np.isfinite(values)):
            at = int(np.argmax(~np.isfinite(values)))
            raise ValueError(f"rating values must be finite (position {at} is {values[at]})")
        n_users = int(users.max() + 1 if len(users) else 0) if n_users is None else int(n_users)
        n_items = int(items.max() + 1 if len(items) else 0) if n_items is None else int(n_items)
        if len(users) and (users.max() >= n_users or items.max() >= n_items):
            raise ValueError(
                f"an index is out of range for the shape ({n_users}, {n_items}): largest "
                f"user {users.max()}, item {items.max()}"
            )
        if times is not None:
            times = np.asarray(times, dtype=np.float64).ravel()
            if len(times) != len(values):
                raise ValueError("times must hold one value per rating")
        matrix = cls(users, items, values, n_users, n_items, times)
        pair = matrix._first_duplicate()
        if pair is None:
            return matrix
        if duplicates == "error":
            user, item = pair
            same = np.flatnonzero((users == user) & (items == item))
            raise ValueError(
                f"user {user} rated item {item} more than once (positions {same[0]} and "
                f"{same[1]}); pass duplicates='last' or 'mean' to aggregate"
            )
        users, items, values, times = _aggregate(users, items, values, times, n_items, duplicates)
        return cls(users, items, values, n_users, n_items, times)

    @classmethod
    def from_scipy(cls, matrix, times=None, duplicates="error") -> RatingMatrix:
        """Ratings from a users x items scipy sparse matrix (or array): every *stored*
        entry is a rating, explicit zeros included; the shape is kept. A COO matrix may
        hold a pair twice: ``duplicates`` as in :meth:`from_triples`.

        Example::

            >>> m = sp.csr_matrix(([5.0, 0.0], ([0, 2], [1, 0])), shape=(3, 4))
            >>> data = RatingMatrix.from_scipy(m)
            >>> data.shape, data.nnz, sorted(data.values.tolist())
            ((3, 4), 2, [0.0, 5.0])
        """
        if not sp.issparse(matrix):
            matrix = sp.coo_matrix(np.asarray(matrix))
        coo = matrix.tocoo() if not isinstance(matrix, sp.coo_matrix | sp.coo_array) else matrix
        n_users, n_items = coo.shape
        return cls.from_triples(coo.row, coo.col, coo.data, n_users, n_items, times, duplicates)

    @classmethod
    def from_ids(
        cls, users, items, values, times=None, duplicates="error", all_items=None
    ) -> RatingMatrix:
        """Ratings from raw ids (any sortable values: ints, strings...), keeping the maps.

        Indices follow the sorted distinct ids; ``user_ids[index]`` / ``item_ids[index]``
        give the raw id back and :meth:`user_index` / :meth:`item_index` the other way.
        ``all_items`` adds items nobody rated yet (after the rated ones), so that models
        with item features can score them.

        Example::

            >>> data = RatingMatrix.from_ids([10, 10, 7], ["b", "a", "a"], [1.0, 2.0, 3.0],
            ...                              all_items=["c"])
            >>> data.item_ids.tolist(), data.users.tolist(), data.items.tolist()
            (['a', 'b', 'c'], [1, 1, 0], [1, 0, 0])
        """
        users, items = np.asarray(users).ravel(), np.asarray(items).ravel()
        if not len(users) == len(items):
            raise ValueError("users, items and values must have the same length")
        user_ids, user_index = np.unique(users, return_inverse=True)
        item_ids, item_index = np.unique(items, return_inverse=True)
        if all_items is not None:
            extra = np.asarray(list(all_items))
            if len(extra):
                extra = extra.astype(item_ids.dtype) if len(item_ids) else extra
                extra = np.setdiff1d(extra, item_ids)
                item_ids = np.concatenate([item_ids, extra])
        matrix = cls.from_triples(
            user_index, item_index, values, len(user_ids), len(item_ids), times, duplicates
        )
        return cls(matrix.users, matrix.items, matrix.values, matrix.n_users, matrix.n_items,
                   matrix.times, user_ids, item_ids)  # fmt: skip

    @classmethod
    def from_frame(
        cls, frame, user="user", item="item", rating="rating", time=None, duplicates="error"
    ) -> RatingMatrix:
        """Ratings from a table of raw ids: a pandas DataFrame or a dict of columns.

        Example::

            >>> frame = {"userId": [1, 1, 2], "movieId": [10, 20, 10], "rating": [4, 3, 5]}
            >>> RatingMatrix.from_frame(frame, "userId", "movieId").shape
            (2, 2)
        """
        missing = [c for c in (user, item, rating, time) if c is not None and c not in frame]
        if missing:
            columns = list(frame.keys()) if hasattr(frame, "keys") else "?"
            raise ValueError(f"no column {missing[0]!r} in the frame (columns: {columns})")

        def column(name):
            values = frame[name]
            return np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)

        times = None if time is None else column(time)
        if times is not None and times.dtype.kind == "M":  # datetimes: seconds
            times = times.astype("datetime64[s]").astype(np.float64)
        return cls.from_ids(column(user), column(item), column(rating), times, duplicates)

    # -- ids ------------------------------------------------------------------------------

    def user_index(self, ids) -> np.ndarray:
        """Indices of raw user ids (-1 for ids not in the matrix; models give those their
        fallback)."""
        return _lookup(self.user_ids, ids, "user")

    def item_index(self, ids) -> np.ndarray:
        """Indices of raw item ids (-1 for unknown ids)."""
        return _lookup(self.item_ids, ids, "item")

    # -- views ----------------------------------------------------------------------------

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

    def _first_duplicate(self) -> tuple[int, int] | None:
        """(user, item) of a pair rated more than once, None if there is none: equal
        neighbours in a row of the CSR view (its items are sorted)."""
        csr = self.tocsr()
        if csr.nnz < 2:
            return None
        same = csr.indices[1:] == csr.indices[:-1]
        starts = csr.indptr[1:-1]
        same[starts[(starts > 0) & (starts < csr.nnz)] - 1] = False  # across two rows
        if not same.any():
            return None
        at = int(np.argmax(same)) + 1
        return int(np.searchsorted(csr.indptr, at, side="right") - 1), int(csr.indices[at])

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
        """The ratings selected by a boolean mask, same shape (and id maps)."""
        times = None if self.times is None else self.times[mask]
        return RatingMatrix(
            self.users[mask], self.items[mask], self.values[mask], self.n_users, self.n_items,
            times, self.user_ids, self.item_ids,
        )  # fmt: skip

    def with_values(self, values) -> RatingMatrix:
        """The same (user, item) pairs with other values (a leakage canary's tool)."""
        values = np.asarray(values, dtype=np.float32).ravel()
        if len(values) != self.nnz:
            raise ValueError("with_values needs one value per rating")
        return RatingMatrix(self.users, self.items, values, self.n_users, self.n_items,
                            self.times, self.user_ids, self.item_ids)  # fmt: skip


def _aggregate(users, items, values, times, n_items, how):
    """One rating per pair: the last given (``"last"``, with its time) or the mean (with
    the latest time), in the order each pair first appears."""
    key = users.astype(np.int64) * max(n_items, 1) + items
    if how == "last":
        _, first_reversed = np.unique(key[::-1], return_index=True)
        keep = np.sort(len(key) - 1 - first_reversed)
        return users[keep], items[keep], values[keep], None if times is None else times[keep]
    distinct, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    sums = np.bincount(inverse, values.astype(np.float64), len(distinct))
    counts = np.bincount(inverse, minlength=len(distinct))
    order = np.argsort(first, kind="stable")
    latest = None
    if times is not None:
        newest = np.full(len(distinct), -np.inf)
        np.maximum.at(newest, inverse, times)
        latest = newest[order]
    mean = (sums / counts).astype(np.float32)[order]
    return users[first][order], items[first][order], mean, latest


def _lookup(known, ids, name) -> np.ndarray:
    if known is None:
        raise ValueError(f"this RatingMatrix has no {name} ids: build it with from_ids")
    ids = np.asarray(ids).ravel()
    if len(known) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    try:
        position = np.searchsorted(known, ids)
    except TypeError as error:  # ids of another type than the matrix's (str vs int)
        raise ValueError(f"{name} ids must be of the matrix's id type ({known.dtype})") from error
    position = np.minimum(position, len(known) - 1)
    found = known[position] == ids
    return np.where(found, position, -1).astype(np.int64)
