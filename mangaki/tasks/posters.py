from celery import shared_task

from mangaki.services import posters


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def fetch_work_poster(work_id: int) -> str:
    """Download one work's poster (retries with backoff happen inside)."""
    return posters.fetch_poster(work_id)


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def fetch_missing_posters(limit: int = 500) -> dict:
    """Download the posters still missing, politely, one host request at a time."""
    return dict(posters.fetch_missing_posters(limit))
