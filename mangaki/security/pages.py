"""Rate caps on HTML pages and their scripts' endpoints, with the same atomic limiter as
the API: a person (or, signed out, an address) may rate, undo, search, sign up or import
only so fast. The limits are named in ``settings.RATE_LIMITS``.

Example::

    @limited("deck")
    def rate(request, category): ...
"""

from __future__ import annotations

from functools import wraps

from django.utils.translation import gettext as _

from . import limiter
from .addresses import request_bucket
from .responses import refusal


def requester(request) -> str:
    """Who a page limit counts: the signed-in person, else the address (a visitor can drop
    a session cookie at will, not an address)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{request_bucket(request)}"


def too_many(request, decision: limiter.Decision):
    """The 429 answer, in JSON for scripts and as a page otherwise."""
    return refusal(
        request,
        429,
        "throttled",
        _("Too many requests: try again in %(seconds)d seconds.")
        % {"seconds": decision.retry_after},
        retry_after=decision.retry_after,
    )


def check(request, name: str) -> limiter.Decision:
    """Count one ``name`` event for the requester; the decision says if it is allowed."""
    return limiter.hit(name, requester(request), limiter.rate_of(name))


def limited(name: str, methods: tuple[str, ...] = ("POST",)):
    """Decorate a view: its ``methods`` requests count against the limit ``name``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                decision = check(request, name)
                if not decision.allowed:
                    return too_many(request, decision)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
