"""Queueing a task without letting a broker outage fail the request that asked for it.

The work a task does is always recorded in the database first (a poster "pending", an
import "queued", works "dirty"), so a task the broker could not take is only late: beat's
recovery (:func:`mangaki.tasks.recovery.recover_queued_work`) queues it again.
"""

import logging

logger = logging.getLogger(__name__)


def queue(task, *args, **kwargs) -> bool:
    """``task.delay(*args, **kwargs)``; False (and a log line) if the broker is away."""
    from kombu.exceptions import KombuError, OperationalError

    try:
        task.delay(*args, **kwargs)
    except (KombuError, OperationalError, OSError) as error:
        logger.warning("%s not queued, left for recovery: %s", task.name, error)
        return False
    return True
