"""Middleware of the whole site (config/settings/base.py MIDDLEWARE)."""

import logging

from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from django.utils import translation

from core.messages import message

security_logger = logging.getLogger("django.security.DisallowedHost")


class UnknownHostMiddleware:
    """A Host header outside ALLOWED_HOSTS (an emulator's 10.0.2.2, a LAN address) answers 400
    `bad_host` in the API's error shape, as JSON (API.md "General rules").

    First in MIDDLEWARE: every later one that asks for the host (SecurityMiddleware's HTTPS redirect,
    CommonMiddleware, CSRF) would raise DisallowedHost, which Django answers with its HTML page (under
    DEBUG its technical page). The admin keeps Django's own answer, an HTML page for a browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/"):
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost as exc:
            language = translation.get_language_from_request(request)
            error = {"code": "bad_host", "detail": message("bad_host", language=language), "attr": None}
            response = JsonResponse({"type": "validation_error", "errors": [error]}, status=400)
            # Logged once, by the logger Django uses for it, without a traceback (nothing failed on
            # our side); Django's "Bad Request: <path>" line would only repeat the event.
            security_logger.warning("%s", exc)
            response._has_been_logged = True
            return response
        return self.get_response(request)
