"""Counter recounts: after each rating change, for works marked dirty, and nightly.

A recount reads the ratings themselves, so running one twice, late or out of order is
harmless: the last one sees every committed rating.
"""

import logging

from celery import shared_task
from django.db import DatabaseError, transaction
from django.utils import timezone

from mangaki.services import counters

logger = logging.getLogger(__name__)
#: Database errors a recount waits out (a restart, a failover) before giving up.
RETRY_ON = (DatabaseError,)


def mark_dirty(work_ids, reason: str) -> None:
    """Remember works whose recount could not be queued or done (best effort: if the
    database is away too, the nightly recount repairs them)."""
    from mangaki.models import DirtyWork

    ids = sorted(set(work_ids))
    try:
        with transaction.atomic():
            DirtyWork.objects.bulk_create(
                [DirtyWork(work_id=w, reason=reason[:200]) for w in ids],
                update_conflicts=True,
                unique_fields=["work"],
                update_fields=["since", "reason"],
            )
    except DatabaseError:
        logger.exception("Could not mark %d works for a recount", len(ids))


def recount_later(work_ids) -> bool:
    """Queue a recount of these works; when the broker cannot take it, mark them dirty
    for beat's next recount of dirty works. Returns whether the task was queued."""
    from kombu.exceptions import KombuError, OperationalError

    try:
        recompute_work_counters.delay(list(work_ids))
    except (KombuError, OperationalError, OSError) as error:
        logger.warning("Recount of %d works not queued (%s): marked dirty", len(work_ids), error)
        mark_dirty(work_ids, f"not queued: {type(error).__name__}")
        return False
    return True


@shared_task(
    bind=True,
    acks_late=True,
    time_limit=300,
    soft_time_limit=240,
    autoretry_for=RETRY_ON,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def recompute_work_counters(self, work_ids: list[int]) -> int:
    """Recount the ratings of some works (queued after each rating change); database
    errors are retried with back-off, and a recount that still fails marks its works."""
    try:
        return counters.recompute_counters(work_ids)
    except RETRY_ON:
        if self.request.retries >= self.max_retries:
            mark_dirty(work_ids, "recount failed: database errors")
        raise


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def recount_dirty_works(batch_size: int = 2000) -> int:
    """Recount the works marked dirty (beat, every few minutes); a mark made while the
    recount ran stays for the next one."""
    from mangaki.models import DirtyWork

    started = timezone.now()
    ids = list(DirtyWork.objects.order_by("since").values_list("work_id", flat=True)[:batch_size])
    if not ids:
        return 0
    counters.recompute_counters(ids)
    DirtyWork.objects.filter(work_id__in=ids, since__lte=started).delete()
    return len(ids)


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3300)
def recompute_all_counters() -> int:
    """Nightly: recount every work, repairing any drift."""
    return counters.recompute_all()
