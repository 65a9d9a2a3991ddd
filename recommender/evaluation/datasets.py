"""Loaders turning rating files into a :class:`Dataset` (contiguous indices, tags, scale).

Formats:

- ``csv``: ``user,item,rating`` (header optional), plus an optional tags CSV
  ``item,tag[,weight]`` (weight in [0, 1], default 1). Items that only appear in the tags
  file are kept (they are cold-start works).
- ``mangaki``: ``user,work,choice`` with the six Mangaki choices mapped to
  favorite 4, like 2, neutral 0.1, dislike -2, willsee 0.5, wontsee -0.5.
- ``movielens``: a MovieLens 100K folder (``u.data``, ``u.item`` in latin-1 with 19 genre
  flags used as tags, official ``u1..u5`` base/test splits).
- ``fixture``: a Mangaki Django fixture (JSON) with ``mangaki.rating`` rows; work genres as tags.

Ids are remapped to ``0..n-1`` (``Dataset.user_ids[index]`` gives the original id back).
If a user rated the same item twice, the last line wins (ratings change in place).

Example::

    >>> detect_scale(np.array([1.0, 3.0, 5.0])).name
    'stars'
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from recommender.algorithms.base import RatingMatrix

MANGAKI_CHOICES = {
    "favorite": 4.0,
    "like": 2.0,
    "neutral": 0.1,
    "dislike": -2.0,
    "willsee": 0.5,
    "wontsee": -0.5,
}
FORMATS = ("auto", "csv", "mangaki", "movielens", "fixture")


@dataclass(frozen=True)
class RatingScale:
    """Range of a rating scale and the threshold at which a rating counts as relevant."""

    name: str
    low: float
    high: float
    relevance: float


SCALES = {
    "stars": RatingScale("stars", 1.0, 5.0, 4.0),
    "half-stars": RatingScale("half-stars", 0.5, 5.0, 4.0),
    "ten": RatingScale("ten", 1.0, 10.0, 8.0),
    # like (2) and favorite (4) are the relevant Mangaki choices.
    "mangaki": RatingScale("mangaki", -2.0, 4.0, 2.0),
}


def detect_scale(values: np.ndarray) -> RatingScale:
    """Guess the scale from the distinct rating values.

    Integers 1-5 are stars; multiples of 0.5 up to 5 are half-stars; integers up to 10 are
    a 1-10 scale (0 allowed); subsets of the Mangaki values are Mangaki; anything else is
    "continuous" over its observed range, relevant from its 75th percentile.

    Example::

        >>> detect_scale(np.array([0.5, 4.5])).name, detect_scale(np.array([-2, 0.1])).name
        ('half-stars', 'mangaki')
    """
    values = np.unique(np.asarray(values, dtype=np.float64))
    if len(values) == 0:
        return SCALES["stars"]
    low, high = float(values.min()), float(values.max())
    integer = bool(np.all(values == np.round(values)))
    halves = bool(np.all(values * 2 == np.round(values * 2)))
    if integer and low >= 1 and high <= 5:
        return SCALES["stars"]
    if halves and low >= 0.5 and high <= 5:
        return SCALES["half-stars"]
    if integer and low >= 0 and high <= 10:
        return RatingScale("ten", min(low, 1.0), 10.0, 8.0)
    if np.all(np.isin(np.round(values, 6), list(MANGAKI_CHOICES.values()))):
        return SCALES["mangaki"]
    return RatingScale("continuous", low, high, float(np.quantile(values, 0.75)))


@dataclass
class Dataset:
    """Ratings with contiguous indices, optional item tags and, for MovieLens, its folds."""

    ratings: RatingMatrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    scale: RatingScale
    item_features: sp.csr_matrix | None = None
    tag_names: list = field(default_factory=list)
    folds: list | None = None  # official (train_index, test_index) pairs into the triples
    name: str = "dataset"


def _rating_matrix(users, items, values, n_users, n_items, times=None):
    from recommender.algorithms.base import RatingMatrix

    return RatingMatrix.from_triples(users, items, values, n_users, n_items, times)


def _last_wins(users, items, values):
    """Indices of the last occurrence of each (user, item) pair, in file order."""
    key = users.astype(np.int64) * (int(items.max(initial=0)) + 1) + items
    _, first_in_reversed = np.unique(key[::-1], return_index=True)
    return np.sort(len(key) - 1 - first_in_reversed)


def from_arrays(
    user_ids, item_ids, values, extra_items=(), scale=None, name="dataset", timestamps=None
):
    """Build a :class:`Dataset` from raw ids (any hashable) and rating values.

    Example::

        >>> data = from_arrays(["a", "b", "a"], ["x", "x", "y"], [5, 3, 4])
        >>> data.ratings.shape, data.item_ids.tolist()
        ((2, 2), ['x', 'y'])
    """
    user_ids = np.asarray(user_ids)
    item_ids = np.asarray(item_ids)
    values = np.asarray(values, dtype=np.float32)
    user_index, users = np.unique(user_ids, return_inverse=True)
    rated_items, items = np.unique(item_ids, return_inverse=True)
    extra = np.asarray(list(extra_items))
    if len(extra):
        extra = (
            extra.astype(str) if rated_items.dtype.kind == "U" else extra.astype(rated_items.dtype)
        )
        extra = np.setdiff1d(extra, rated_items)
    item_index = np.concatenate([rated_items, extra]) if len(extra) else rated_items
    keep = _last_wins(users, items, values)
    users, items, values = users[keep], items[keep], values[keep]
    if timestamps is not None:
        timestamps = np.asarray(timestamps, dtype=np.float64)[keep]
    ratings = _rating_matrix(users, items, values, len(user_index), len(item_index), timestamps)
    scale = scale if scale is not None else detect_scale(values)
    return Dataset(ratings, user_index, item_index, scale, name=name)


def _read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row and not row[0].startswith("#")]
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _columns(rows, n_required: int, numeric_column: int | None):
    """Split CSV rows into columns, skipping a header line when there is one."""
    if rows and numeric_column is not None and not _is_number(rows[0][numeric_column]):
        rows = rows[1:]
    elif rows and numeric_column is None and rows[0][2].strip().lower() in ("choice", "rating"):
        rows = rows[1:]
    if any(len(row) < n_required for row in rows):
        raise ValueError(f"every row needs at least {n_required} columns")
    return [np.array([row[c].strip() for row in rows]) for c in range(n_required)], rows


def attach_tags(dataset: Dataset, item_ids, tags, weights=None) -> Dataset:
    """Set ``dataset.item_features`` from (item id, tag, weight) rows; unknown items ignored."""
    item_ids, tags = np.asarray(item_ids).astype(str), np.asarray(tags).astype(str)
    weights = np.ones(len(tags), np.float32) if weights is None else np.asarray(weights, float)
    if np.any((weights < 0) | (weights > 1)):
        raise ValueError("tag weights must be in [0, 1]")
    known = dataset.item_ids.astype(str)
    order = np.argsort(known)
    pos = np.searchsorted(known, item_ids, sorter=order)
    pos = np.minimum(pos, len(known) - 1)
    rows = order[pos] if len(known) else pos
    found = known[rows] == item_ids if len(known) else np.zeros(len(item_ids), bool)
    tag_names, columns = np.unique(tags[found], return_inverse=True)
    matrix = sp.csr_matrix(
        (weights[found], (rows[found], columns)), shape=(len(known), len(tag_names))
    )
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, 1.0)
    dataset.item_features = matrix.astype(np.float32)
    dataset.tag_names = tag_names.tolist()
    return dataset


def _timestamps(rows) -> np.ndarray | None:
    """The fourth column as seconds (a number, or an ISO date and time), when every row
    has one; None otherwise (the temporal split then refuses the dataset)."""
    if not rows or any(len(row) < 4 or not row[3].strip() for row in rows):
        return None
    from datetime import datetime

    out = np.empty(len(rows))
    for index, row in enumerate(rows):
        text = row[3].strip()
        try:
            out[index] = float(text)
        except ValueError:
            try:
                out[index] = datetime.fromisoformat(text).timestamp()
            except ValueError:
                return None
    return out


def load_csv(path, tags_path=None) -> Dataset:
    """Load ``user,item,rating[,timestamp]`` (and optionally an ``item,tag[,weight]`` file)."""
    (users, items, values), rows = _columns(_read_rows(Path(path)), 3, numeric_column=2)
    tag_items, tags, weights = _read_tags(tags_path)
    dataset = from_arrays(
        users, items, values.astype(float), extra_items=tag_items, timestamps=_timestamps(rows)
    )
    dataset.name = Path(path).stem
    return attach_tags(dataset, tag_items, tags, weights) if tags_path else dataset


def _read_tags(tags_path) -> tuple[list, list, list]:
    """(items, tags, weights) from an ``item,tag[,weight]`` CSV, header skipped."""
    if not tags_path:
        return [], [], []
    rows = _read_rows(Path(tags_path))
    if rows and len(rows[0]) < 2:
        raise ValueError("a tags file needs item,tag[,weight] columns")
    if rows:
        first = rows[0]
        weight_header = len(first) > 2 and not _is_number(first[2])
        if weight_header or first[0].strip().lower() in ("item", "work"):
            rows = rows[1:]
    items = [row[0].strip() for row in rows]
    tags = [row[1].strip() for row in rows]
    weights = [float(row[2]) if len(row) > 2 and row[2].strip() else 1.0 for row in rows]
    return items, tags, weights


def load_mangaki_csv(path, tags_path=None) -> Dataset:
    """Load Mangaki choices ``user,work,choice[,date]`` (favorite, like, neutral, dislike...)."""
    (users, works, choices), rows = _columns(_read_rows(Path(path)), 3, numeric_column=None)
    choices = np.char.lower(choices)
    unknown = sorted(set(choices.tolist()) - set(MANGAKI_CHOICES))
    if unknown:
        raise ValueError(f"unknown Mangaki choices: {unknown}")
    values = np.array([MANGAKI_CHOICES[c] for c in choices.tolist()], dtype=np.float32)
    tag_items, tags, weights = _read_tags(tags_path)
    dataset = from_arrays(
        users, works, values, tag_items, scale=SCALES["mangaki"], timestamps=_timestamps(rows)
    )
    dataset.name = Path(path).stem
    return attach_tags(dataset, tag_items, tags, weights) if tags_path else dataset


def load_movielens(folder) -> Dataset:
    """MovieLens 100K: ratings, 19 genres as tags, official u1..u5 folds when present."""
    folder = Path(folder)
    raw = np.loadtxt(folder / "u.data", dtype=np.int64, usecols=(0, 1, 2, 3), ndmin=2)
    items_file = (folder / "u.item").read_text(encoding="latin-1").splitlines()
    fields = [line.split("|") for line in items_file if line.strip()]
    movie_ids = np.array([int(f[0]) for f in fields])
    dataset = from_arrays(
        raw[:, 0], raw[:, 1], raw[:, 2], extra_items=movie_ids, name="ml-100k", timestamps=raw[:, 3]
    )
    genre_file = folder / "u.genre"
    names = [line.split("|")[0] for line in genre_file.read_text("latin-1").splitlines() if line]
    flags = np.array([[int(x) for x in f[-19:]] for f in fields], dtype=np.float32)
    rows, cols = np.nonzero(flags)
    # All 19 genres become columns, in u.genre's order, even those no movie carries.
    dataset.item_features = sp.csr_matrix(
        (flags[rows, cols], (_positions(dataset.item_ids, movie_ids[rows]), cols)),
        shape=(len(dataset.item_ids), flags.shape[1]),
    )
    dataset.tag_names = names[: flags.shape[1]]
    if all((folder / f"u{k}.test").exists() for k in range(1, 6)):
        dataset.folds = [_official_fold(dataset, folder / f"u{k}.test") for k in range(1, 6)]
    return dataset


def _official_fold(dataset: Dataset, test_path: Path):
    """(train_index, test_index) into the dataset's triples for one ``uN.test`` file."""
    test = np.loadtxt(test_path, dtype=np.int64, usecols=(0, 1), ndmin=2)
    users = np.searchsorted(dataset.user_ids, test[:, 0])
    items = _positions(dataset.item_ids, test[:, 1])
    ratings = dataset.ratings
    width = ratings.n_items
    keys = ratings.users.astype(np.int64) * width + ratings.items
    order = np.argsort(keys)
    test_index = order[np.searchsorted(keys, users * width + items, sorter=order)]
    mask = np.zeros(ratings.nnz, dtype=bool)
    mask[test_index] = True
    return np.flatnonzero(~mask), np.sort(test_index)


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    order = np.argsort(ids)
    return order[np.searchsorted(ids, wanted, sorter=order)]


def load_fixture(path) -> Dataset:
    """A Mangaki Django fixture: ``mangaki.rating`` rows, work genres as tags."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    rating_rows = [r["fields"] for r in records if r.get("model") == "mangaki.rating"]
    works = {r["pk"]: r["fields"] for r in records if r.get("model") == "mangaki.work"}
    genres = {r["pk"]: r["fields"]["title"] for r in records if r.get("model") == "mangaki.genre"}
    values = [MANGAKI_CHOICES[r["choice"]] for r in rating_rows]
    dataset = from_arrays(
        [r["user"] for r in rating_rows],
        [r["work"] for r in rating_rows],
        values,
        extra_items=list(works),
        scale=SCALES["mangaki"],
        name=Path(path).stem,
    )
    pairs = [(pk, genres.get(g, str(g))) for pk, w in works.items() for g in w.get("genre", [])]
    if pairs:
        attach_tags(dataset, [p[0] for p in pairs], [p[1] for p in pairs])
    return dataset


def load_dataset(path, fmt: str = "auto", tags_path=None) -> Dataset:
    """Load ``path`` in format ``fmt`` (``auto`` guesses from the path and header).

    Example::

        >>> load_dataset("/nonexistent", "bogus")
        Traceback (most recent call last):
        ...
        ValueError: unknown format 'bogus'; choose from auto, csv, mangaki, movielens, fixture
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    path = Path(path)
    if fmt == "auto":
        if path.is_dir():
            fmt = "movielens"
        elif path.suffix == ".json":
            fmt = "fixture"
        else:
            first = _read_rows(path)[:1]
            third = first[0][2].strip().lower() if first and len(first[0]) > 2 else ""
            is_choice = third in MANGAKI_CHOICES
            header_choice = third == "choice"
            fmt = "mangaki" if is_choice or header_choice else "csv"
    if fmt == "movielens":
        return load_movielens(path)
    if fmt == "fixture":
        return load_fixture(path)
    if fmt == "mangaki":
        return load_mangaki_csv(path, tags_path)
    return load_csv(path, tags_path)
