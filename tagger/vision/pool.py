"""Face detection in helper processes, so it runs beside the backbone on the other cores.

animeface holds the GIL while it searches, so threads would not help: the helpers are
processes (started with ``spawn``: they import only Pillow and animeface, never torch). A crash
of the C detector kills only a helper: the posters it had are searched again one at a time in
a fresh helper, and the one that crashes again gets the error alone.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
from PIL import Image

from tagger.vision import runtime
from tagger.vision.faces import FaceAnalysis, analyse_faces

logger = logging.getLogger(__name__)

_executor: ProcessPoolExecutor | None = None
_executor_size = 0
_unavailable = False


def _job(size: tuple[int, int], pixels: bytes, regions: np.ndarray | None) -> FaceAnalysis:
    return analyse_faces(Image.frombytes("RGB", size, pixels), mask=regions)


def _new_executor(size: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"))


class FacePool:
    """Submit face searches to the helpers (or run them here if helpers cannot start)."""

    def submit(self, image: Image.Image, regions: np.ndarray | None) -> Future:
        global _unavailable
        rgb = image.convert("RGB")
        executor = _get_executor()
        if executor is not None:
            try:
                return executor.submit(_job, rgb.size, rgb.tobytes(), regions)
            except (AssertionError, OSError, RuntimeError) as error:
                # A daemonic process (a Celery prefork child) may not start children.
                logger.warning("Face helper processes unavailable, searching inline: %s", error)
                _unavailable = True
        done: Future = Future()
        try:
            done.set_result(analyse_faces(rgb, mask=regions))
        except Exception as error:
            done.set_exception(error)
        return done


def _get_executor() -> ProcessPoolExecutor | None:
    global _executor, _executor_size
    size = runtime.face_processes()
    if _unavailable or size < 1:
        return None
    if _executor is None or _executor_size != size:
        if _executor is not None:
            _executor.shutdown(wait=False, cancel_futures=True)
        _executor, _executor_size = _new_executor(size), size
    return _executor


def _reset() -> None:
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=False, cancel_futures=True)
    _executor = None


def face_pool() -> FacePool | None:
    """The helpers when the thread budget allows them (:func:`runtime.face_processes`)."""
    return FacePool() if runtime.face_processes() >= 1 and not _unavailable else None


def collect(
    waiting: dict[int, Future], kept: dict[int, tuple[Image.Image, np.ndarray | None]]
) -> dict[int, FaceAnalysis | BaseException]:
    """Results of the submitted searches; posters caught in a helper's crash are searched
    again one by one in a fresh helper so that only the poster that crashes it fails."""
    outcomes: dict[int, FaceAnalysis | BaseException] = {}
    caught = []
    for index, future in waiting.items():
        try:
            outcomes[index] = future.result()
        except BrokenProcessPool:
            caught.append(index)
        except Exception as error:
            outcomes[index] = error
    if caught:
        _reset()
        for index in caught:
            image, regions = kept[index]
            rgb = image.convert("RGB")
            with _new_executor(1) as alone:
                try:
                    outcomes[index] = alone.submit(_job, rgb.size, rgb.tobytes(), regions).result()
                except Exception as error:  # BrokenProcessPool again: this poster is the cause
                    outcomes[index] = error
    return outcomes
