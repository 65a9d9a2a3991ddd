"""Catalogue queries behind the API that are more than a filter: similar works and decks.

They take domain objects and ids, never a request, so pages and scripts can reuse them.
"""

from __future__ import annotations

import numpy as np

from mangaki.models import Work
from mangaki.services.decks import DECK_SLOTS, deck
from recommender.registry import active_bundle

__all__ = ["DECK_SLOTS", "RANKINGS", "deck", "similar_work_ids", "similar_works"]
RANKINGS = ("top", "pearls", "popular", "controversial")

_unit_factors: dict[str, np.ndarray] = {}


def _normalised(bundle) -> np.ndarray:
    # Row-normalised once per model version, so each request is one matrix-vector product.
    unit = _unit_factors.get(bundle.version)
    if unit is None:
        factors = np.asarray(bundle.model.als_.item_factors_, dtype=np.float64)
        norms = np.linalg.norm(factors, axis=1, keepdims=True)
        unit = np.divide(factors, norms, out=np.zeros_like(factors), where=norms > 0)
        _unit_factors.clear()
        _unit_factors[bundle.version] = unit
    return unit


def similar_work_ids(work_id: int, k: int = 10) -> list[int]:
    """Ids of the ``k`` works of the same category nearest to ``work_id`` (cosine of the
    active model's item factors), nearest first; empty without a model or for a work
    the model has not seen.

    Example::

        similar_work_ids(42, k=5)  # -> [17, 230, 8, 91, 12]
    """
    bundle = active_bundle()
    if bundle is None:
        return []
    row = bundle.work_index.get(int(work_id))
    unit = _normalised(bundle)
    if row is None or row >= len(unit) or not unit[row].any():
        return []
    scores = unit @ unit[row]
    scores[bundle.work_category[: len(unit)] != bundle.work_category[row]] = -np.inf
    scores[row] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [int(bundle.work_ids[i]) for i in best]


def similar_works(work: Work, user, k: int = 10) -> list[Work]:
    """The works of :func:`similar_work_ids` that ``user`` may see, in order."""
    ids = similar_work_ids(work.pk, k=2 * k)  # room for the ones hidden from this user
    if not ids:
        return []
    found = Work.objects.safe_for(user).select_related("category").in_bulk(ids)
    return [found[i] for i in ids if i in found][:k]
