"""Celery tasks of the core domain (autodiscovered by mangaki.celery)."""

from . import counters, heartbeat, imports, posters

__all__ = ["counters", "heartbeat", "imports", "posters"]
