"""Request rates: per person when signed in, per address otherwise.

The rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``API_USER_RATE`` and
``API_ANON_RATE`` in the environment), read at request time so a settings override applies.
Counting goes through :mod:`mangaki.security.limiter` (atomic on Redis; DRF's own cache
throttle reads and rewrites a history without a lock, so parallel requests all got
through), and the address is the client's as trusted proxies report it, not whatever
``X-Forwarded-For`` a client writes (:mod:`mangaki.security.addresses`).

An endpoint that does what a page does may also count against that page's limit
(``settings.RATE_LIMITS``), so the API is not a way around it: :class:`DeckThrottle`.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings

from mangaki.security import limiter
from mangaki.security.addresses import request_bucket


class _LimiterThrottle(throttling.BaseThrottle):
    scope = ""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def ident(self, request) -> str | None:
        """What to count this request against, or None if this throttle does not apply."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate, ident = self.get_rate(), self.ident(request)
        if rate is None or ident is None:
            return True
        self.decision = limiter.hit(f"api_{self.scope}", ident, rate)
        return self.decision.allowed

    def wait(self) -> float | None:
        return self.decision.retry_after


class AnonymousRateThrottle(_LimiterThrottle):
    scope = "anon"

    def ident(self, request) -> str | None:
        return None if request.user.is_authenticated else request_bucket(request)


class PersonRateThrottle(_LimiterThrottle):
    scope = "user"

    def ident(self, request) -> str | None:
        return str(request.user.pk) if request.user.is_authenticated else None


class PageLimitThrottle(throttling.BaseThrottle):
    """Writes count against the page limit ``name``, in the same bucket as the page's
    (same name, same requester), so page and API together stay under it."""

    name = ""
    methods = ("POST",)

    def allow_request(self, request, view) -> bool:
        if request.method not in self.methods:
            return True
        # Imported here: the pages' limits answer in the API's error format, so importing
        # them while DRF loads this module (a default throttle) would be circular.
        from mangaki.security import pages

        self.decision = pages.check(request, self.name)
        return self.decision.allowed

    def wait(self) -> float | None:
        return self.decision.retry_after


class DeckThrottle(PageLimitThrottle):
    """Duel answers: the duel page's ``deck`` limit."""

    name = "deck"
