from celery import shared_task

from mangaki.lists import service


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def run_list_import(list_import_id: int) -> str | None:
    """Apply a confirmed list import; progress is stored on the ListImport row."""
    done = service.run_import(list_import_id)
    return done.status if done else None


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def expire_list_import_previews() -> int:
    """Expire the previews left unconfirmed too long (beat, hourly); idempotent."""
    return service.expire_previews()
