"""`Idempotency-Key` for POST /invoices (API.md): the same key and body replay the first response;
the same key with another body is refused (422); no key is refused (400).

The key row is written in the same transaction as the work, first: a concurrent request with the same
key blocks on the unique index until the first commits, then finds the row and replays it. If the work
fails, the key goes with it, so a retry runs again.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from contributions.models import IdempotencyKey
from core.exceptions import DomainError

MAX_KEY_LENGTH = 255


def _fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _response(status_code: int, body: str) -> HttpResponse:
    return HttpResponse(body, status=status_code, content_type="application/json")


def _replay(record: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if record.request_hash != fingerprint:
        raise DomainError("idempotency_key_reused", status_code=422)
    return _response(record.status_code, record.response_body)


def idempotent(*, user, key: str | None, data, run: Callable[[], tuple[int, dict]]) -> HttpResponse:
    if not key or not key.strip():
        raise DomainError("idempotency_key_required")
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError("idempotency_key_required")
    fingerprint = _fingerprint(data)
    # No read first: the insert itself finds a used key (IntegrityError) and waits for one in flight.
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                user=user, key=key, request_hash=fingerprint, status_code=0, response_body=""
            )
            status_code, data_out = run()
            body = JSONRenderer().render(data_out).decode()
            record.status_code = status_code
            record.response_body = body
            record.save(update_fields=["status_code", "response_body"])
    except IntegrityError:
        # The key was used before, or by a concurrent request that committed first.
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    return _response(status_code, body)
