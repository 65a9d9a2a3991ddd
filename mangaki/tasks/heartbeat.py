"""Liveness of the background processes, shown on the admin dashboard.

Beat sends ``beat_heartbeat`` on a schedule; a worker running it proves both are alive.
"""

from celery import shared_task
from celery.signals import worker_ready
from django.core.cache import cache
from django.utils import timezone

BEAT_KEY = "heartbeat:beat"
WORKER_KEY = "heartbeat:worker"


@shared_task(acks_late=True, time_limit=30, ignore_result=True)
def beat_heartbeat() -> str:
    now = timezone.now().isoformat()
    cache.set(BEAT_KEY, now, timeout=None)
    cache.set(WORKER_KEY, now, timeout=None)
    return now


@worker_ready.connect
def _worker_started(**_kwargs) -> None:
    cache.set(WORKER_KEY, timezone.now().isoformat(), timeout=None)


def last_heartbeats() -> dict[str, str | None]:
    return {"beat": cache.get(BEAT_KEY), "worker": cache.get(WORKER_KEY)}
