"""Card decks for quick rating: the one deck implementation, used by pages and the API.

A deck is a list of works of one category that the person has not rated yet, drawn from a
ranking (popular, controversial, top, pearls), at random, or as a *diverse* sample: a
greedy MAP k-DPP over the active model's item factors, restricted to well-known works and
conditioned on the works the person already rated, so that each next card is the one
whose rating tells the most about a taste not yet explored.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import numpy as np

from mangaki.models import Category, Rating, Work
from recommender.algorithms.diversity import greedy_dpp
from recommender.algorithms.vectors import unit_rows
from recommender.facade import served_model

DECK_SLOTS = ("popular", "controversial", "top", "pearls", "random", "diverse")
#: How many of the most popular unrated works the diverse slot chooses from.
DIVERSE_POOL = 200


def _diverse(works, n: int, rated: list[int]) -> list[Work] | None:
    """A k-DPP sample of the most popular works of ``works``, conditioned on the ``rated``
    work ids; None without a model."""
    model = served_model()
    if model is None:
        return None
    factors = np.asarray(model.item_vectors(), dtype=np.float64)

    def rows(ids) -> list[tuple[int, int]]:
        found = ((pk, model.row(pk)) for pk in ids)
        return [(pk, row) for pk, row in found if row is not None and row < len(factors)]

    pool = rows(works.popular().values_list("pk", flat=True)[: DIVERSE_POOL * 2])[:DIVERSE_POOL]
    if not pool:
        return None
    # Unit rows: diversity of direction (taste), not of how strongly the model knows a work.
    vectors = unit_rows(factors[[row for _, row in pool]])
    given = unit_rows(factors[[row for _, row in rows(rated)]])
    picked = [pool[i][0] for i in greedy_dpp(vectors, n, given=given)]
    found = works.in_bulk(picked)
    return [found[i] for i in picked if i in found]


def deck(
    user, category: Category, slot: str, n: int = 20, exclude: Iterable[int] = ()
) -> list[Work]:
    """A card deck: ``n`` works of a slot that ``user`` has not rated, leaving out the
    ids in ``exclude`` too (an anonymous visitor's session ratings).

    Example::

        deck(user, Category.objects.get(slug="anime"), "diverse", n=10)
    """
    if slot not in DECK_SLOTS:
        raise ValueError(f"unknown deck slot {slot!r}")
    works = Work.objects.filter(category=category)
    if slot not in ("random", "diverse"):
        # Ranked as on the site's pages and the API (adult works hidden before ranking),
        # and before leaving out rated works, so thresholds do not shift as a user rates.
        works = works.ranked_for(user, slot)
    else:
        works = works.safe_for(user)
    if user.is_authenticated:
        works = works.exclude(pk__in=Rating.objects.filter(user=user).values("work_id"))
    exclude = list(exclude)
    if exclude:
        works = works.exclude(pk__in=exclude)
    # The synopsis stays: the deck card shows it.
    works = works.select_related("category").defer("poster_embedding")
    if slot == "diverse":
        # Condition on everything rated, in any category: it is all the same taste space.
        rated = exclude
        if user.is_authenticated:
            rated = [*exclude, *Rating.objects.filter(user=user).values_list("work_id", flat=True)]
        picked = _diverse(works, n, rated)
        if picked is not None:
            return picked
        slot, works = "popular", works.popular()  # no active model: the popular deck
    if slot != "random":
        return list(works[:n])
    ids = list(works.values_list("pk", flat=True))
    picked_ids = random.sample(ids, min(n, len(ids)))
    found = works.in_bulk(picked_ids)
    return [found[i] for i in picked_ids]
