"""Mangaki: the Django project and the core domain (works, ratings, profiles, rankings)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
