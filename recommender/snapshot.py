"""Snapshot the ratings and the item tag matrix from the database into arrays.

One SQL query per table, fetched as tuples and turned into numpy arrays without building
a model instance per row (a 1M-rating snapshot from PostgreSQL takes seconds).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.db import connection
from django.utils import timezone

from mangaki.choices import RATING_VALUES
from mangaki.models import Profile, Rating, TaggedWork, Work
from recommender.algorithms.base import RatingMatrix

_FETCH = 100_000


@dataclass
class Snapshot:
    ratings: RatingMatrix
    user_ids: np.ndarray  # database id of each user row
    work_ids: np.ndarray  # database id of each item column
    item_features: sp.csr_matrix  # works x tags, weights in [0, 1]
    tag_names: list[str]
    work_category: np.ndarray  # category id of each item
    taken_at: object

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for array in (self.ratings.users, self.ratings.items, self.ratings.values, self.work_ids):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(np.ascontiguousarray(self.item_features.data).tobytes())
        return digest.hexdigest()


def _fetch(sql: str, params=(), dtype=None) -> np.ndarray:
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(_FETCH):
            rows.extend(chunk)
    return np.array(rows, dtype=dtype) if rows else np.zeros((0, 0), dtype=dtype)


_CHOICES = list(RATING_VALUES)
_VALUES = np.array([RATING_VALUES[c] for c in _CHOICES])
_FROM = (
    f"FROM {Rating._meta.db_table} r JOIN {Profile._meta.db_table} p ON p.user_id = r.user_id "
    "WHERE p.research_ok"
)
_CODE = "CASE r.choice " + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(_CHOICES)) + " END"


def _rating_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user ids, work ids, values) of the consenting users' ratings."""
    if connection.vendor == "postgresql":
        # PostgreSQL packs each column into one binary string: three values cross the wire
        # instead of a million tuples.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT string_agg(int8send(r.user_id), ''), string_agg(int8send(r.work_id), ''),"
                f" string_agg(int2send(({_CODE})::int2), '') {_FROM}"  # noqa: S608 (constants)
            )
            users, works, codes = cursor.fetchone()
        if users is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return (
            np.frombuffer(bytes(users), dtype=">i8").astype(np.int64),
            np.frombuffer(bytes(works), dtype=">i8").astype(np.int64),
            _VALUES[np.frombuffer(bytes(codes), dtype=">i2")],
        )
    rows = _fetch(f"SELECT r.user_id, r.work_id, {_CODE} {_FROM}", dtype=np.int64)  # noqa: S608
    rows = rows.reshape(-1, 3)
    return rows[:, 0], rows[:, 1], _VALUES[rows[:, 2]]


def tag_matrix(rows, cols, weights, shape: tuple[int, int]) -> sp.csr_matrix:
    """Works x tags weights; the same tag from two sources (metadata and poster) counts
    once, at its strongest.

    Example::

        >>> tag_matrix([0, 0], [1, 1], [1.0, 0.4], (1, 2)).toarray().tolist()
        [[0.0, 1.0]]
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    if len(weights) == 0:
        return sp.csr_matrix(shape)
    keys = rows * shape[1] + cols
    order = np.argsort(keys, kind="stable")
    unique, starts = np.unique(keys[order], return_index=True)
    strongest = np.maximum.reduceat(weights[order], starts)
    return sp.csr_matrix((strongest, (unique // shape[1], unique % shape[1])), shape=shape)


def take_snapshot() -> Snapshot:
    """Ratings of consenting users (``research_ok``) and every work with its tags."""
    taken_at = timezone.now()
    works = np.array(
        list(Work.objects.order_by("pk").values_list("pk", "category_id")), dtype=np.int64
    ).reshape(-1, 2)
    work_ids, work_category = works[:, 0], works[:, 1]

    users, works_rated, values = _rating_arrays()
    user_ids, user_index = np.unique(users, return_inverse=True)
    item_index = np.searchsorted(work_ids, works_rated)
    matrix = RatingMatrix.from_triples(
        user_index, item_index, values, n_users=len(user_ids), n_items=len(work_ids)
    )

    tag_rows = list(TaggedWork.objects.order_by().values_list("work_id", "tag__name", "weight"))
    tag_names = sorted({name for _, name, _ in tag_rows})
    column = {name: j for j, name in enumerate(tag_names)}
    ids, names, weights = zip(*tag_rows, strict=True) if tag_rows else ((), (), ())
    rows = np.searchsorted(work_ids, np.array(ids, dtype=np.int64))
    cols = np.array([column[n] for n in names], dtype=np.int64)
    features = tag_matrix(rows, cols, weights, (len(work_ids), len(tag_names)))
    return Snapshot(matrix, user_ids, work_ids, features, tag_names, work_category, taken_at)
