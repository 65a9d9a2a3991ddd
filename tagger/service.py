"""Tagging posters of works: the Django side of the tagger.

The vision library (``tagger.vision``) turns image bytes into an embedding and tags; this
module reads posters from storage, stores the results on the works, and records refusals.
Heavy libraries (torch) are imported on first use, inside the worker.
"""

from __future__ import annotations

import logging

import numpy as np
from django.db import transaction
from django.utils import timezone

from mangaki.models import TaggedWork, TagSource, Work
from mangaki.models.catalog import PosterStatus
from mangaki.services.tags import TagCache

from .heads import active_head

logger = logging.getLogger(__name__)

# A poster file bigger than this is refused before it is read into memory.
MAX_POSTER_BYTES = 10 * 1024 * 1024
# Tags below this confidence are not stored (they would only add noise to LASSO).
MIN_WEIGHT = 0.05
# Said of a poster, but no taste: "you seem to like no face" explains nothing.
IGNORED_TAGS = {"no face"}


def read_poster(work: Work) -> bytes:
    from tagger.vision.errors import EmptyPosterError, PosterTooLargeError

    if work.poster.size > MAX_POSTER_BYTES:
        raise PosterTooLargeError(
            f"The poster file is {work.poster.size:,} bytes; the limit is {MAX_POSTER_BYTES:,}."
        )
    with work.poster.open("rb") as handle:
        data = handle.read(MAX_POSTER_BYTES + 1)
    if not data:
        raise EmptyPosterError("The poster file is empty (0 bytes).")
    return data


def tag_works(work_ids: list[int]) -> dict[str, int]:
    """Tag the posters of these works in one batch. Returns counts by outcome.

    Idempotent: a work is re-read, and its poster tags are replaced, not added to. A work
    deleted meanwhile, or whose poster was removed or replaced while we computed, is left
    alone (a replaced poster has its own task queued).
    """
    from tagger.vision import PosterError, analyse_batch

    outcome = {"tagged": 0, "refused": 0, "skipped": 0}
    works = list(Work.objects.filter(pk__in=work_ids).exclude(poster=""))
    outcome["skipped"] += len(set(work_ids)) - len(works)
    sources, readable = [], []
    for work in works:
        try:
            sources.append(read_poster(work))
            readable.append(work)
        except PosterError as error:
            _refuse(work, error)
            outcome["refused"] += 1
        except OSError as error:
            _refuse(work, f"The poster file cannot be read: {error}")
            outcome["refused"] += 1
    if not readable:
        return outcome
    head = active_head()
    results = analyse_batch(sources, head)
    for work, result in zip(readable, results, strict=True):
        if isinstance(result, PosterError):
            _refuse(work, result)
            outcome["refused"] += 1
        elif _store(work, result):
            outcome["tagged"] += 1
        else:
            outcome["skipped"] += 1
    return outcome


def _refuse(work: Work, error) -> None:
    logger.info("Poster of work %s refused: %s", work.pk, error)
    Work.objects.filter(pk=work.pk, poster=work.poster.name).update(
        poster_status=PosterStatus.ERROR, poster_error=str(error)[:300]
    )


def _store(work: Work, analysis) -> bool:
    tags = {
        name: round(float(w), 4)
        for name, w in analysis.tags.items()
        if w >= MIN_WEIGHT and name not in IGNORED_TAGS
    }
    with transaction.atomic():
        current = Work.objects.select_for_update().filter(pk=work.pk).first()
        if current is None or current.poster.name != work.poster.name:
            return False
        known = TagCache().resolve(set(tags))
        TaggedWork.objects.filter(work=current, source=TagSource.POSTER).delete()
        TaggedWork.objects.bulk_create(
            [
                TaggedWork(
                    work=current, tag=known[name], source=TagSource.POSTER, weight=min(w, 1.0)
                )
                for name, w in tags.items()
            ]
        )
        current.poster_embedding = np.asarray(analysis.embedding, dtype=np.float32).tobytes()
        current.poster_status = PosterStatus.TAGGED
        current.poster_error = ""
        current.poster_tagged_at = timezone.now()
        current.save(
            update_fields=["poster_embedding", "poster_status", "poster_error", "poster_tagged_at"]
        )
    return True


def backlog():
    """Works whose poster is waiting to be tagged."""
    return Work.objects.exclude(poster="").filter(poster_status=PosterStatus.PENDING)


def embedding_of(work: Work) -> np.ndarray | None:
    if not work.poster_embedding:
        return None
    return np.frombuffer(bytes(work.poster_embedding), dtype=np.float32)
