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
from mangaki.services.duels import duel_values, preferences_stamp
from recommender.facade import ServedModel, served_model

CACHE_TTL = 3600
LISTS_KEPT = 20  # cached lists remembered per member, to drop them when ratings change


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
    may reconsider). A member's lists are cached until their ratings or duels change
    (:func:`mangaki.services.duels.preferences_stamp`).

    Example::

        recommend(alice, category_id=anime.pk, n=24)[0].because  # [(12, "Akira")]
    """
    return recommend_lists(
        user, ratings=ratings, category_id=category_id, n=n, include_nsfw=include_nsfw,
        min_popularity=min_popularity, exclude=exclude, show_wontsee=show_wontsee,
    )[0]  # fmt: skip


def discover(
    user=None,
    *,
    ratings: list[tuple[int, str]] | None = None,
    category_id: int | None = None,
    n: int = 4,
    include_nsfw: bool | None = None,
) -> list[Recommendation]:
    """Little-known works (new, or rated by few) that a person's taste in tags and posters
    suggests: the exploration strip beside the list, one work per franchise.

    Example::

        discover(alice, category_id=anime.pk)[0].reason  # "explore"
    """
    return recommend_lists(
        user, ratings=ratings, category_id=category_id, n=0, discover_n=n,
        include_nsfw=include_nsfw,
    )[1]  # fmt: skip


def recommend_lists(
    user=None,
    *,
    ratings: list[tuple[int, str]] | None = None,
    category_id: int | None = None,
    n: int = 20,
    discover_n: int = 0,
    include_nsfw: bool | None = None,
    min_popularity: int = 0,
    exclude: set[int] | frozenset[int] = frozenset(),
    show_wontsee: bool = False,
    member_ratings: list[tuple[int, str]] | None = None,
) -> tuple[list[Recommendation], list[Recommendation]]:
    """:func:`recommend`'s list and :func:`discover`'s strip of ``discover_n`` works, from
    one fold-in, one scoring and one read of the works (the recommendations page).
    ``member_ratings``: the member's :func:`user_ratings` when the caller has read them
    already (the page shows their taste too), so they are not read twice."""
    model = served_model()
    if model is None:
        return [], []
    if include_nsfw is None:
        include_nsfw = bool(user and user.is_authenticated and user.profile.nsfw_ok)
    key = None
    if user is not None and user.is_authenticated and ratings is None:
        # Duels refine the ratings' values: a new answer must give a new list too.
        stamp = preferences_stamp(user)
        version = stamp.key
        options = json.dumps(
            [category_id, n, discover_n, include_nsfw, min_popularity, sorted(exclude),
             show_wontsee]
        )  # fmt: skip
        digest = hashlib.sha1(options.encode(), usedforsecurity=False).hexdigest()[:12]
        key = f"recs:{user.pk}:{model.version}:{version}:{digest}"
        hit = cache.get(key)
        if hit is not None:
            return _materialise(hit, (n, discover_n), include_nsfw)
        rated = user_ratings(user) if member_ratings is None else member_ratings
        finer = duel_values(user, rated) if stamp.n_duels else {}
    else:
        rated = [(w, c) for w, c in ratings or [] if c in RATING_VALUES]
        finer = {}
    person = model.fold(rated, values=finer)
    result: tuple[list, list] = ([], [])
    if n:
        hidden = set(exclude) | {w for w, c in rated if not (show_wontsee and c == "wontsee")}
        candidates = model.candidates(category_id, include_nsfw, min_popularity, hidden)
        # Twice as many as asked: works deleted or marked adult since drop out later.
        result[0].extend(_explained(model, person, model.rank(person, candidates, n * 2, shown=n)))
    if discover_n:
        candidates = model.candidates(category_id, include_nsfw, 0, {w for w, _ in rated})
        ranked = model.rank(
            person, candidates & model.little_known(), discover_n * 2, max_per_franchise=1
        )
        result[1].extend((*row[:4], "explore") for row in _explained(model, person, ranked))
    if key is not None:
        cache.set(key, result, CACHE_TTL)
        _remember(user.pk, key)
    return _materialise(result, (n, discover_n), include_nsfw)


def _lists_key(user_id: int) -> str:
    return f"recs-keys:{user_id}"


def _remember(user_id: int, key: str) -> None:
    keys = [k for k in cache.get(_lists_key(user_id)) or [] if k != key]
    cache.set(_lists_key(user_id), [*keys, key][-LISTS_KEPT:], CACHE_TTL)


def forget_cached_lists(user_id: int) -> int:
    """Drop a member's cached lists (after their ratings changed: they can no longer be
    read, since lists are keyed by :func:`ratings_stamp`). Returns how many were known.

    Example::

        forget_cached_lists(alice.pk)  # -> 2
    """
    keys = cache.get(_lists_key(user_id)) or []
    cache.delete_many([*keys, _lists_key(user_id)])
    return len(keys)


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


def _materialise(results, sizes, include_nsfw: bool) -> tuple[list, list]:
    """Works for the ranked ids of each list; a work deleted or marked adult since the
    snapshot drops out (we ranked twice as many as asked for that). The first ``size`` of
    every list are loaded in one query, with the works that explain them (titles only are
    shown, but one query serves both); the rest only when some dropped out."""
    firsts = [result[:size] for result, size in zip(results, sizes, strict=True)]
    works = _works([row for chunk in firsts for row in chunk])
    out: tuple[list[Recommendation], ...] = tuple([] for _ in results)
    for made, result, size in zip(out, results, sizes, strict=True):
        for spare, chunk in enumerate((result[:size], result[size:])):
            if len(made) == size or not chunk:
                break
            if spare:  # some of the first dropped out: read the spares too
                works = {**works, **_works(chunk)}
            for work_id, score, tags, because, reason in chunk:
                work = works.get(work_id)
                if work is None or (work.nsfw and not include_nsfw):
                    continue
                liked = [(w, works[w].title) for w in because if w in works]
                made.append(Recommendation(work, score, [tuple(t) for t in tags], liked, reason))
                if len(made) == size:
                    break
    return out[0], out[1]


def _works(rows) -> dict:
    wanted = {r[0] for r in rows} | {w for r in rows for w in r[3]}
    if not wanted:
        return {}
    return Work.objects.select_related("category").only(*CARD_FIELDS).in_bulk(wanted)


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
    finer = duel_values(user, rated) if ratings is None else {}
    known = [int(w) for w in work_ids if model.row(int(w)) is not None]
    if not known:
        return {}
    scores = model.predict(model.fold(rated, values=finer), [model.row(w) for w in known])
    return dict(zip(known, scores.tolist(), strict=True))
