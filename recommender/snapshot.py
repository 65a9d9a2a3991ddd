"""Snapshot the ratings and the item tag matrix from the database into arrays.

One SQL query per table, fetched as tuples and turned into numpy arrays without building
a model instance per row (a 1M-rating snapshot from PostgreSQL takes seconds).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.db import connection
from django.utils import timezone

from mangaki.choices import RATING_VALUES
from mangaki.models import Profile, Rating, TaggedWork, Work
from mangaki.text import franchise_groups
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
    work_group: np.ndarray | None = None  # franchise number of each item (shared by sequels)
    embeddings: np.ndarray | None = None  # poster embedding of each item (zeros: no poster)

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
_VALUES32 = np.array([RATING_VALUES[c] for c in _CHOICES], dtype=np.float32)
_FROM = (
    f"FROM {Rating._meta.db_table} r JOIN {Profile._meta.db_table} p ON p.user_id = r.user_id "
    "WHERE p.research_ok"
)
_CODE = "CASE r.choice " + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(_CHOICES)) + " END"


#: Rating ids per packed query on PostgreSQL. A value (one column's packed string) is
#: limited to 1 GB there: 8 bytes a rating would stop one query at 134M ratings, and the
#: server would hold four such strings at once. Ranges of ids keep each under 160 MB.
PACKED_RANGE = 20_000_000


def _narrowest_ids(raw: np.ndarray) -> np.ndarray:
    """Ids as int32 when they all fit (they do below two billion rows), else int64."""
    fits = len(raw) == 0 or int(raw.max()) <= np.iinfo(np.int32).max
    return raw.astype(np.int32 if fits else np.int64)


def _packed_rating_arrays(
    work_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PostgreSQL packs each column into one binary string per range of rating ids: four
    values cross the wire per range instead of a tuple per rating. Each range is narrowed
    as it arrives (user ids to int32 when they fit, work ids to the matrix's int32 column
    indices, values to float32): 20 bytes a rating are kept instead of 32."""
    columns: list[list[np.ndarray]] = [[], [], [], []]
    convert = (
        _narrowest_ids,
        lambda raw: np.searchsorted(work_ids, raw).astype(np.int32),
        lambda raw: _VALUES32[raw],
        lambda raw: raw.astype(np.float64),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {Rating._meta.db_table}")  # noqa: S608
        low, high = cursor.fetchone()
        for start in range(low or 0, (high or -1) + 1, PACKED_RANGE):
            cursor.execute(
                "SELECT string_agg(int8send(r.user_id), ''), string_agg(int8send(r.work_id), ''),"  # noqa: S608 (constants)
                f" string_agg(int2send(({_CODE})::int2), ''),"
                " string_agg(float8send(extract(epoch from r.date)::float8), '')"
                f" {_FROM} AND r.id >= %s AND r.id < %s",
                [start, start + PACKED_RANGE],
            )
            packed = list(cursor.fetchone())
            if packed[0] is None:
                continue
            # Each packed string is let go as soon as it is converted (peak memory).
            for column, dtype in enumerate((">i8", ">i8", ">i2", ">f8")):
                raw = np.frombuffer(packed[column], dtype=dtype)
                packed[column] = None
                columns[column].append(convert[column](raw))
                del raw
    if not columns[0]:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0)
    joined = []
    for column, parts in enumerate(columns):  # one column at a time: its parts go first
        joined.append(parts[0] if len(parts) == 1 else np.concatenate(parts))
        columns[column] = []
    users, items, values, seconds = joined
    return users, items, values, seconds


def _rating_arrays(
    work_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(user ids, column indices of the works in ``work_ids``, values as float32, dates in
    seconds) of the consenting users' ratings."""
    if connection.vendor == "postgresql":
        return _packed_rating_arrays(work_ids)
    # SQLite keeps dates as UTC text: julianday() turns them into seconds in the query.
    seconds = "(julianday(r.date) - 2440587.5) * 86400.0"
    rows = _fetch(f"SELECT r.user_id, r.work_id, {_CODE}, {seconds} {_FROM}")  # noqa: S608
    rows = rows.reshape(-1, 4).astype(np.float64)
    numbers = rows[:, :3].astype(np.int64)
    items = np.searchsorted(work_ids, numbers[:, 1]).astype(np.int32)
    return numbers[:, 0], items, _VALUES32[numbers[:, 2]], rows[:, 3]


def _user_indices(users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct user ids, each rating's row as int32), found a block at a time
    rather than through np.unique's inverse (two int64 arrays the length of the ratings)."""
    user_ids = np.unique(users).astype(np.int64)
    rows = np.empty(len(users), dtype=np.int32)
    step = 1 << 22
    for lo in range(0, len(users), step):
        block = slice(lo, lo + step)
        rows[block] = np.searchsorted(user_ids, users[block])
    return user_ids, rows


def _canonical_order(users: np.ndarray, items: np.ndarray, n_items: int) -> np.ndarray:
    """The permutation that sorts the ratings by (user, work): the database returns them
    in whatever order its plan produced (which changes with the tables' statistics), and
    the held-out splits and the fingerprint follow the order, so the same ratings must
    always come in the same one."""
    return np.argsort(users.astype(np.int64) * max(n_items, 1) + items, kind="stable")


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


def _embeddings(work_ids: np.ndarray) -> np.ndarray | None:
    """Poster embeddings as a works x width array (zero rows without a poster), in the
    width most posters have (a backbone change leaves a few older ones out); None if no
    work has one."""
    found = Work.objects.filter(poster_embedding__isnull=False).order_by()
    blobs = {pk: bytes(blob) for pk, blob in found.values_list("pk", "poster_embedding")}
    widths = Counter(len(blob) // 4 for blob in blobs.values() if blob)
    if not widths:
        return None
    width = max(widths, key=lambda w: (widths[w], w))
    out = np.zeros((len(work_ids), width), dtype=np.float32)
    rows = np.searchsorted(work_ids, np.array(list(blobs), dtype=np.int64))
    for row, blob in zip(rows.tolist(), blobs.values(), strict=True):
        if len(blob) == 4 * width:
            out[row] = np.frombuffer(blob, dtype=np.float32)
    return out


def take_snapshot() -> Snapshot:
    """Ratings of consenting users (``research_ok``) with their dates, and every work with
    its tags, poster embedding and franchise."""
    taken_at = timezone.now()
    catalogue = list(Work.objects.order_by("pk").values_list("pk", "category_id", "title"))
    work_ids = np.array([pk for pk, _, _ in catalogue], dtype=np.int64)
    work_category = np.array([c for _, c, _ in catalogue], dtype=np.int64)
    work_group = np.array(franchise_groups([t for _, _, t in catalogue]), dtype=np.int64)

    # The matrix keeps int32 indices and float32 values, narrowed as they are read: the
    # sort then moves 4-byte columns (peak memory at tens of millions of ratings).
    users, item_index, values, dates = _rating_arrays(work_ids)
    user_ids, user_index = _user_indices(users)
    del users
    order = _canonical_order(user_index, item_index, len(work_ids))
    # One column at a time: each one's old order is freed before the next is copied.
    user_index = user_index[order]
    item_index = item_index[order]
    values = values[order]
    dates = dates[order]
    del order
    matrix = RatingMatrix.from_triples(
        user_index, item_index, values, n_users=len(user_ids), n_items=len(work_ids), times=dates
    )

    tag_rows = list(TaggedWork.objects.order_by().values_list("work_id", "tag__name", "weight"))
    tag_names = sorted({name for _, name, _ in tag_rows})
    column = {name: j for j, name in enumerate(tag_names)}
    ids, names, weights = zip(*tag_rows, strict=True) if tag_rows else ((), (), ())
    rows = np.searchsorted(work_ids, np.array(ids, dtype=np.int64))
    cols = np.array([column[n] for n in names], dtype=np.int64)
    features = tag_matrix(rows, cols, weights, (len(work_ids), len(tag_names)))
    return Snapshot(
        matrix, user_ids, work_ids, features, tag_names, work_category, taken_at,
        work_group=work_group, embeddings=_embeddings(work_ids),
    )  # fmt: skip
