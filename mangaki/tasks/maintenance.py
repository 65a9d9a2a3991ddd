"""Housekeeping beat runs: expired sessions out, a nightly backup in."""

from celery import shared_task
from django.core.management import call_command


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def clear_sessions() -> None:
    """Delete expired sessions (anonymous visits would otherwise pile up forever)."""
    call_command("clearsessions")


@shared_task(acks_late=True, time_limit=3 * 3600, soft_time_limit=3 * 3600 - 300)
def backup() -> str:
    """Nightly backup of the database, models and posters (docs/operations.md); a second
    run the same night only writes another dated folder, and retention prunes."""
    from mangaki.services.backup import make_backup

    return str(make_backup())
