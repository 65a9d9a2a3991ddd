"""The one Celery app. Configuration lives in Django settings under ``CELERY_*``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")

app = Celery("mangaki")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["mangaki", "tagger", "recommender"])
