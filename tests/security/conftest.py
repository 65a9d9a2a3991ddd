"""Security regression tests (docs/security.md): one module per kind of attack.

They test the site's real limits (``settings.RATE_LIMITS`` and the API rates as shipped),
never raised ones. Tests that need real PostgreSQL and Redis (parallel clients on gunicorn)
are marked and skipped on the embedded default.
"""

import pytest
from django.conf import settings

from tests.api.conftest import api, as_alice, as_bob, catalogue  # noqa: F401 (fixtures)

needs_services = pytest.mark.skipif(
    not (settings.IS_POSTGRES and settings.REDIS_URL),
    reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: real processes on Redis",
)


def status_counts(statuses) -> dict[int, int]:
    counts: dict[int, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


@pytest.fixture(autouse=True)
def _pinned_limiter_clock(monkeypatch):
    """The limiter's clock stands still one second into a day (the start of a window of
    every length), so a burst is never split by a window boundary passing mid-test, which
    would let a few more requests through than the test counts."""
    from mangaki.security import limiter

    monkeypatch.setattr(limiter, "clock", lambda: 1_700_006_401.0)  # 86,400 x 19,676 + 1


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Lockout tests try dozens of passwords: the production hasher would take seconds each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
