"""Failures counted per client in fixed windows, in the cache (Redis): one atomic INCR per failure,
so every gunicorn worker counts into the same number. Like the API throttles, it counts nothing while
Redis is down (django-redis ignores the error) and `API_THROTTLING=false` switches it off."""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_address(request) -> str:
    """The client's address as the API throttles see it (`X-Forwarded-For` only through NUM_PROXIES)."""
    return BaseThrottle().get_ident(request)


class FailureLimit:
    """At most `rate` (e.g. "10/hour") failures per client; then the client waits for the window's end."""

    def __init__(self, scope: str, rate_setting: str):
        self.scope = scope
        self.rate_setting = rate_setting

    def _rate(self) -> tuple[int, int]:
        count, period = getattr(settings, self.rate_setting).split("/")
        return int(count), PERIODS[period[0]]

    def _window(self, ident: str) -> tuple[str, int]:
        """The cache key of the current window, and the seconds left in it."""
        _, duration = self._rate()
        now = int(time.time())
        return f"failures:{self.scope}:{ident}:{now // duration}", duration - now % duration

    def wait(self, ident: str) -> int | None:
        """Seconds the client must wait before trying again, or None if it may try now."""
        if not settings.API_THROTTLING:
            return None
        key, left = self._window(ident)
        limit, _ = self._rate()
        return left if (cache.get(key) or 0) >= limit else None

    def record(self, ident: str) -> None:
        key, left = self._window(ident)
        cache.add(key, 0, timeout=left + 1)
        try:
            cache.incr(key)
        except ValueError:  # the window ended between the two calls
            cache.add(key, 1, timeout=self._rate()[1])
