"""Card decks for quick rating: the one deck implementation, used by pages and the API.

A deck is a list of works of one category that the person has not rated yet, drawn from a
ranking (popular, controversial, top, pearls), at random, or as a *diverse* sample: a
greedy MAP k-DPP over the active model's item factors, restricted to well-known works, so
that a newcomer's first ratings spread over the whole taste space.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import numpy as np

from mangaki.models import Category, Rating, Work
from recommender.registry import active_bundle

DECK_SLOTS = ("popular", "controversial", "top", "pearls", "random", "diverse")
#: How many of the most popular unrated works the diverse slot chooses from.
DIVERSE_POOL = 200
_RIDGE = 1e-3  # keeps the DPP kernel full rank once the factor rank is exhausted


def greedy_dpp(vectors: np.ndarray, k: int, quality: np.ndarray | None = None) -> list[int]:
    """Indices of ``k`` rows chosen by greedy MAP inference of a DPP with kernel
    ``L = diag(q) (V V^T + ridge I) diag(q)`` (Chen, Zhang & Zhou 2018: incremental
    Cholesky, O(k^2 N)). Ties go to the lowest index, so the order of ``vectors``
    breaks them (we pass works most popular first).

    Example::

        >>> greedy_dpp(np.array([[1.0, 0.0], [0.99, 0.01], [0.0, 1.0]]), 2)
        [0, 2]
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    n = len(vectors)
    k = min(k, n)
    if k <= 0:
        return []
    q = np.ones(n) if quality is None else np.asarray(quality, dtype=np.float64)
    scaled = vectors * q[:, None]
    gains = (scaled * scaled).sum(axis=1) + _RIDGE * q * q  # diag(L)
    chol = np.zeros((k, n))
    picked: list[int] = []
    for step in range(k):
        masked = gains.copy()
        masked[picked] = -np.inf
        j = int(np.argmax(masked))
        if masked[j] <= 1e-12:
            break
        picked.append(j)
        if step == k - 1:
            break
        # Row j of L, minus what the already-picked items explain of it.
        row = scaled @ scaled[j]
        row[j] += _RIDGE * q[j] * q[j]
        e = (row - chol[:step].T @ chol[:step, j]) / np.sqrt(gains[j])
        chol[step] = e
        gains = gains - e * e
    return picked


def _diverse(works, n: int) -> list[Work] | None:
    """A k-DPP sample of the most popular works of ``works``; None without a model."""
    bundle = active_bundle()
    if bundle is None:
        return None
    pool = [
        pk
        for pk in works.popular().values_list("pk", flat=True)[: DIVERSE_POOL * 2]
        if pk in bundle.work_index
    ][:DIVERSE_POOL]
    factors = np.asarray(bundle.model.als_.item_factors_, dtype=np.float64)
    rows = np.array([bundle.work_index[pk] for pk in pool], dtype=np.int64)
    inside = rows < len(factors)
    pool = [pk for pk, ok in zip(pool, inside, strict=True) if ok]
    if not pool:
        return None
    vectors = factors[rows[inside]]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # Unit rows: diversity of direction (taste), not of how strongly the model knows a work.
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    picked = [pool[i] for i in greedy_dpp(unit, n)]
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
        # Rank within the whole category first, so thresholds do not shift as a user rates.
        works = getattr(works, slot)()
    works = works.safe_for(user)
    if user.is_authenticated:
        works = works.exclude(pk__in=Rating.objects.filter(user=user).values("work_id"))
    exclude = list(exclude)
    if exclude:
        works = works.exclude(pk__in=exclude)
    works = works.select_related("category").defer("poster_embedding", "synopsis")
    if slot == "diverse":
        picked = _diverse(works, n)
        if picked is not None:
            return picked
        slot, works = "popular", works.popular()  # no active model: the popular deck
    if slot != "random":
        return list(works[:n])
    ids = list(works.values_list("pk", flat=True))
    picked_ids = random.sample(ids, min(n, len(ids)))
    found = works.in_bulk(picked_ids)
    return [found[i] for i in picked_ids]
