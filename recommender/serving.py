"""Recommendations for a person, explained, from the active model and their current ratings.

Every call folds the person's *current* ratings into the served model (milliseconds, no
retraining), so a new rating changes the next list. The list is ranked by the list model
(will they pick it and like it); each work also carries its predicted rating, shown as the
choice it is closest to. Works created or re-tagged after the model's snapshot are scored
from their current tags and poster (see :mod:`recommender.facade`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.core.cache import cache

from mangaki.choices import PREDICTION_LABELS, RATING_VALUES, predicted_choice
from mangaki.models import Rating, Work
from mangaki.models.catalog import CARD_FIELDS
from recommender.facade import ServedModel, served_model

CACHE_TTL = 3600


@dataclass
class Recommendation:
    """A recommended work: ``score`` is its predicted rating (-2 dislike .. 4 favorite),
    ``reason`` the main one (see :class:`recommender.facade.Explanation`)."""

    work: Work
    score: float
    tags: list[tuple[str, float]] = field(default_factory=list)
    because: list[tuple[int, str]] = field(default_factory=list)  # (work id, title)
    reason: str = "similar"

    @property
    def predicted_choice(self) -> str:
        """The seen choice the predicted rating is closest to ("like", "favorite"...)."""
        return predicted_choice(self.score)

    @property
    def predicted_label(self) -> str:
        """The prediction as people read it: "likely a favourite", "you'll probably like it"."""
        return str(PREDICTION_LABELS[self.predicted_choice])


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


def user_ratings(user) -> list[tuple[int, str]]:
    """A member's ratings as ``(work id, choice)`` pairs, oldest first (the order tells
    the model which are recent), the input of :meth:`ServedModel.fold`.

    Example::

        user_ratings(alice)  # -> [(12, "like"), (40, "wontsee")]
    """
    rows = Rating.objects.filter(user=user).order_by("date", "pk")
    return list(rows.values_list("work_id", "choice"))


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
    ((work id, choice) pairs, oldest first), best first: ranked by the list model (will
    they pick it and like it), each with its predicted rating and an explanation.
    Rated works are left out, except those marked wontsee when ``show_wontsee`` (a person
    may reconsider). A member's lists are cached until their ratings change
    (:func:`bump_ratings_version`).

    Example::

        recommend(alice, category_id=anime.pk, n=24)[0].because  # [(12, "Akira")]
    """
    model = served_model()
    if model is None:
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
        key = f"recs:{user.pk}:{model.version}:{version}:{digest}"
        hit = cache.get(key)
        if hit is not None:
            return _materialise(hit, n, include_nsfw)
        rated = user_ratings(user)
    else:
        rated = [(w, c) for w, c in ratings or [] if c in RATING_VALUES]
    hidden = set(exclude) | {w for w, c in rated if not (show_wontsee and c == "wontsee")}
    result = _rank(model, rated, category_id, n, include_nsfw, min_popularity, hidden)
    if key is not None:
        cache.set(key, result, CACHE_TTL)
    return _materialise(result, n, include_nsfw)


def discover(
    user=None,
    *,
    ratings: list[tuple[int, str]] | None = None,
    category_id: int | None = None,
    n: int = 4,
    include_nsfw: bool | None = None,
) -> list[Recommendation]:
    """Little-known works (new, or rated by few) that a person's taste in tags and posters
    suggests: the exploration strip beside the list, one work per franchise. A member's
    strip is cached like their list; ``ratings`` passes their ratings when already read.

    Example::

        discover(alice, category_id=anime.pk)[0].reason  # "explore"
    """
    model = served_model()
    if model is None:
        return []
    if include_nsfw is None:
        include_nsfw = bool(user and user.is_authenticated and user.profile.nsfw_ok)
    key = None
    if user is not None and user.is_authenticated:
        version = cache.get(ratings_version_key(user.pk), 0)
        key = f"discover:{user.pk}:{model.version}:{version}:{category_id}:{n}:{include_nsfw}"
        hit = cache.get(key)
        if hit is not None:
            return _materialise(hit, n, include_nsfw)
    if ratings is None:
        rated = user_ratings(user) if user is not None and user.is_authenticated else []
    else:
        rated = [(w, c) for w, c in ratings if c in RATING_VALUES]
    person = model.fold(rated)
    candidates = model.candidates(category_id, include_nsfw, 0, {w for w, _ in rated})
    ranked = model.rank(person, candidates & model.little_known(), n * 2, max_per_franchise=1)
    result = [(*row[:4], "explore") for row in _explained(model, person, ranked)]
    if key is not None:
        cache.set(key, result, CACHE_TTL)
    return _materialise(result, n, include_nsfw)


def _rank(model: ServedModel, rated, category_id, n, include_nsfw, min_popularity, hidden):
    person = model.fold(rated)
    candidates = model.candidates(category_id, include_nsfw, min_popularity, hidden)
    # Twice as many as asked: works deleted or marked adult since drop out later.
    ranked = model.rank(person, candidates, n * 2, shown=n)
    return _explained(model, person, ranked)


def _explained(model: ServedModel, person, ranked) -> list[tuple]:
    """Cacheable rows ``(work id, predicted, tags, because ids, reason)``."""
    explanations = model.explain(person, ranked)
    return [
        (
            item.work_id,
            round(item.predicted, 4),
            [(name, round(weight, 4)) for name, weight in why.tags],
            list(why.because),
            why.reason,
        )
        for item, why in zip(ranked, explanations, strict=True)
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
        for work_id, score, tags, because, reason in chunk:
            work = works.get(work_id)
            if work is None or (work.nsfw and not include_nsfw):
                continue
            liked = [(w, works[w].title) for w in because if w in works]
            out.append(Recommendation(work, score, [tuple(t) for t in tags], liked, reason))
            if len(out) == n:
                break
    return out


def taste(user=None, *, ratings: list[tuple[int, str]] | None = None, k: int = 5) -> dict:
    """A person's strongest liked and disliked tags, from their weights in the model."""
    model = served_model()
    if model is None:
        return {"liked": [], "disliked": []}
    rated = user_ratings(user) if ratings is None else list(ratings)
    return model.taste(model.fold(rated), k=k)


def score_works(user=None, work_ids=(), *, ratings: list[tuple[int, str]] | None = None) -> dict:
    """Predicted ratings of a person (folded in, as for :func:`recommend`) for given works,
    e.g. to order a watchlist; works the model cannot score are left out.

    Example::

        score_works(user, [12, 40])  # -> {12: 1.83, 40: -0.2}
    """
    model = served_model()
    work_ids = list(work_ids)
    if model is None or not work_ids:
        return {}
    rated = user_ratings(user) if ratings is None else list(ratings)
    known = [int(w) for w in work_ids if model.row(int(w)) is not None]
    if not known:
        return {}
    scores = model.predict(model.fold(rated), [model.row(w) for w in known])
    return dict(zip(known, scores.tolist(), strict=True))
