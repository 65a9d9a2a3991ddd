"""The one door between the site and the served model: fold a person in, rank, predict,
explain, and find similar works.

Pages, the API, decks, the taste map and similar works ask a :class:`ServedModel`; none of
them reads a model's fitted attributes, so the model behind it can change in one place.
Works created or re-tagged after the model's snapshot are part of its catalogue (scored
from their tags and poster through the model's content part), refreshed every
``FRESH_TTL`` seconds.

Example::

    model = served_model()
    person = model.fold([(12, "like"), (40, "wontsee")])
    for item in model.rank(person, model.candidates(category_id=1), n=20):
        print(item.work_id, item.predicted, model.explain(person, [item])[0].reason)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mangaki.choices import RATING_VALUES
from mangaki.memo import VersionedMemo
from recommender.algorithms.explain import explain_tags_many, user_taste
from recommender.algorithms.neighbours import cosine_neighbours
from recommender.algorithms.ranker import Ranker, RankerState
from recommender.catalogue import Catalogue
from recommender.layout import MapLayout
from recommender.model_files import Bundle
from recommender.registry import active_bundle

logger = logging.getLogger(__name__)
FRESH_TTL = 30  # seconds a process reuses the rows of works newer than the model
LIKED = frozenset({"favorite", "like"})
MAX_PER_FRANCHISE = 3  # works of one franchise in a list, before the others have a turn
SIMILAR_SHRINK = 10  # training ratings at which a similar work's cosine counts half
BECAUSE_SHARE = 0.3  # share of a pick score two liked works must explain to be "the" reason
POPULAR_QUANTILE = 0.9  # works rated more than this share of the catalogue are "popular"


@dataclass(frozen=True)
class Person:
    """Someone folded into the served model: their state and what they rated."""

    state: RankerState
    rated: tuple[tuple[int, str], ...]  # (work id, choice), oldest first
    liked_rows: frozenset[int]
    # The person's ranking scores, computed once for all the lists of a request.
    scores: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Ranked:
    """One work of a list: its model row, ranking score, predicted rating (on the site's
    -2..4 scale) and whether it holds an exploration place."""

    row: int
    work_id: int
    score: float
    predicted: float
    explored: bool


@dataclass(frozen=True)
class Explanation:
    """Why a work is on a person's list. ``reason``: "similar" (the liked works in
    ``because`` lead to it), "popular" (people who rate like them pick it), "explore" (a
    little-known work their taste in tags suggests) or "taste" (its tags alone)."""

    because: tuple[int, ...]  # work ids of liked works, strongest first
    tags: tuple[tuple[str, float], ...]
    reason: str


class ServedModel:
    """The active model as the site uses it (see the module docstring)."""

    def __init__(self, bundle: Bundle, catalogue: Catalogue) -> None:
        self.version = bundle.version
        self.snapshot_at = bundle.snapshot_at
        self.tag_names = bundle.tag_names
        self._bundle = bundle
        self._model = bundle.model
        self.catalogue = catalogue
        counts = np.zeros(len(catalogue.work_ids))
        known = self._model.item_counts_
        counts[: len(known)] = known
        self._counts = counts
        rated = counts[counts > 0]
        self._popular_from = float(np.quantile(rated, POPULAR_QUANTILE)) if len(rated) else 1.0

    # -- the catalogue ---------------------------------------------------------------------

    @property
    def n_rows(self) -> int:
        return len(self.catalogue.work_ids)

    def row(self, work_id: int) -> int | None:
        """The model row of a work, None if the model cannot place it."""
        return self.catalogue.index.get(int(work_id))

    def work_id(self, row: int) -> int:
        return int(self.catalogue.work_ids[row])

    def work_ids(self, rows) -> list[int]:
        return [int(w) for w in self.catalogue.work_ids[np.asarray(rows, dtype=np.int64)]]

    def category_of(self, row: int) -> int:
        return int(self.catalogue.category[row])

    def candidates(self, category_id: int | None = None, include_nsfw: bool = False,
                   min_popularity: int = 0, exclude: Iterable[int] = ()) -> np.ndarray:  # fmt: skip
        """A boolean mask over rows: works of ``category_id`` (all when None), adult ones
        only with ``include_nsfw``, rated at least ``min_popularity`` times in training,
        minus the work ids in ``exclude``."""
        mask = np.ones(self.n_rows, dtype=bool)
        if category_id is not None:
            mask &= self.catalogue.category == category_id
        if not include_nsfw:
            mask &= ~self.catalogue.nsfw.astype(bool)
        if min_popularity:
            mask &= self._counts >= min_popularity
        rows = [r for w in exclude if (r := self.catalogue.index.get(w)) is not None]
        mask[rows] = False
        return mask

    def item_counts(self) -> np.ndarray:
        """Training ratings of each row (0 for works newer than the model)."""
        return self._counts

    def item_vectors(self) -> np.ndarray:
        """Taste-space vectors of the works the model was trained with (a row index below
        ``len(item_vectors())``); newer works have none."""
        vectors = self._model.item_vectors()
        return np.zeros((0, 0)) if vectors is None else np.asarray(vectors)

    # -- a person --------------------------------------------------------------------------

    def fold(self, ratings: Sequence[tuple], values: Mapping[int, float] | None = None) -> Person:
        """Fold a person in from their ratings: ``(work id, choice)`` pairs oldest first,
        or ``(work id, choice, seconds)`` triples. Works the model cannot place are
        ignored; choices outside the six are refused by the caller. ``values`` replaces
        the choice's value of some rated works (by work id) with finer evidence, such as
        the person's duels (:mod:`mangaki.services.duels`). Milliseconds."""
        rated = [r for r in ratings if r[1] in RATING_VALUES]
        rows = np.array([self.catalogue.index.get(r[0], -1) for r in rated], dtype=np.int64)
        finer = values or {}
        values_ = np.array([finer.get(r[0], RATING_VALUES[r[1]]) for r in rated], dtype=np.float64)
        if rated and len(rated[0]) > 2:
            times = np.array([r[2] for r in rated], dtype=np.float64)
        else:
            times = np.arange(len(rated), dtype=np.float64)  # the list's order is time
        known = rows >= 0
        state = self._model.fold_in(
            rows[known], values_[known], times[known], item_features=self.catalogue.tags
        )
        liked = frozenset(int(r) for r, (_, c, *_) in zip(rows, rated, strict=True)
                          if r >= 0 and c in LIKED)  # fmt: skip
        return Person(state, tuple((int(r[0]), r[1]) for r in rated), liked)

    def predict(self, person: Person, rows) -> np.ndarray:
        """Predicted ratings (-2 dislike .. 4 favorite) of ``rows`` for ``person``."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if len(rows) == 0:
            return np.zeros(0)
        return np.asarray(
            self._model.predict_rating_folded(person.state, rows, self.catalogue.tags)
        )

    def rank(self, person: Person, candidates: np.ndarray, n: int, shown: int | None = None,
             max_per_franchise: int | None = MAX_PER_FRANCHISE) -> list[Ranked]:  # fmt: skip
        """The ``n`` best ``candidates`` (a row mask) for ``person``, best first, with at
        most ``max_per_franchise`` works of one franchise unless nothing else is left, and
        exploration places laid out for a page of ``shown`` works (``n`` by default)."""
        rows = np.flatnonzero(candidates)
        if len(rows) == 0 or n <= 0:
            return []
        if "all" not in person.scores:
            person.scores["all"] = self._model.score_folded(
                person.state, design=self.catalogue.design
            )
        order, scores, explored = self._model.rank_folded(
            person.state,
            n=n,
            candidates=rows,
            groups=self.catalogue.group if max_per_franchise else None,
            max_per_group=max_per_franchise,
            shown=shown,
            scores=person.scores["all"],
        )
        predicted = self.predict(person, order)
        ids = self.catalogue.work_ids[order]
        return [
            Ranked(int(r), int(w), float(s), float(p), bool(e))
            for r, w, s, p, e in zip(order, ids, scores, predicted, explored, strict=True)
        ]

    def little_known(self) -> np.ndarray:
        """A row mask of the works with fewer than the model's little-known threshold of
        training ratings (new works included)."""
        return self._counts < self._model.little_known

    def explain(self, person: Person, ranked: Sequence[Ranked], k_tags: int = 3,
                k_because: int = 2) -> list[Explanation]:  # fmt: skip
        """Why each ranked work is there: the liked works that raise its pick score most,
        the person's tags it has, and the main reason (see :class:`Explanation`)."""
        if not ranked:
            return []
        rows = np.array([r.row for r in ranked], dtype=np.int64)
        weights = self._model.tag_weights(person.state)
        tags = (
            explain_tags_many(
                weights, self.catalogue.tags[rows], self.tag_names, k=k_tags, positive_only=True
            )
            if weights is not None
            else [[] for _ in rows]
        )
        works, parts = self._model.pick_reasons(person.state, rows)
        positive = np.clip(parts, 0.0, None)
        total = positive.sum(axis=0)
        liked = np.isin(works, list(person.liked_rows)) if person.liked_rows else works < 0
        from_liked = np.where(liked[:, None], positive, 0.0)
        # The k liked works adding most to each item, strongest first.
        depth = min(k_because, len(works))
        top = np.argsort(-from_liked, axis=0, kind="stable")[:depth] if depth else None
        out = []
        for column, (item, its_tags) in enumerate(zip(ranked, tags, strict=True)):
            chosen = [] if top is None else [i for i in top[:, column] if from_liked[i, column] > 0]
            because = tuple(self.work_id(int(works[i])) for i in chosen)
            share = sum(from_liked[i, column] for i in chosen)
            if item.explored:
                reason = "explore"
            elif chosen and share >= BECAUSE_SHARE * total[column]:
                reason = "similar"
            elif self._counts[item.row] >= self._popular_from:
                reason = "popular"
            else:
                reason = "similar" if chosen else "taste"
            out.append(Explanation(because, tuple((n, round(w, 4)) for n, w in its_tags), reason))
        return out

    def taste(self, person: Person, k: int = 5) -> dict:
        """The person's strongest liked and disliked tags."""
        weights = self._model.tag_weights(person.state)
        if weights is None:
            return {"liked": [], "disliked": []}
        return user_taste(weights, self.tag_names, k=k)

    def layout(self) -> MapLayout | None:
        """The taste map's points of the works the model was trained with (rows below
        ``len(layout.xy)``), None for a model saved without one."""
        return self._bundle.layout

    def taste_vector(self, person: Person) -> np.ndarray | None:
        """The person's position in the space of :meth:`item_vectors`."""
        return self._model.user_vector(person.state)

    # -- works alike -----------------------------------------------------------------------

    def similar(
        self, row: int, n: int, same_category: bool = True
    ) -> list[tuple[int, float]] | None:
        """The ``n`` works nearest ``row`` in taste space, as (row, score) pairs, best
        first: cosine of the item vectors, damped for works with few training ratings
        (``counts / (counts + SIMILAR_SHRINK)``) so that a vector the model barely knows
        does not come first. None for a work the model was not trained with."""
        vectors = self.item_vectors()
        if not 0 <= row < len(vectors):
            return None
        counts = self.item_counts()[: len(vectors)]
        candidates = None
        if same_category:
            candidates = np.flatnonzero(self.catalogue.category[: len(vectors)] ==
                                        self.catalogue.category[row])  # fmt: skip
        found = cosine_neighbours(
            vectors, [row], n, candidates=candidates, weights=counts / (counts + SIMILAR_SHRINK)
        )[0]
        return [(r, s) for r, s in found if s > 0]


# The active model's facade; rebuilt every FRESH_TTL seconds for works newer than it.
_served: VersionedMemo[ServedModel] = VersionedMemo(
    "recommender.served_model", keep=1, max_age=FRESH_TTL
)


def served_model() -> ServedModel | None:
    """The active model behind its facade, None before any training. Loaded once per
    process and version; its catalogue of newer works is rebuilt every ``FRESH_TTL`` s."""
    bundle = active_bundle()
    if bundle is None:
        return None
    if not isinstance(bundle.model, Ranker):
        # A model file from before the list model: pages serve without recommendations
        # until the next training (docs/recommendations.md, "Upgrading").
        logger.warning("Model %s is not a list model; retrain to serve lists", bundle.version)
        return None
    return _served.get_or_compute(bundle.version, lambda: ServedModel(bundle, Catalogue(bundle)))


def forget_served_models() -> None:
    """Drop this process's facades (tests, and after a rollback in the same process)."""
    _served.clear()


def warm_up() -> str | None:
    """Load the active model and run one fold, rank and explanation, so that the first
    visitor after a start does not pay for reading the files and compiling the kernels.
    Returns the version warmed, None without a model (or with a database away: the first
    request will load it)."""
    from django.db import DatabaseError

    try:
        model = served_model()
        if model is None:
            return None
        popular = np.argsort(-model.item_counts())[:3]
        person = model.fold([(model.work_id(int(r)), "like") for r in popular])
        ranked = model.rank(person, model.candidates(), 5)
        model.explain(person, ranked)
        model.taste(person)
    except DatabaseError:
        logger.warning("Model not warmed: database unavailable")
        return None
    return model.version
