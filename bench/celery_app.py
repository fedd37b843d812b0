"""The Celery app of the benchmark's worker: the project's own app (config.celery_app, with its
settings, queues and routes) plus one no-op task, registered here so no application code changes.

    celery -A bench.celery_app worker --pool prefork --concurrency 2

The no-op task only counts itself in Redis (one INCR), so the benchmark knows every task really ran
(an unregistered task would be dropped and look infinitely fast).
"""

import os

import redis

from config.celery_app import app

NOOP_COUNTER = "bench:noop:done"
_client = None


@app.task(name="bench.noop", ignore_result=True)
def noop() -> None:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["REDIS_URL"])
    _client.incr(NOOP_COUNTER)


__all__ = ["app", "noop"]
