"""Cached rating counters of works, always recomputed from the ratings themselves.

Recounting (rather than incrementing) makes the job idempotent and self-healing: whatever
order concurrent rating changes commit in, the last recount sees all of them.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count

from mangaki.choices import Choice
from mangaki.models import Rating, Work

COUNTER_FIELDS = [f"nb_{c.value}" for c in Choice] + [
    "nb_ratings",
    "nb_seen",
    "score",
    "controversy",
]

# The original site's score weights (docs/rankings.md).
SCORE_WEIGHTS = {
    "favorite": 5.0,
    "like": 2.5,
    "dislike": -2.0,
    "neutral": -0.1,
    "willsee": 0.5,
    "wontsee": -0.5,
}


def counters_from_counts(counts: dict[str, int]) -> dict[str, float | int]:
    """Counter fields of a work from its number of ratings per choice.

    Example::

        >>> c = counters_from_counts({"like": 3, "dislike": 1})
        >>> c["nb_seen"], round(c["score"], 3), round(c["controversy"], 3)
        (4, 1.375, 1.587)
    """
    values = {f"nb_{c.value}": int(counts.get(c.value, 0)) for c in Choice}
    seen = sum(values[f"nb_{c}"] for c in ("favorite", "like", "neutral", "dislike"))
    values["nb_ratings"] = sum(values[f"nb_{c.value}"] for c in Choice)
    values["nb_seen"] = seen
    weighted = sum(w * values[f"nb_{c}"] for c, w in SCORE_WEIGHTS.items())
    values["score"] = weighted / seen if seen else 0.0
    likes = values["nb_like"] + values["nb_favorite"]
    dislikes = values["nb_dislike"]
    if likes and dislikes:
        values["controversy"] = float((likes + dislikes) ** min(likes / dislikes, dislikes / likes))
    else:
        values["controversy"] = 0.0
    return values


def recompute_counters(work_ids: Iterable[int]) -> int:
    """Recount the ratings of these works and store the counters. Returns works updated.

    Locks the works' rows first so two recounts of the same work cannot interleave and
    leave the older count on top.
    """
    ids = sorted(set(work_ids))
    if not ids:
        return 0
    with transaction.atomic():
        works = list(Work.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        grouped: dict[int, dict[str, int]] = {w.pk: {} for w in works}
        rows = (
            Rating.objects.filter(work_id__in=ids)
            .values_list("work_id", "choice")
            .annotate(n=Count("id"))
            .order_by()
        )
        for work_id, choice, n in rows:
            if work_id in grouped:
                grouped[work_id][choice] = n
        changed = []
        for work in works:
            new = counters_from_counts(grouped[work.pk])
            if any(getattr(work, k) != v for k, v in new.items()):
                for key, value in new.items():
                    setattr(work, key, value)
                changed.append(work)
        Work.objects.bulk_update(changed, COUNTER_FIELDS, batch_size=500)
    return len(changed)


def recompute_all(batch_size: int = 2000) -> int:
    """Recount every work, in batches of ids (the nightly job)."""
    total = 0
    ids = list(Work.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        total += recompute_counters(ids[start : start + batch_size])
    return total
