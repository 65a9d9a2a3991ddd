"""A Redis cache that degrades to "no cache" when Redis is away, instead of failing pages.

Nothing the site keeps in the cache is the only copy of anything: a lost read is a miss
(the page computes the value), a lost write is a value computed again next time. So when
Redis cannot be reached (stopped, restarting, a network split), every cache call returns
what a miss or a no-op would, after a short timeout, and the outage is logged once a
minute and shown on the dashboard (:func:`redis_status`). Calls go to Redis again as soon
as it answers.

Example (settings)::

    CACHES = {"default": {"BACKEND": "mangaki.cache.ResilientRedisCache", "LOCATION": url}}
"""

from __future__ import annotations

import logging
import threading
import time
from functools import wraps

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

#: Seconds a connection attempt or a command may take before the cache gives up on it.
SOCKET_TIMEOUT = 0.5
#: After a failure, the cache is not asked again for this long (a page in an outage
#: should not pay the timeout for every value it would have read).
RETRY_AFTER = 2.0
LOG_EVERY = 60.0

_state = {"down_since": None, "last_failure": 0.0, "last_log": 0.0, "error": ""}
_lock = threading.Lock()


def _failed(error: Exception) -> None:
    now = time.monotonic()
    with _lock:
        if _state["down_since"] is None:
            _state["down_since"] = time.time()
        _state["last_failure"] = now
        _state["error"] = f"{type(error).__name__}: {error}"[:200]
        log = now - _state["last_log"] > LOG_EVERY
        if log:
            _state["last_log"] = now
    if log:
        logger.warning("Redis cache unavailable, serving without it: %s", error)


def _recovered() -> None:
    if _state["down_since"] is not None:
        with _lock:
            if _state["down_since"] is not None:
                logger.warning("Redis cache is back")
                _state["down_since"] = None


def _resting() -> bool:
    return (
        _state["down_since"] is not None and time.monotonic() - _state["last_failure"] < RETRY_AFTER
    )


def _degrading(fallback):
    """Run the cache call; on a Redis error (or while resting after one) return
    ``fallback(*args, **kwargs)`` instead."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            from redis.exceptions import RedisError

            if _resting():
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except (RedisError, OSError) as error:
                _failed(error)
                return fallback(*args, **kwargs)
            _recovered()
            return result

        return wrapper

    return decorate


def _default(key, default=None, version=None):
    return default


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose calls degrade to misses and no-ops while Redis is away."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        options.setdefault("retry_on_timeout", False)
        params["OPTIONS"] = options
        super().__init__(server, params)

    @_degrading(_default)
    def get(self, key, default=None, version=None):
        return super().get(key, default, version)

    @_degrading(lambda *a, **k: False)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().add(key, value, timeout, version)

    @_degrading(lambda *a, **k: None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set(key, value, timeout, version)

    @_degrading(lambda *a, **k: False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version)

    @_degrading(lambda *a, **k: False)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_degrading(lambda *a, **k: {})
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_degrading(lambda *a, **k: False)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_degrading(lambda key, delta=1, version=None: delta)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)

    @_degrading(lambda data, *a, **k: list(data))
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version)

    @_degrading(lambda *a, **k: None)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_degrading(lambda *a, **k: None)
    def clear(self):
        return super().clear()


def redis_status() -> dict:
    """Whether Redis answers now: ``{"configured", "up", "down_since", "error"}``.

    Asks Redis directly (a PING, bounded by the socket timeout), so it tells the truth even
    when no page has used the cache lately. Without Redis configured, ``configured`` is
    False and nothing is asked.
    """
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", None)
    if not url:
        return {"configured": False, "up": None, "down_since": None, "error": ""}
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=SOCKET_TIMEOUT, socket_timeout=SOCKET_TIMEOUT
        )
        client.ping()
        client.close()
    except (redis.exceptions.RedisError, OSError) as error:
        _failed(error)
        return {
            "configured": True,
            "up": False,
            "down_since": _state["down_since"],
            "error": _state["error"],
        }
    _recovered()
    return {"configured": True, "up": True, "down_since": None, "error": ""}
