"""Beat's recovery of work that was recorded but never queued (the broker was away)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from mangaki.tasks.queueing import queue

#: Recorded work older than this, still waiting, is queued again (its task is idempotent).
STALE = timedelta(minutes=10)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def recover_queued_work() -> dict:
    """Queue again the confirmed list imports still waiting (their task is safe to run
    twice); counters have their own dirty-works recount."""
    from mangaki.models import ListImport
    from mangaki.tasks.imports import run_list_import

    limit = timezone.now() - STALE
    imports = list(
        ListImport.objects.filter(status=ListImport.Status.QUEUED, started_at__lt=limit)
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )
    for pk in imports:
        queue(run_list_import, pk)
    return {"imports": len(imports)}
