"""Recommendations for a person, explained, from the active model and their current ratings.

Every call folds the person's *current* ratings into the active model (milliseconds, no
retraining), so a new rating changes the next list. Works created or re-tagged after the
model's snapshot are scored from their current tags through LASSO (BALSE's gate sends a
work with no training rating to LASSO).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.core.cache import cache
from django.db.models import Q

from mangaki.choices import RATING_VALUES
from mangaki.models import Rating, TaggedWork, Work
from mangaki.models.catalog import CARD_FIELDS
from recommender.algorithms.explain import explain_tags_many, nearest_liked_many, user_taste
from recommender.registry import Bundle, active_bundle
from recommender.snapshot import tag_matrix

LIKED = {"favorite", "like"}
FRESH_TTL = 30  # seconds a process reuses the rows of works newer than the model
CACHE_TTL = 3600


@dataclass
class Recommendation:
    work: Work
    score: float
    tags: list[tuple[str, float]] = field(default_factory=list)
    because: list[tuple[int, str]] = field(default_factory=list)  # (work id, title)


def ratings_version_key(user_id: int) -> str:
    return f"ratings-version:{user_id}"


def bump_ratings_version(user_id: int) -> None:
    """Called after each change of a user's ratings: their cached lists are now stale."""
    key = ratings_version_key(user_id)
    if not cache.add(key, 1, None):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, None)


class Features:
    """The model's item tag matrix, extended with works newer than the model: ``matrix``
    (works x tags), and for each of its rows ``work_ids``, ``category`` and ``nsfw``;
    ``index`` maps a work id to its row."""

    def __init__(self, bundle: Bundle) -> None:
        base = bundle.model.lasso_.item_features_.tocsr()
        newer = (
            Work.objects.filter(
                Q(created_at__gt=bundle.snapshot_at) | Q(poster_tagged_at__gt=bundle.snapshot_at)
            )
            .order_by("pk")
            .values_list("pk", "category_id", "nsfw")
        )
        extra = [(pk, cat, nsfw) for pk, cat, nsfw in newer]
        self.work_ids = bundle.work_ids
        self.category = bundle.work_category
        self.nsfw = bundle.work_nsfw
        self.index = bundle.work_index
        matrix = base
        if extra:
            new_ids = [pk for pk, _, _ in extra if pk not in bundle.work_index]
            self.work_ids = np.concatenate([bundle.work_ids, np.array(new_ids, dtype=np.int64)])
            by_pk = {pk: (cat, nsfw) for pk, cat, nsfw in extra}
            self.category = np.concatenate([bundle.work_category, [by_pk[p][0] for p in new_ids]])
            self.nsfw = np.concatenate([bundle.work_nsfw, [by_pk[p][1] for p in new_ids]])
            self.index = {**bundle.work_index}
            self.index.update({p: len(bundle.work_ids) + k for k, p in enumerate(new_ids)})
            rows, cols, vals = [], [], []
            for work_id, name, weight in TaggedWork.objects.filter(
                work_id__in=[pk for pk, _, _ in extra]
            ).values_list("work_id", "tag__name", "weight"):
                j = bundle.tag_index.get(name)
                if j is not None:
                    rows.append(self.index[work_id])
                    cols.append(j)
                    vals.append(weight)
            # Same rule as the training snapshot: a tag's strongest source wins.
            fresh = tag_matrix(rows, cols, vals, (len(self.work_ids), base.shape[1]))
            touched = np.zeros(len(self.work_ids), dtype=bool)
            touched[[self.index[pk] for pk, _, _ in extra]] = True
            padded = sp.vstack([base, sp.csr_matrix((len(new_ids), base.shape[1]))]).tocsr()
            keep = sp.diags((~touched).astype(float))
            matrix = (keep @ padded + fresh).tocsr()
        self.matrix = matrix


_features: dict[str, tuple[float, Features]] = {}


def features_for(bundle: Bundle) -> Features:
    """The :class:`Features` of ``bundle``'s model, kept in this process and rebuilt after
    ``FRESH_TTL`` seconds, so that works created or re-tagged since are scored.

    Example::

        features_for(active_bundle()).index[work.pk]  # the work's row in the tag matrix
    """
    cached = _features.get(bundle.version)
    if cached is None or time.monotonic() - cached[0] > FRESH_TTL:
        cached = (time.monotonic(), Features(bundle))
        _features.clear()
        _features[bundle.version] = cached
    return cached[1]


def user_ratings(user) -> list[tuple[int, str]]:
    """A member's ratings as ``(work id, choice)`` pairs, the input of :func:`fold`.

    Example::

        user_ratings(alice)  # -> [(12, "like"), (40, "wontsee")]
    """
    return list(Rating.objects.filter(user=user).values_list("work_id", "choice"))


def fold(bundle: Bundle, features: Features, ratings):
    """A person's state in ``bundle``'s model, folded in from their ``ratings`` ((work id,
    choice) pairs; works the model cannot place are ignored): ``(als_state, lasso_state)``,
    ready for ``bundle.model.predict_folded``. Milliseconds, no retraining.

    Example::

        state = fold(bundle, features_for(bundle), user_ratings(alice))
        bundle.model.predict_folded(*state, items=rows, item_features=features.matrix)
    """
    items = np.array([features.index.get(w, -1) for w, _ in ratings], dtype=np.int64)
    values = np.array([RATING_VALUES[c] for _, c in ratings], dtype=np.float64)
    known = items >= 0
    return bundle.model.fold_in(items[known], values[known], item_features=features.matrix)


def recommend(
    user=None,
    *,
    ratings: list[tuple[int, str]] | None = None,
    category_id: int | None = None,
    n: int = 20,
    include_nsfw: bool | None = None,
    min_popularity: int = 0,
    exclude: set[int] | frozenset[int] = frozenset(),
    show_wontsee: bool = False,
) -> list[Recommendation]:
    """Recommendations for a signed-in ``user`` or for an anonymous visitor's ``ratings``
    ((work id, choice) pairs), best first, each with a score and an explanation.
    Rated works are left out, except those marked wontsee when ``show_wontsee`` (a person
    may reconsider). A member's lists are cached until their ratings change
    (:func:`bump_ratings_version`).

    Example::

        recommend(alice, category_id=anime.pk, n=24)[0].because  # [(12, "Akira")]
    """
    bundle = active_bundle()
    if bundle is None:
        return []
    if include_nsfw is None:
        include_nsfw = bool(user and user.is_authenticated and user.profile.nsfw_ok)
    key = None
    if user is not None and user.is_authenticated and ratings is None:
        version = cache.get(ratings_version_key(user.pk), 0)
        options = json.dumps(
            [category_id, n, include_nsfw, min_popularity, sorted(exclude), show_wontsee]
        )
        digest = hashlib.sha1(options.encode(), usedforsecurity=False).hexdigest()[:12]
        key = f"recs:{user.pk}:{bundle.version}:{version}:{digest}"
        hit = cache.get(key)
        if hit is not None:
            return _materialise(hit, n, include_nsfw)
        rated = user_ratings(user)
    else:
        rated = [(w, c) for w, c in ratings or [] if c in RATING_VALUES]
    hidden = set(exclude) | {w for w, c in rated if not (show_wontsee and c == "wontsee")}
    result = _rank(bundle, rated, category_id, n, include_nsfw, min_popularity, hidden)
    if key is not None:
        cache.set(key, result, CACHE_TTL)
    return _materialise(result, n, include_nsfw)


def _rank(bundle, rated, category_id, n, include_nsfw, min_popularity, hidden):
    features = features_for(bundle)
    state = fold(bundle, features, rated)
    candidates = np.ones(len(features.work_ids), dtype=bool)
    if category_id is not None:
        candidates &= features.category == category_id
    if not include_nsfw:
        candidates &= ~features.nsfw.astype(bool)
    if min_popularity:
        counts = np.zeros(len(features.work_ids))
        known = bundle.model.item_counts_
        counts[: len(known)] = known
        candidates &= counts >= min_popularity
    candidates[[features.index[w] for w in hidden if w in features.index]] = False
    items = np.flatnonzero(candidates)
    if len(items) == 0:
        return []
    scores = bundle.model.predict_folded(*state, items=items, item_features=features.matrix)
    want = min(n * 2, len(scores))
    best = np.argpartition(-scores, want - 1)[:want]
    best = best[np.argsort(-scores[best], kind="stable")]
    top = items[best]
    score_of = dict(zip(top.tolist(), scores[best].tolist(), strict=True))
    liked = [features.index[w] for w, c in rated if c in LIKED and w in features.index]
    tags = explain_tags_many(
        state[1][0], features.matrix[top], bundle.tag_names, k=3, positive_only=True
    )
    because = nearest_liked_many(bundle.model.als_.item_factors_, top, liked, k=2)
    ids = features.work_ids
    return [
        (
            int(ids[item]),
            round(score_of[item], 4),
            [(name, round(weight, 4)) for name, weight in tags[row]],
            [int(ids[j]) for j, _ in because[row]],
        )
        for row, item in enumerate(top.tolist())
    ]


def _materialise(result, n: int, include_nsfw: bool) -> list[Recommendation]:
    """Works for the ranked ids; a work deleted or marked adult since the snapshot drops out
    (we ranked twice as many as asked for that). The first ``n`` are loaded, with the works
    that explain them (titles only are shown, but one query serves both); the rest only
    when some dropped out."""
    out: list[Recommendation] = []
    for chunk in (result[:n], result[n:]):
        if len(out) == n or not chunk:
            break
        wanted = {r[0] for r in chunk} | {w for r in chunk for w in r[3]}
        works = Work.objects.select_related("category").only(*CARD_FIELDS).in_bulk(wanted)
        for work_id, score, tags, because in chunk:
            work = works.get(work_id)
            if work is None or (work.nsfw and not include_nsfw):
                continue
            liked = [(w, works[w].title) for w in because if w in works]
            out.append(Recommendation(work, score, [tuple(t) for t in tags], liked))
            if len(out) == n:
                break
    return out


def taste(user=None, *, ratings: list[tuple[int, str]] | None = None, k: int = 5) -> dict:
    """A person's strongest liked and disliked tags, from their LASSO weights."""
    bundle = active_bundle()
    if bundle is None:
        return {"liked": [], "disliked": []}
    rated = user_ratings(user) if ratings is None else list(ratings)
    features = features_for(bundle)
    state = fold(bundle, features, rated)
    return user_taste(state[1][0], bundle.tag_names, k=k)


def score_works(user=None, work_ids=(), *, ratings: list[tuple[int, str]] | None = None) -> dict:
    """Predicted ratings of a person (folded in, as for :func:`recommend`) for given works,
    e.g. to order a watchlist; works the model cannot score are left out.

    Example::

        score_works(user, [12, 40])  # -> {12: 1.83, 40: -0.2}
    """
    bundle = active_bundle()
    work_ids = list(work_ids)
    if bundle is None or not work_ids:
        return {}
    rated = user_ratings(user) if ratings is None else list(ratings)
    features = features_for(bundle)
    state = fold(bundle, features, rated)
    known = [int(w) for w in work_ids if int(w) in features.index]
    if not known:
        return {}
    items = np.array([features.index[w] for w in known], dtype=np.int64)
    scores = bundle.model.predict_folded(*state, items=items, item_features=features.matrix)
    return dict(zip(known, scores.tolist(), strict=True))
