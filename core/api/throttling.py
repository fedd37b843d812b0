"""Throttles that honour `API_THROTTLING` (off only for load tests and acceptance runs)."""

from django.conf import settings
from rest_framework import throttling

from core.phones import normalize_phone_or_none


class _Switchable:
    def allow_request(self, request, view):
        if not settings.API_THROTTLING:
            return True
        return super().allow_request(request, view)


class AnonRateThrottle(_Switchable, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_Switchable, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_Switchable, throttling.ScopedRateThrottle):
    """Per client IP (or user), per `throttle_scope` of the view."""


class PhoneRateThrottle(_Switchable, throttling.SimpleRateThrottle):
    """Per destination phone, so one number cannot be flooded with codes from many IPs."""

    scope = "otp_send_phone"

    def get_cache_key(self, request, view):
        phone = normalize_phone_or_none(request.data.get("phone")) if hasattr(request.data, "get") else None
        if phone is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": phone}
