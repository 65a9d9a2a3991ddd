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

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from recommender.evaluation.csvfiles import DataError, rating_rows, read_rows, tag_rows, timestamps

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
    no_times: str | None = None  # why the ratings have no times, when they have none


def from_arrays(
    user_ids, item_ids, values, extra_items=(), scale=None, name="dataset", timestamps=None
):
    """Build a :class:`Dataset` from raw ids (any sortable ids) and rating values, through
    :meth:`RatingMatrix.from_ids`; when a user rated the same item twice, the last one
    wins (ratings change in place).

    Example::

        >>> data = from_arrays(["a", "b", "a"], ["x", "x", "y"], [5, 3, 4])
        >>> data.ratings.shape, data.item_ids.tolist()
        ((2, 2), ['x', 'y'])
    """
    from recommender.algorithms.ratings import RatingMatrix

    item_ids = np.asarray(item_ids)
    extra = np.asarray(list(extra_items))
    if len(extra) and item_ids.dtype.kind == "U":
        extra = extra.astype(str)
    ratings = RatingMatrix.from_ids(
        user_ids, item_ids, np.asarray(values, dtype=np.float32), timestamps,
        duplicates="last", all_items=extra if len(extra) else None,
    )  # fmt: skip
    scale = scale if scale is not None else detect_scale(ratings.values)
    assert ratings.user_ids is not None and ratings.item_ids is not None  # from_ids sets them
    return Dataset(ratings, ratings.user_ids, ratings.item_ids, scale, name=name)


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


def load_csv(path, tags_path=None) -> Dataset:
    """Load ``user,item,rating[,timestamp]`` (and optionally an ``item,tag[,weight]`` file);
    problems are :class:`~recommender.evaluation.csvfiles.DataError` with a line number."""
    rows, users, items, values = rating_rows(path)
    tag_items, tags, weights = _read_tags(tags_path)
    times, why = timestamps(rows)
    dataset = from_arrays(users, items, np.asarray(values), extra_items=tag_items,
                          timestamps=times)  # fmt: skip
    dataset.name, dataset.no_times = Path(path).stem, why
    return attach_tags(dataset, tag_items, tags, weights) if tags_path else dataset


def _read_tags(tags_path) -> tuple[list, list, list]:
    """(items, tags, weights) from an ``item,tag[,weight]`` CSV, header skipped."""
    return tag_rows(tags_path) if tags_path else ([], [], [])


def load_mangaki_csv(path, tags_path=None) -> Dataset:
    """Load Mangaki choices ``user,work,choice[,date]`` (favorite, like, neutral, dislike...)."""
    rows, users, works, choices = rating_rows(path, choice=True)
    for (number, _), choice in zip(rows, choices, strict=True):
        if choice not in MANGAKI_CHOICES:
            raise DataError(
                path, number, f"unknown Mangaki choice {choice!r}: use one of "
                f"{', '.join(MANGAKI_CHOICES)}",
            )  # fmt: skip
    values = np.array([MANGAKI_CHOICES[c] for c in choices], dtype=np.float32)
    tag_items, tags, weights = _read_tags(tags_path)
    times, why = timestamps(rows)
    dataset = from_arrays(
        users, works, values, tag_items, scale=SCALES["mangaki"], timestamps=times
    )
    dataset.name, dataset.no_times = Path(path).stem, why
    return attach_tags(dataset, tag_items, tags, weights) if tags_path else dataset


def load_movielens(folder) -> Dataset:
    """MovieLens 100K: ratings, 19 genres as tags, official u1..u5 folds when present."""
    folder = Path(folder)
    if not (folder / "u.data").is_file() or not (folder / "u.item").is_file():
        raise DataError(
            folder, None, "not a MovieLens 100K folder (it needs u.data, u.item and u.genre): "
            "pass such a folder, or a ratings CSV file (user,item,rating[,timestamp])",
        )  # fmt: skip
    try:
        raw = np.loadtxt(folder / "u.data", dtype=np.int64, usecols=(0, 1, 2, 3), ndmin=2)
    except ValueError as error:
        raise DataError(folder / "u.data", None, f"not MovieLens ratings: {error}") from error
    if len(raw) == 0:
        raise DataError(folder / "u.data", None, "no ratings: the file is empty")
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
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(path, error.lineno, f"not valid JSON ({error.msg})") from error
    if not isinstance(records, list):
        raise DataError(path, None, "not a Django fixture (expected a JSON list of records)")
    rated_records = [r["fields"] for r in records if r.get("model") == "mangaki.rating"]
    works = {r["pk"]: r["fields"] for r in records if r.get("model") == "mangaki.work"}
    genres = {r["pk"]: r["fields"]["title"] for r in records if r.get("model") == "mangaki.genre"}
    unknown = [r.get("choice") for r in rated_records if r.get("choice") not in MANGAKI_CHOICES]
    if unknown:
        raise DataError(path, None, f"unknown Mangaki choice {unknown[0]!r} in a mangaki.rating")
    if not rated_records:
        raise DataError(path, None, "no mangaki.rating records: nothing to evaluate")
    values = [MANGAKI_CHOICES[r["choice"]] for r in rated_records]
    dataset = from_arrays(
        [r["user"] for r in rated_records],
        [r["work"] for r in rated_records],
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
            first = [cells for _, cells in read_rows(path)[:1]]
            third = first[0][2].lower() if first and len(first[0]) > 2 else ""
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
