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
from recommender.facade import served_model

DECK_SLOTS = ("popular", "controversial", "top", "pearls", "random", "diverse")
#: How many of the most popular unrated works the diverse slot chooses from.
DIVERSE_POOL = 200
_RIDGE = 1e-3  # keeps the DPP kernel full rank once the factor rank is exhausted
_TIE = 1e-9  # relative difference of two gains below which they are equal


def greedy_dpp(
    vectors: np.ndarray,
    k: int,
    quality: np.ndarray | None = None,
    given: np.ndarray | None = None,
) -> list[int]:
    """Indices of ``k`` rows chosen by greedy MAP inference of a DPP with kernel
    ``L = diag(q) (V V^T + ridge I) diag(q)``, conditioned on the rows of ``given`` being
    in the set already (the works a person rated). Ties go to the lowest index, so the
    order of ``vectors`` breaks them (we pass works most popular first).

    The gain of a row ``v`` is ``ridge q^2 (1 + v^T A v)``, where
    ``A = (S^T S + ridge I)^-1`` is the posterior covariance of a taste vector after
    ratings of the given and picked rows ``S`` (ALS's fold-in with a ridge prior), so
    ``v^T A v`` is the variance of the prediction for ``v``: each pick is the work whose
    rating would teach the most. A pick updates ``A`` by Sherman-Morrison, O(N d) for
    ``d`` factors; the incremental Cholesky of Chen, Zhang & Zhou (2018) makes the same
    picks in O(N (d + k)) each and cannot start from hundreds of given rows cheaply.

    Example::

        >>> greedy_dpp(np.array([[1.0, 0.0], [0.99, 0.01], [0.0, 1.0]]), 2)
        [0, 2]
        >>> greedy_dpp(np.array([[1.0, 0.0], [0.99, 0.01], [0.0, 1.0]]), 1, given=[[1.0, 0.0]])
        [2]
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    n = len(vectors)
    k = min(k, n)
    if k <= 0:
        return []
    d = vectors.shape[1]
    q2 = np.ones(n) if quality is None else np.asarray(quality, dtype=np.float64) ** 2
    given = np.zeros((0, d)) if given is None else np.asarray(given, dtype=np.float64)
    given = given.reshape(-1, d)
    covariance = np.linalg.inv(given.T @ given + _RIDGE * np.eye(d))
    variance = np.einsum("ij,jk,ik->i", vectors, covariance, vectors)
    available = np.ones(n, dtype=bool)
    picked: list[int] = []
    for _ in range(k):
        # The Schur complement of L: what the given and picked rows do not explain of row j.
        gains = np.where(available, _RIDGE * q2 * (1.0 + variance), -np.inf)
        best = gains.max()
        if best <= 1e-12:
            break
        # Equal up to rounding is a tie (unit rows all start equal): the first one wins.
        j = int(np.argmax(gains >= best * (1 - _TIE)))
        picked.append(j)
        available[j] = False
        spread = covariance @ vectors[j]
        denominator = 1.0 + vectors[j] @ spread
        variance = variance - (vectors @ spread) ** 2 / denominator
        covariance = covariance - np.outer(spread, spread) / denominator
    return picked


def _unit(vectors: np.ndarray) -> np.ndarray:
    # Unit rows: diversity of direction (taste), not of how strongly the model knows a work.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


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
    vectors = _unit(factors[[row for _, row in pool]])
    given = _unit(factors[[row for _, row in rows(rated)]])
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
    works = works.select_related("category").defer("poster_embedding", "synopsis")
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
