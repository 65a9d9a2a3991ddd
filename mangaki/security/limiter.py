"""Atomic request counters: how many times something happened lately, per key.

A *sliding window counter*: one counter per fixed window of the rate's length, and the
estimate of the last window's worth of events is ``previous * (1 - elapsed) + current``,
where ``elapsed`` is the fraction of the current window already gone. It has no burst at
window edges (a fixed window lets 2x the limit through around a boundary) and costs two
small keys per client.

- With Redis (``REDIS_URL``), reading the two counters and incrementing the current one
  is one Lua script, which Redis runs atomically: parallel requests on any number of
  processes and hosts cannot both see "one left" (DRF's cache throttle reads a history
  and writes it back, so they could).
- On the embedded default (no Redis), the counters live in the local-memory cache under a
  lock: exact within one process, per process with several.
- If Redis does not answer, the limiter lets requests through and logs once until it
  answers again: a limiter outage must not take the site down with it.

Example::

    decision = hit("suggest", "1.2.3.4", "120/minute")
    if not decision.allowed:
        ...  # answer 429 with Retry-After: decision.retry_after
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import cache

from .rates import Rate

__all__ = ["Decision", "Rate", "add", "hit", "peek", "rate_of", "reset"]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """The outcome of one check: allowed or not, and when to come back if not."""

    allowed: bool
    limit: int
    estimate: float  # events in the last window, before this one
    retry_after: int  # whole seconds; 0 when allowed


def rate_of(name: str) -> Rate:
    """The configured rate of a named limit (``settings.RATE_LIMITS``)."""
    return Rate.parse(settings.RATE_LIMITS[name])


# KEYS: current window, previous window. ARGV: mode, weight of the previous window,
# limit, time to live. Returns the counts *before* this event: {current, previous}.
_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local mode = ARGV[1]
if mode == 'peek' then return {current, previous} end
if mode == 'hit' and previous * tonumber(ARGV[2]) + current + 1 > tonumber(ARGV[3]) then
  return {current, previous}
end
local counted = redis.call('INCR', KEYS[1])
if counted == 1 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return {counted - 1, previous}
"""


def clock() -> float:
    """Seconds since the epoch: the windows' clock (tests pin it)."""
    return time.time()


_local_lock = threading.Lock()
_outage_lock = threading.Lock()
_outage = False


@lru_cache(maxsize=4)
def _redis_script(url: str):
    # Short timeouts: a limiter that waits for a dead Redis would slow every request.
    client = redis.Redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=0.5, retry_on_timeout=False
    )
    return client.register_script(_SCRIPT)


_PLAIN_IDENT = re.compile(r"[\w.:/@-]{1,100}")


def _keys(name: str, ident: str, rate: Rate, now: float) -> tuple[str, str, float]:
    if not _PLAIN_IDENT.fullmatch(ident):
        # Usernames and the like: any length, any character; a digest is a safe key.
        ident = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    window = int(now // rate.seconds)
    elapsed = (now - window * rate.seconds) / rate.seconds
    base = f"{settings.RATE_LIMIT_KEY_PREFIX}:{name}:{rate.seconds}:{ident}"
    return f"{base}:{window}", f"{base}:{window - 1}", 1.0 - elapsed


def _counts_redis(keys: tuple[str, str], mode: str, weight: float, rate: Rate) -> tuple[int, int]:
    global _outage
    try:
        current, previous = _redis_script(settings.REDIS_URL)(
            keys=list(keys), args=[mode, repr(weight), rate.count, 2 * rate.seconds]
        )
    except (redis.RedisError, OSError) as error:
        with _outage_lock:
            first = not _outage
            _outage = True
        if first:
            logger.warning("rate limits are off until Redis answers again: %s", error)
        raise _Unavailable from error
    if _outage:
        with _outage_lock:
            _outage = False
        logger.warning("Redis answers again: rate limits are enforced")
    return int(current), int(previous)


def _counts_local(keys: tuple[str, str], mode: str, weight: float, rate: Rate) -> tuple[int, int]:
    with _local_lock:
        found = cache.get_many(list(keys))
        current, previous = int(found.get(keys[0], 0)), int(found.get(keys[1], 0))
        if mode == "add" or (mode == "hit" and previous * weight + current + 1 <= rate.count):
            cache.set(keys[0], current + 1, timeout=2 * rate.seconds)
    return current, previous


class _Unavailable(Exception):
    pass


def _retry_after(current: int, previous: int, rate: Rate, now: float, counted: bool) -> int:
    """Seconds until one more event fits, if nothing else happens meanwhile."""
    window_start = (now // rate.seconds) * rate.seconds
    current += 1 if counted else 0
    if current + 1 <= rate.count and previous > 0:
        # Later in this window, once enough of the previous one has slid out.
        needed = 1 - (rate.count - 1 - current) / previous
        moment = window_start + needed * rate.seconds
    elif rate.count >= 1 and current > 0:
        needed = max(0.0, 1 - (rate.count - 1) / current)
        moment = window_start + rate.seconds + needed * rate.seconds
    else:
        moment = window_start + rate.seconds
    return max(1, math.ceil(moment - now))


def _check(name: str, ident: str, rate: Rate | str, mode: str) -> Decision:
    rate = Rate.parse(rate)
    if not settings.RATE_LIMITS_ENABLED:
        return Decision(True, rate.count, 0.0, 0)
    now = clock()
    current_key, previous_key, weight = _keys(name, ident, rate, now)
    keys = (current_key, previous_key)
    try:
        if settings.REDIS_URL:
            current, previous = _counts_redis(keys, mode, weight, rate)
        else:
            current, previous = _counts_local(keys, mode, weight, rate)
    except _Unavailable:
        return Decision(True, rate.count, 0.0, 0)
    estimate = previous * weight + current
    allowed = estimate + 1 <= rate.count
    if allowed:
        return Decision(True, rate.count, estimate, 0)
    counted = mode == "add"
    return Decision(
        False, rate.count, estimate, _retry_after(current, previous, rate, now, counted)
    )


def hit(name: str, ident: str, rate: Rate | str) -> Decision:
    """Count one event if it is within the limit; refused events are not counted, so a
    client that waits for ``retry_after`` gets through."""
    return _check(name, ident, rate, "hit")


def add(name: str, ident: str, rate: Rate | str) -> Decision:
    """Count one event whatever the limit says (failed sign-ins: each one counts)."""
    return _check(name, ident, rate, "add")


def peek(name: str, ident: str, rate: Rate | str) -> Decision:
    """Would one more event be allowed? Counts nothing."""
    return _check(name, ident, rate, "peek")


def reset(name: str, ident: str, rate: Rate | str) -> None:
    """Forget the events of ``ident`` (a successful sign-in, a new password)."""
    rate = Rate.parse(rate)
    current_key, previous_key, _weight = _keys(name, ident, rate, clock())
    try:
        if settings.REDIS_URL:
            _redis_script(settings.REDIS_URL).registered_client.delete(current_key, previous_key)
        else:
            cache.delete_many([current_key, previous_key])
    except (redis.RedisError, OSError) as error:
        logger.warning("could not reset the limit %s: %s", name, error)
