"""Request rates: per person when signed in, per address otherwise.

The rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``API_USER_RATE`` and
``API_ANON_RATE`` in the environment), read at request time so a settings override applies.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _LiveRates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonymousRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    scope = "anon"


class PersonRateThrottle(_LiveRates, throttling.UserRateThrottle):
    scope = "user"
