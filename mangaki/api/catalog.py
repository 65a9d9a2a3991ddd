"""Catalogue queries behind the API that are more than a filter: similar works and decks.

They take domain objects and ids, never a request, so pages and scripts can reuse them.
"""

from __future__ import annotations

from mangaki.models import Work
from mangaki.models.rankings import RANKINGS
from mangaki.services.decks import DECK_SLOTS, deck
from mangaki.services.similar import similar_ids

__all__ = ["DECK_SLOTS", "RANKINGS", "deck", "similar_work_ids", "similar_works"]


def similar_work_ids(work_id: int, k: int = 10) -> list[int]:
    """Ids of the ``k`` works of the same category nearest to ``work_id``, nearest first
    (the work page's list: :func:`mangaki.services.similar.similar_ids`); empty without a
    model or for a work the model has not seen.

    Example::

        similar_work_ids(42, k=5)  # -> [17, 230, 8, 91, 12]
    """
    return similar_ids(int(work_id), k) or []


def similar_works(work: Work, user, k: int = 10) -> list[Work]:
    """The works of :func:`similar_work_ids` that ``user`` may see, in order."""
    ids = similar_work_ids(work.pk, k=2 * k)  # room for the ones hidden from this user
    if not ids:
        return []
    found = Work.objects.safe_for(user).select_related("category").in_bulk(ids)
    return [found[i] for i in ids if i in found][:k]
