"""The one Celery app. Configuration lives in Django settings under ``CELERY_*``."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")

app = Celery("mangaki")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["mangaki", "tagger", "recommender"])


@worker_init.connect
def _share_cores_between_processes(sender=None, **kwargs):
    """Each of the worker's processes gets cores // concurrency threads for the tagger.

    Set before the pool forks, so every child inherits it (docs/tagger.md, "Threads").
    """
    from tagger.vision import runtime

    solo = "solo" in str(getattr(sender, "pool_cls", "")).lower()
    runtime.configure(concurrency=1 if solo else int(getattr(sender, "concurrency", 1) or 1))
