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
    """A sliding-window counter, with its rate read from settings on every request (not once
    at import as DRF's are, so the test settings' rates and ``override_settings`` apply).

    DRF's own throttles keep a list of every request's time per person: read, trimmed and
    written back whole on each request, so each costs in proportion to the rate, and two
    processes sharing a cache can overwrite each other's list and lose counts. This keeps
    one integer per person and fixed window instead, raised with the cache's atomic ``incr``
    (atomic across processes on a shared Redis cache). A request is allowed while the
    current window's count plus the previous window's count, weighted by how much of the
    previous window still lies in the last ``duration`` seconds, stays under the limit:
    about the number of requests in the last ``duration`` seconds.
    """

    num_requests: int  # set by DRF's __init__ from the rate
    duration: int

    def get_rate(self) -> str | None:
        rates: dict[str, str | None] = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        return rates[str(self.scope)]

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        window, into = divmod(self.timer(), self.duration)
        current, previous = f"{self.key}:{int(window)}", f"{self.key}:{int(window) - 1}"
        counts = self.cache.get_many([current, previous])
        self.current_count: int = counts.get(current, 0)
        self.previous_count: int = counts.get(previous, 0)
        self.into = into
        weight = 1 - into / self.duration
        if self.previous_count * weight + self.current_count >= self.num_requests:
            return False
        try:
            self.cache.incr(current)
        except ValueError:  # the window's first request; ``add`` loses to a concurrent one
            if not self.cache.add(current, 1, 2 * self.duration):
                self.cache.incr(current)
        return True

    def wait(self) -> float:
        """Seconds until the weighted count falls under the limit again."""
        duration, limit = float(self.duration), self.num_requests
        if self.current_count >= limit:
            # Into the next window, this window's count weighs less as it slides out.
            return duration - self.into + (1 - limit / self.current_count) * duration
        room = limit - self.current_count
        return max((1 - room / self.previous_count) * duration - self.into, 1.0)


class UserThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Requests per signed-in user (per address for anonymous callers): the ``user`` rate."""

    scope = "user"


class AddressThrottle(_RateFromSettings):
    """Requests per client address, whoever is signed in: the ``address`` rate. The address
    is ``REMOTE_ADDR``, or ``X-Forwarded-For`` as far as ``NUM_PROXIES`` trusts it."""

    scope = "address"

    def get_cache_key(self, request: "Request", view: "APIView") -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
