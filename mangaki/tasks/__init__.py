"""Celery tasks of the core domain (autodiscovered by mangaki.celery)."""

from . import counters, heartbeat

__all__ = ["counters", "heartbeat"]
