from celery import shared_task

from mangaki.services import counters


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def recompute_work_counters(work_ids: list[int]) -> int:
    """Recount the ratings of some works (queued after each rating change)."""
    return counters.recompute_counters(work_ids)


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3300)
def recompute_all_counters() -> int:
    """Nightly: recount every work, repairing any drift."""
    return counters.recompute_all()
