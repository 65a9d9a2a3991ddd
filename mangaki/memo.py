"""Per-process memos keyed by a version stamp: the one way this site keeps computed values
(loaded models, the served model's catalogue, the poster index, tag heads, taste-map
layouts) in a process's memory.

A memo holds the values of the last ``keep`` stamps. A stamp is whatever says the value is
still right: a model version, a file's path and mtime, ``(count, latest change)`` of a
table. Asking with a new stamp computes the value once (one thread computes, the others
wait for it) and drops the oldest. ``max_age`` also recomputes a value after that many
seconds, for sources with no cheap stamp. Every memo is registered by name, so
:func:`clear_all` resets the whole process (tests do it before each test, and an operator
command can after restoring files).

Example::

    models = VersionedMemo("recommender.bundles")
    bundle = models.get_or_compute(version, lambda: load_bundle(version))
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

_registry: dict[str, VersionedMemo] = {}
_registry_lock = threading.Lock()


class VersionedMemo(Generic[T]):
    """Values by version stamp, at most ``keep`` of them (None: no limit), each reused for
    at most ``max_age`` seconds (None: until its stamp is no longer asked for)."""

    def __init__(self, name: str, *, keep: int | None = 1, max_age: float | None = None):
        if keep is not None and keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self.name = name
        self.keep = keep
        self.max_age = max_age
        self._values: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._lock = threading.RLock()
        with _registry_lock:
            if name in _registry:
                raise ValueError(f"a memo named {name!r} exists already")
            _registry[name] = self

    def __repr__(self) -> str:
        return f"<VersionedMemo {self.name}: {len(self._values)} value(s)>"

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self):
        """The stamps kept, oldest first."""
        return iter(list(self._values))

    def __setitem__(self, stamp: Hashable, value: T) -> None:
        self.put(stamp, value)

    def _fresh(self, entry: tuple[float, T] | None) -> bool:
        if entry is None:
            return False
        return self.max_age is None or time.monotonic() - entry[0] <= self.max_age

    def get(self, stamp: Hashable, default: T | None = None) -> T | None:
        """The value of ``stamp`` if it is kept and fresh, else ``default``."""
        entry = self._values.get(stamp)
        return entry[1] if self._fresh(entry) else default

    def put(self, stamp: Hashable, value: T) -> T:
        """Keep ``value`` for ``stamp`` (the newest), dropping the oldest beyond ``keep``."""
        with self._lock:
            self._values.pop(stamp, None)
            self._values[stamp] = (time.monotonic(), value)
            while self.keep is not None and len(self._values) > self.keep:
                self._values.popitem(last=False)
        return value

    def get_or_compute(self, stamp: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``stamp``, computed by ``compute()`` once (per process and stamp,
        or per ``max_age``) however many threads ask at the same time."""
        entry = self._values.get(stamp)
        if self._fresh(entry):
            return entry[1]  # type: ignore[index]  # _fresh(None) is False
        with self._lock:
            entry = self._values.get(stamp)
            if self._fresh(entry):
                return entry[1]  # type: ignore[index]
            return self.put(stamp, compute())

    def latest(self) -> T | None:
        """The most recently stored value, whatever its stamp and age (a starting point
        for an incremental update), or None."""
        with self._lock:
            if not self._values:
                return None
            return next(reversed(self._values.values()))[1]

    def discard(self, stamp: Hashable) -> None:
        with self._lock:
            self._values.pop(stamp, None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    @property
    def lock(self) -> threading.RLock:
        """Held while a value is computed; a caller with a longer critical section (load,
        fall back, record the failure) takes it too."""
        return self._lock


def memos() -> dict[str, VersionedMemo]:
    """Every memo of this process, by name."""
    with _registry_lock:
        return dict(_registry)


def clear_all() -> None:
    """Forget every memoised value of this process (tests; after restoring model files)."""
    for memo in memos().values():
        memo.clear()
