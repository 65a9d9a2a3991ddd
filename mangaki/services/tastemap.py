"""The taste map: the catalogue laid out at training time (works liked by the same people
and sharing genres lie close), regions named by their genres, the person placed among the
works they liked, and their top recommendations on it (docs/site.md, "Taste map").

The layout is part of the model's files (:mod:`recommender.layout`); a request only reads
it, folds the person in (milliseconds), predicts the drawn works, takes the person's
recommendations (the recommendations page's list, cached for members) and reads titles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mangaki.choices import RATING_VALUES
from mangaki.memo import VersionedMemo
from mangaki.models import Category, Work
from recommender.facade import ServedModel, served_model
from recommender.layout import MapLayout
from recommender.serving import recommend_lists, user_ratings

#: Works drawn on the map: the category's most rated in the model's training data, plus
#: the person's rated works and their recommendations.
MAP_SIZE = 1500
DIGITS = 3
#: The person's top recommendations shown on the map and listed beside it.
NEAR = 10
#: What the recommendations page asks for by default: the same call gives the same list
#: (and, for a member, the same cached one).
PAGE_N, PAGE_DISCOVER = 24, 4
#: The person's place: the mean position of the works they liked, favorites counting
#: for their value (4) and likes for theirs (2).
PLACING = {c: RATING_VALUES[c] for c in ("favorite", "like")}


@dataclass(frozen=True)
class _Drawn:
    """The part of a map that depends only on the model and the category."""

    items: np.ndarray  # model rows of the works drawn, most rated first
    xy: np.ndarray  # their points


# The part of each category's map that depends only on the model: one model's maps.
_drawn: VersionedMemo[dict[int, _Drawn]] = VersionedMemo("mangaki.tastemap_drawn")


def _most_rated(model: ServedModel, layout: MapLayout, category_id: int) -> _Drawn:
    maps = _drawn.get_or_compute(model.version, dict)
    drawn = maps.get(category_id)
    if drawn is None:
        n = len(layout.xy)
        counts = model.item_counts()[:n]
        placed = ~np.isnan(layout.xy[:, 0])
        mine = np.flatnonzero(placed & (model.catalogue.category[:n] == category_id))
        items = mine[np.argsort(-counts[mine], kind="stable")][:MAP_SIZE]
        # float64: a float32 rounded to 3 digits prints with 16 in the JSON.
        drawn = maps.setdefault(category_id, _Drawn(items, layout.xy[items].astype(np.float64)))
    return drawn


_SEEN = ("favorite", "like", "neutral", "dislike")  # highest value first
_SEEN_VALUES = np.array([RATING_VALUES[c] for c in _SEEN])


def predicted_choices(scores: np.ndarray) -> list[str]:
    """:func:`mangaki.choices.predicted_choice` of many scores at once (ties: the higher).

    Example::

        >>> predicted_choices(np.array([2.37, 3.1, -0.9]))
        ['like', 'favorite', 'neutral']
    """
    nearest = np.abs(np.asarray(scores)[:, None] - _SEEN_VALUES[None, :]).argmin(axis=1)
    return [_SEEN[k] for k in nearest.tolist()]


def taste_map(
    category: Category,
    user=None,
    *,
    ratings: list[tuple[int, str]] | None = None,
    include_nsfw: bool = False,
) -> dict | None:
    """The map's payload for a signed-in ``user`` or a visitor's session ``ratings``;
    None when no model is active yet.

    ``works`` rows are ``[id, x, y, title, choice or "", predicted choice or "", region]``
    with x and y in [-1, 1] (y grows upwards) and the predicted choice (``favorite``,
    ``like``, ``neutral``, ``dislike``: see ``PREDICTION_LABELS``) for unrated works;
    ``regions`` are ``[region, label, x, y, works drawn]``; ``you`` is the person's place
    ``[x, y]`` (None until they like a work the map shows); ``near`` their top
    recommendations ``[id, title, predicted choice, region label, x, y]`` (x and y None
    for a work newer than the map). ``layout`` is False for a model trained before maps
    had a layout: then ``works`` is empty and ``near`` is still given.

    Example::

        taste_map(anime, request.user)["works"][0]  # [42, 0.12, -0.5, "Akira", "", "like", 3]
    """
    model = served_model()
    if model is None:
        return None
    rated = user_ratings(user) if ratings is None else list(ratings)
    person = model.fold(rated)
    choice_of = dict(rated)
    member = ratings is None
    recommended, _ = recommend_lists(
        user if member else None,
        ratings=ratings,
        category_id=category.pk,
        n=PAGE_N,
        # A member's call is the recommendations page's own, so its cached lists serve
        # both; a visitor's lists are not cached, and the strip is not shown here.
        discover_n=PAGE_DISCOVER if member else 0,
        include_nsfw=False,  # as the recommendations page, unless its filter is used
    )
    recommended = recommended[:NEAR]
    layout = model.layout()
    payload: dict = {
        "version": model.version,
        "layout": layout is not None,
        "works": [],
        "regions": [],
        "you": None,
        "you_region": None,
        "near": [],
        "rated_here": 0,
        "quality": layout.quality if layout is not None else {},
    }
    if layout is None:
        payload["near"] = [
            [r.work.pk, r.work.title, r.predicted_choice, None, None, None] for r in recommended
        ]
        return payload

    n = len(layout.xy)
    drawn = _most_rated(model, layout, category.pk)

    def placed_rows(work_ids) -> list[int]:
        rows = [model.row(w) for w in work_ids]
        return [
            r
            for r in rows
            if r is not None
            and r < n
            and not np.isnan(layout.xy[r, 0])
            and model.category_of(r) == category.pk
        ]

    rated_rows = placed_rows(w for w, _ in rated)
    near_rows = placed_rows(r.work.pk for r in recommended)
    items = np.unique(np.concatenate([drawn.items, np.array(rated_rows + near_rows, np.int64)]))
    if not include_nsfw:
        items = items[~model.catalogue.nsfw[items].astype(bool)]
    ids = model.catalogue.work_ids[items]
    # The database has the last word: deleted works and works now marked adult drop out.
    visible = Work.objects.filter(pk__in=ids.tolist(), category=category)
    if not include_nsfw:
        visible = visible.filter(nsfw=False)
    titles = dict(visible.order_by().values_list("pk", "title"))  # a dict: no need to sort
    shown = np.array([w in titles for w in ids.tolist()], dtype=bool)
    items, ids = items[shown], ids[shown]
    xy = layout.xy[items].astype(np.float64)
    region = layout.region[items]
    predicted = predicted_choices(model.predict(person, items))
    works = []
    for w, (x, y), r, guess in zip(
        ids.tolist(), np.round(xy, DIGITS).tolist(), region.tolist(), predicted, strict=True
    ):
        mine = choice_of.get(w, "")
        works.append([w, x, y, titles[w], mine, "" if mine else guess, r])
    payload["works"] = works
    payload["rated_here"] = sum(1 for w in ids.tolist() if w in choice_of)

    labels = layout.labels
    regions = []
    for r in np.unique(region[region >= 0]).tolist():
        members = xy[region == r]
        # The label goes where the category's works of the region are (the region itself
        # was cut over the whole catalogue).
        centre = np.round(np.median(members, axis=0), DIGITS).tolist()
        regions.append([r, labels[r] if r < len(labels) else "", *centre, int(len(members))])
    payload["regions"] = regions

    weights = np.array([PLACING.get(choice_of.get(w, ""), 0.0) for w in ids.tolist()])
    if weights.sum() > 0:
        you = (weights[:, None] * xy).sum(axis=0) / weights.sum()
        payload["you"] = [round(float(v), DIGITS) for v in you]
        nearest = int(np.argmin(np.hypot(*(xy - you).T)))
        r = int(region[nearest])
        payload["you_region"] = labels[r] if 0 <= r < len(labels) else None

    for rec in recommended:
        row = model.row(rec.work.pk)
        x = y = label = None
        if row is not None and row < n and not np.isnan(layout.xy[row, 0]):
            x, y = (round(float(v), DIGITS) for v in layout.xy[row].tolist())
            r = int(layout.region[row])
            label = labels[r] if 0 <= r < len(labels) else None
        payload["near"].append([rec.work.pk, rec.work.title, rec.predicted_choice, label, x, y])
    return payload
