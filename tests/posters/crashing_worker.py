"""Loaded into a test's Celery worker with ``--include``: analysing a poster of exactly
333 x 333 pixels kills the process at once (SIGKILL), as a crash in a C extension or the
kernel's out-of-memory killer would. Nothing in the product knows about it."""

import os
import signal

import tagger.vision.analysis as analysis

_real_analyse_faces = analysis.analyse_faces


def _dies_on_the_marked_poster(image, *args, **kwargs):
    if image.size == (333, 333):
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_analyse_faces(image, *args, **kwargs)


analysis.analyse_faces = _dies_on_the_marked_poster
