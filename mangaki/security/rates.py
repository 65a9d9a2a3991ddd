"""Rates such as ``600/minute``: how limits are written in settings and the environment.

No Django here: settings validate their rates with it at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(
    r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Rate:
    """At most ``count`` events per ``seconds``.

    Example::

        >>> Rate.parse("600/minute"), Rate.parse("5/15m")
        (Rate(count=600, seconds=60), Rate(count=5, seconds=900))
    """

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str | Rate) -> Rate:
        if isinstance(text, Rate):
            return text
        found = _RATE.match(text or "")
        if not found:
            raise ValueError(
                f"{text!r} is not a rate: write it as count/period, e.g. 60/minute, 5/15m, 1000/day"
            )
        count, multiple, unit = found.groups()
        seconds = int(multiple or 1) * _UNITS[unit[0].lower()]
        if seconds <= 0:
            raise ValueError(f"{text!r}: the period must be longer than zero")
        return cls(int(count), seconds)

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"
