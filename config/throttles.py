"""API throttles named in settings: per signed-in user and per client address (429).

Apart from ``config.rest``: DRF imports these while ``rest_framework.views`` is loading, so
this module must not import it.
"""

from typing import TYPE_CHECKING

from rest_framework import throttling
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class _RateFromSettings(throttling.SimpleRateThrottle):
    """Reads its rate from settings on every request, not once at import as DRF's do, so
    the test settings' rates and ``override_settings`` take effect."""

    def get_rate(self) -> str | None:
        rates: dict[str, str | None] = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        return rates[str(self.scope)]


class UserThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Requests per signed-in user (per address for anonymous callers): the ``user`` rate."""

    scope = "user"


class AddressThrottle(_RateFromSettings):
    """Requests per client address, whoever is signed in: the ``address`` rate. The address
    is ``REMOTE_ADDR``, or ``X-Forwarded-For`` as far as ``NUM_PROXIES`` trusts it."""

    scope = "address"

    def get_cache_key(self, request: "Request", view: "APIView") -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
