"""The work page's two neighbour lists: *similar works* and *looks alike*.

Both rank works by cosine with :func:`recommender.algorithms.neighbours.cosine_neighbours`;
they differ in the vectors:

- **Similar works** use the served model's taste vectors (its ALS item factors: people who
  rate one the way they rate the other), through :meth:`recommender.facade.ServedModel.
  similar`, the one implementation behind the work page and the API. Only works of the
  same category. A work's factor vector is estimated from its ratings, and one from two
  ratings is mostly noise that can point anywhere, so each neighbour's cosine is shrunk
  toward zero by its number of training ratings ``n``: ``score = cosine x n / (n + 10)`` (Koren's
  shrunk similarity, with the neighbour's rating count standing in for the co-rating count
  that the model file does not keep). A work with 1 rating keeps 9% of its cosine, one with
  10 keeps half, one with 90 keeps 90%; a work with no training rating has zero factors and
  is never listed, nor gets a list.
- **Looks alike** use the poster embeddings (``Work.poster_embedding``), any category.

Visibility (adult works) is decided by the database, not by the model's snapshot: each list
takes ``OVERFETCH`` times more candidates than it shows, and one query loads the card fields
(``CARD_FIELDS``) of the ones ``Work.objects.safe_for(user)`` lets through.

The poster embeddings live in a per-process matrix of unit rows (10,000 works x 1,280
floats = 50 MB), never reloaded whole on a request. Each request that needs it runs one
aggregate, ``count(*), max(poster_tagged_at)`` over the works with an embedding, which a
partial index answers without reading the table; when that key changes, only the rows
tagged since the cached maximum (and works the cache does not know) are read, the others
are kept. The tagger sets ``poster_tagged_at`` with every embedding it stores, and removing
a poster or a work lowers the count, so every change the site makes moves the key. (A
hand-made ``update(poster_embedding=...)`` must bump ``poster_tagged_at`` as well.) Each
work's list of nearest posters is kept with the matrix, so a work's page compares its
poster against the whole catalogue once per process and key, not on every visit.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.db.models import Count, Max, Q

from mangaki.memo import VersionedMemo
from mangaki.models import Work
from mangaki.models.catalog import CARD_FIELDS
from recommender.algorithms.neighbours import cosine_neighbours
from recommender.algorithms.vectors import row_norms, unit_rows
from recommender.facade import served_model

logger = logging.getLogger(__name__)

NEIGHBOURS = 8  # works per list
OVERFETCH = 2  # candidates per shown work, to survive the adult-content filter
_FULL_RELOAD = 500  # more unknown works than this: read every embedding at once
_LATE_COMMIT = timedelta(seconds=10)  # re-read rows tagged this long before the cached newest


@dataclass
class Neighbours:
    """The two lists of a work page; None when a list cannot be computed (no model, work
    unknown to the model, no poster embedding)."""

    similar: list[Work] | None = None
    looks_alike: list[Work] | None = None


def neighbours(work: Work, user, k: int = NEIGHBOURS) -> Neighbours:
    """The works most like ``work`` that ``user`` may see, in both senses, fetched in one query.

    Example::

        lists = neighbours(Work.objects.get(pk=1), request.user)
        lists.similar, lists.looks_alike
    """
    similar = similar_ids(work.pk, k * OVERFETCH)
    looks = _looks_alike_ids(work, k * OVERFETCH)
    wanted = {pk for ids in (similar, looks) if ids for pk in ids}
    found = {}
    if wanted:
        found = Work.objects.safe_for(user).only(*CARD_FIELDS).in_bulk(sorted(wanted))

    def shown(ids, same_category=False):
        if ids is None:
            return None
        works = [found[pk] for pk in ids if pk in found]
        if same_category:
            works = [w for w in works if w.category_id == work.category_id]
        return works[:k]

    return Neighbours(similar=shown(similar, same_category=True), looks_alike=shown(looks))


def similar_ids(work_id: int, n: int) -> list[int] | None:
    """Ids of the ``n`` works of the same category nearest ``work_id`` in the served model's
    taste space (:meth:`ServedModel.similar`), nearest first; None without a model or for a
    work the model does not know. The work page and the API both list these."""
    model = served_model()
    row = None if model is None else model.row(work_id)
    found = None if model is None or row is None else model.similar(row, n)
    return None if found is None else model.work_ids([r for r, _ in found])


def _looks_alike_ids(work: Work, n: int) -> list[int] | None:
    """Ids of the ``n`` works whose posters are nearest ``work``'s; None without an
    embedding."""
    if not work.poster_embedding:
        return None
    index = poster_index()
    row = index.row.get(work.pk)
    if row is None:
        return None
    ids = index.nearest.get((row, n))
    if ids is None:
        found = cosine_neighbours(index.unit, [row], n, norms=index.norms)[0]
        ids = index.nearest[row, n] = [int(index.ids[j]) for j, score in found if score > 0]
    return list(ids)


@dataclass(frozen=True)
class PosterIndex:
    """Unit-length poster embeddings; row ``i`` belongs to work ``ids[i]``."""

    key: tuple = (0, None)  # (works with an embedding, newest poster_tagged_at) when built
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    unit: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    row: dict = field(default_factory=dict)
    # (row, n) -> ids of the n nearest posters: filled as pages ask, dropped with the index.
    nearest: dict = field(default_factory=dict, compare=False)

    @property
    def norms(self) -> np.ndarray:
        return np.ones(len(self.ids), dtype=self.unit.dtype)


# Keyed by (works with an embedding, newest poster_tagged_at); a new key updates the last
# index incrementally.
_indexes: VersionedMemo[PosterIndex] = VersionedMemo("mangaki.poster_index", keep=1)


def _embedded():
    return Work.objects.filter(poster_embedding__isnull=False).order_by()


def poster_index() -> PosterIndex:
    """This process's poster embedding matrix, brought up to date if embeddings changed."""
    # count(*), not count(pk): the partial index on poster_tagged_at answers it alone.
    stats = _embedded().aggregate(n=Count("*"), latest=Max("poster_tagged_at"))
    key = (stats["n"], stats["latest"])
    if key == (0, None):
        return PosterIndex()  # no embedding at all
    return _indexes.get_or_compute(key, lambda: _refresh(_indexes.latest() or PosterIndex(), key))


def _refresh(old: PosterIndex, key: tuple) -> PosterIndex:
    """A new index: rows tagged since ``old`` was built (less a margin for transactions that
    committed late) and unknown works are read, the other rows are copied from ``old``."""
    ids = list(_embedded().order_by("pk").values_list("pk", flat=True))
    unknown = [pk for pk in ids if pk not in old.row]
    fresh = _embedded()
    if old.key[1] is not None and len(unknown) <= _FULL_RELOAD:
        since = old.key[1] - _LATE_COMMIT
        fresh = fresh.filter(Q(poster_tagged_at__gt=since) | Q(pk__in=unknown))
    read = {pk: bytes(blob) for pk, blob in fresh.values_list("pk", "poster_embedding")}
    sizes = Counter(len(blob) // 4 for blob in read.values())
    old_width = old.unit.shape[1]
    sizes[old_width] += sum(pk not in read for pk in old.row)
    width = max(sizes, key=lambda w: (sizes[w], w)) if sizes else 0
    fresh_ids = [pk for pk, blob in read.items() if len(blob) == 4 * width]
    vectors = np.frombuffer(b"".join(read[pk] for pk in fresh_ids), dtype=np.float32)
    vectors = vectors.reshape(len(fresh_ids), width)
    norms = row_norms(vectors)
    # An all-zero embedding has no direction to compare.
    fresh_row = {pk: i for i, pk in enumerate(fresh_ids) if norms[i] > 0}
    vectors = unit_rows(vectors, norms)
    final = [
        pk
        for pk in ids
        if pk in fresh_row or (pk not in read and pk in old.row and old_width == width)
    ]
    if len(final) < len(ids):
        logger.warning("Poster index: %d embeddings left out", len(ids) - len(final))
    matrix = np.empty((len(final), width), dtype=np.float32)
    new = [i for i, pk in enumerate(final) if pk in fresh_row]
    kept = [i for i, pk in enumerate(final) if pk not in fresh_row]
    if new:
        matrix[new] = vectors[[fresh_row[final[i]] for i in new]]
    if kept:
        matrix[kept] = old.unit[[old.row[final[i]] for i in kept]]
    ids_array = np.array(final, dtype=np.int64)
    logger.info("Poster index: %d embeddings, %d read", len(ids_array), len(read))
    return PosterIndex(
        key=key,
        ids=ids_array,
        unit=matrix,
        row={pk: i for i, pk in enumerate(ids_array.tolist())},
    )
