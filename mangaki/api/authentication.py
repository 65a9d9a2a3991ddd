"""``Authorization: Token <key>`` for API clients, against hashed named tokens.

Invalid keys count against the sender's address (``RATE_LIMITS["bad_token"]``): past the
limit, token requests from that address get 429 without a lookup until the count decays.
DRF authenticates before it throttles, so without this a flood of made-up keys would be
answered 401 forever, each with a database query.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from mangaki.models import ApiToken
from mangaki.security import limiter
from mangaki.security.addresses import request_bucket

# last_used is a hint for the token page, not an audit log: refreshing it at most once a
# minute spares a write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        address = request_bucket(request)
        rate = limiter.rate_of("bad_token")
        decision = limiter.peek("bad_token", address, rate)
        if not decision.allowed:
            raise exceptions.Throttled(
                wait=decision.retry_after,
                detail=str(_("Too many invalid tokens from your address.")),
            )
        if len(parts) != 2:
            limiter.add("bad_token", address, rate)
            raise exceptions.AuthenticationFailed(_("Give the header as 'Token <key>'."))
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as exc:
            limiter.add("bad_token", address, rate)
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        token = ApiToken.objects.from_key(key)
        if token is None:
            limiter.add("bad_token", address, rate)
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
            token.last_used = now
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
