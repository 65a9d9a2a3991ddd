"""Tagging posters of works: the Django side of the tagger.

The vision library (``tagger.vision``) turns image bytes into an embedding and tags; this
module reads posters from storage, stores the results on the works, and records refusals.
Heavy libraries (torch) are imported on first use, inside the worker.
"""

from __future__ import annotations

import hashlib
import logging
import re

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from mangaki.models import TaggedWork, TagSource, Work
from mangaki.models.catalog import PosterStatus
from mangaki.services.tags import tags_by_name

from .heads import active_head

logger = logging.getLogger(__name__)

# A poster file bigger than this is refused before it is read into memory.
MAX_POSTER_BYTES = 10 * 1024 * 1024
# Tags below this confidence are not stored (they would only add noise to LASSO).
MIN_WEIGHT = 0.05
# Said of a poster, but no taste: "you seem to like no face" explains nothing.
IGNORED_TAGS = {"no face"}
# A poster whose analysis kills the worker (a crash in a C extension, out of memory) is
# delivered again (acks_late, reject_on_worker_lost): after this many starts it is refused.
MAX_ATTEMPTS = 3
ATTEMPTS_TTL = 24 * 3600
# Anything that looks like a file path, so that no stored or shown message reveals the server's.
_PATH = re.compile(r"(?:[A-Za-z]:)?[\\/](?:[^\s'\"\\/]+[\\/])+[^\s'\"]*")


def public_message(error) -> str:
    """The text stored on a work and shown to its uploader: no server path, 300 characters.

    >>> public_message("No such file or directory: '/srv/media/posters/a.jpg'")
    "No such file or directory: '<file>'"
    """
    return _PATH.sub("<file>", str(error))[:300]


def _attempts_key(work: Work) -> str:
    poster = hashlib.sha1(work.poster.name.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"tagger:attempts:{work.pk}:{poster}"


def _start_attempt(work: Work) -> int:
    """Count one more start of this work's poster (shared by all workers through the cache)."""
    key = _attempts_key(work)
    cache.add(key, 0, ATTEMPTS_TTL)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ATTEMPTS_TTL)
        return 1


def _end_attempts(work: Work) -> None:
    cache.delete(_attempts_key(work))


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
    from tagger.vision.errors import AnalysisFailedError

    outcome = {"tagged": 0, "refused": 0, "skipped": 0}
    works = list(Work.objects.filter(pk__in=work_ids).exclude(poster=""))
    outcome["skipped"] += len(set(work_ids)) - len(works)
    attempts = {work.pk: _start_attempt(work) for work in works}
    for work in [w for w in works if attempts[w.pk] > MAX_ATTEMPTS]:
        _refuse(
            work,
            f"The tagger stopped {MAX_ATTEMPTS} times while reading this poster; it is set "
            "aside. Upload it again (another file or format) to retry.",
        )
        outcome["refused"] += 1
    works = [w for w in works if attempts[w.pk] <= MAX_ATTEMPTS]
    if len(works) > 1 and any(attempts[w.pk] > 1 for w in works):
        # This batch was cut short before (its worker died): give each poster its own task,
        # so that a poster that kills the worker takes only itself down.
        from tagger.tasks import tag_poster

        logger.warning("Batch of %d posters was interrupted before; splitting it", len(works))
        for work in works:
            _end_attempts(work)
            tag_poster.delay(work.pk)
        outcome["skipped"] += len(works)
        return outcome
    sources, readable = [], []
    for work in works:
        try:
            sources.append(read_poster(work))
            readable.append(work)
        except PosterError as error:
            _refuse(work, error)
            outcome["refused"] += 1
        except OSError as error:
            _refuse(work, f"The poster file cannot be read ({error.strerror or 'I/O error'}).")
            outcome["refused"] += 1
    if not readable:
        return outcome
    head = active_head()
    results = analyse_batch(sources, head)
    for work, result in zip(readable, results, strict=True):
        if isinstance(result, PosterError | AnalysisFailedError):
            _refuse(work, result)
            outcome["refused"] += 1
        elif _store(work, result):
            outcome["tagged"] += 1
        else:
            _end_attempts(work)
            outcome["skipped"] += 1
    return outcome


def _refuse(work: Work, error) -> None:
    logger.info("Poster of work %s refused: %s", work.pk, error)
    _end_attempts(work)
    Work.objects.filter(pk=work.pk, poster=work.poster.name).update(
        poster_status=PosterStatus.ERROR, poster_error=public_message(error)
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
        known = tags_by_name(tags)
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
    _end_attempts(work)
    return True


#: Posters per tagging task when many are asked for at once.
BATCH = 32


def request_tagging(work_ids, on_commit: bool = False) -> bool:
    """Mark these works' posters pending and queue their tagging (one task per work for a
    single poster, batches of ``BATCH`` otherwise): the one way a poster enters the
    backlog. "pending" is in the database first, so a broker outage only delays the work
    (``manage.py tag_posters`` and the dashboard's backlog see it). With ``on_commit`` the
    task is queued once the caller's transaction commits. Returns whether all were queued.

    Example::

        request_tagging([work.pk])
    """
    from mangaki.tasks.queueing import queue
    from tagger.tasks import tag_poster, tag_posters

    ids = list(
        Work.objects.filter(pk__in=list(work_ids)).exclude(poster="").values_list("pk", flat=True)
    )
    Work.objects.filter(pk__in=ids).update(poster_status=PosterStatus.PENDING, poster_error="")

    def send() -> bool:
        if len(ids) == 1:
            return queue(tag_poster, ids[0])
        return all([queue(tag_posters, ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)])

    if on_commit:
        transaction.on_commit(send)
        return True
    return send()


def backlog():
    """Works whose poster is waiting to be tagged."""
    return Work.objects.exclude(poster="").filter(poster_status=PosterStatus.PENDING)


def embedding_of(work: Work) -> np.ndarray | None:
    if not work.poster_embedding:
        return None
    return np.frombuffer(bytes(work.poster_embedding), dtype=np.float32)
