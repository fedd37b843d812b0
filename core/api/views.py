"""Liveness and readiness probes (public, unauthenticated, never redirected)."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """The process is up. Touches nothing."""
    return JsonResponse({"status": "ok"})


def _redis_ok() -> bool:
    if not settings.REDIS_URL:
        return True  # the embedded default runs without Redis
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except redis.RedisError:
        return False


def _database_ok() -> bool:
    from django.db import Error

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Error:
        return False


@require_GET
def readyz(request):
    """200 when the database and Redis answer, else 503."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    ready = all(checks.values())
    if not ready:
        logger.warning("readiness check failed: %s", checks)
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


@csrf_exempt
def not_found(request, exception=None):
    """404 for URLs no route matches: the API error shape under /api/, Django's page elsewhere."""
    from django.views.defaults import page_not_found

    from core.messages import message

    if request.path.startswith("/api/"):
        body = {"type": "client_error", "errors": [{"code": "not_found", "detail": message("not_found"), "attr": None}]}
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)


def server_error(request):
    """500 in the API error shape under /api/ (never a stack trace or an HTML page to an app)."""
    from django.views.defaults import server_error as django_server_error

    from core.messages import message

    if request.path.startswith("/api/"):
        body = {"type": "server_error", "errors": [{"code": "error", "detail": message("server_error"), "attr": None}]}
        return JsonResponse(body, status=500)
    return django_server_error(request)
