"""Training as a Celery task: nightly from beat, or "retrain now" from the dashboard.

Two trainings never overlap (a database constraint allows one running run). A message is
redelivered when its worker died without acknowledging it (killed, out of memory): the
redelivered task finds its own run by task id. If that run still sends heartbeats the
first execution is alive (a redelivery after the visibility timeout), and the task checks
again once the run could have gone stale; if the run went silent, it is marked failed
("dropped": the dashboard shows it) and the training starts over.
"""

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, time_limit=3 * 3600, soft_time_limit=3 * 3600 - 300)
def train_model(self, triggered_by: str = "beat", params: dict | None = None) -> str:
    """Train, evaluate and maybe activate a new model (safe to run twice)."""
    from recommender import registry
    from recommender.models import RunStatus, TrainingRun
    from recommender.training import TrainingBusy, settings_params, train

    task_id = self.request.id or ""
    own = TrainingRun.objects.filter(task_id=task_id).order_by("-started_at").first()
    if task_id and own is not None:
        if own.status in (RunStatus.SUCCEEDED, RunStatus.REJECTED):
            return f"{own.version}: already done ({own.status})"
        if own.status == RunStatus.RUNNING:
            silent_for = timezone.now() - own.heartbeat_at
            if silent_for < registry.stale_after():
                # Alive, or dead so recently that its heartbeat has not gone stale yet.
                wait = (registry.stale_after() - silent_for).total_seconds() + 5
                raise self.retry(countdown=max(wait, 5), max_retries=None)
            TrainingRun.objects.filter(pk=own.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED,
                error="dropped: its process died mid-run (killed or out of memory); the "
                "redelivered task started the training again",
                finished_at=timezone.now(),
            )
    try:
        run = train(triggered_by, {**settings_params(), **(params or {})}, task_id=task_id)
    except TrainingBusy as exc:
        logger.info("Skipped: %s", exc)
        return "busy"
    return f"{run.version}: {run.status}"


@shared_task(acks_late=True, time_limit=60)
def reap_stale_trainings() -> int:
    from recommender.registry import reap_stale_runs

    return reap_stale_runs()
