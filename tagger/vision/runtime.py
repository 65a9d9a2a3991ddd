"""How much of the machine one tagging process uses: set once, from the cores and the number of
processes that tag at the same time.

Two worker processes each running torch on two threads, on a two-core machine, measured 0.9
posters/s each (threads waiting for each other); one thread each gave 40-57/s each. A process
alone on an idle machine runs one poster at a time 1.5-1.8x faster on two threads than on one
(69-70 against 38-46 posters/s). So a process gets ``cores // concurrency`` threads (at least
one) for torch: the Celery worker calls :func:`configure` with its ``--concurrency`` before its
processes start, the commands with 1.

``TAGGER_THREADS`` in the environment overrides the computed number.

>>> threads_per_process(concurrency=2, cores=2)
1
>>> threads_per_process(concurrency=1, cores=2)
2
"""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger(__name__)

_threads: int | None = None


def available_cores() -> int:
    """Cores this process may run on (the CPU affinity, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_per_process(concurrency: int = 1, cores: int | None = None) -> int:
    """``cores // concurrency``, at least 1."""
    cores = available_cores() if cores is None else cores
    return max(1, cores // max(1, concurrency))


def configure(concurrency: int = 1, threads: int | None = None) -> int:
    """Set this process's thread budget (``TAGGER_THREADS`` wins); returns it.

    Applies it to torch at once if torch is already imported, else when the backbone loads.
    """
    global _threads
    override = os.environ.get("TAGGER_THREADS", "").strip()
    if override:
        try:
            threads = int(override)
        except ValueError:
            raise ValueError(f"TAGGER_THREADS={override!r} is not a whole number") from None
        if threads < 1:
            raise ValueError(f"TAGGER_THREADS must be >= 1, got {threads}")
    _threads = threads if threads is not None else threads_per_process(concurrency)
    if "torch" in sys.modules:
        apply_to_torch()
    logger.info("Tagger uses %d thread(s) per process", _threads)
    return _threads


def threads() -> int:
    """This process's thread budget (:func:`configure`d, or all cores for a lone process)."""
    return _threads if _threads is not None else configure()


def torch_threads() -> int:
    """Threads for torch's forward pass: the budget."""
    return threads()


def apply_to_torch() -> None:
    """Give torch its threads (cheap when it already has them)."""
    import torch

    wanted = torch_threads()
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
