import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, time_limit=3 * 3600, soft_time_limit=3 * 3600 - 300)
def train_model(self, triggered_by: str = "beat", params: dict | None = None) -> str:
    """Nightly (beat) or on demand: train, evaluate and maybe activate a new model."""
    from recommender.training import TrainingBusy, settings_params, train

    try:
        run = train(triggered_by, {**settings_params(), **(params or {})})
    except TrainingBusy as exc:
        logger.info("Skipped: %s", exc)
        return "busy"
    return f"{run.version}: {run.status}"


@shared_task(acks_late=True, time_limit=60)
def reap_stale_trainings() -> int:
    from recommender.registry import reap_stale_runs

    return reap_stale_runs()
