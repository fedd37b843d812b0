"""`Idempotency-Key` for POST /invoices (API.md): the same key and body replay the first response;
the same key with another body is refused (422); no key is refused (400).

The key row is written last, with the response, in the same transaction as the work (one statement
instead of a placeholder row and its update). Two requests with the same key:
- the same body: the second waits on the first's row locks (the same workers), then finds their
  pending invoice; before answering that conflict it looks the key up, finds it and replays it;
- another body: the second's key insert waits on the unique index until the first commits, fails,
  and its own work is rolled back; the key is found with another fingerprint: 422.
If the work fails, nothing is stored, so a retry runs again.

The price of writing the key last: a replay that arrives after the first invoice stopped being
pending (paid, expired) runs the work again before the key insert refuses it and rolls it back. With
Midtrans that opens a VA for an order that never existed in our database; nobody is shown its number,
and it expires. Retries come seconds after the first request, while its invoice is still pending.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer

from contributions.models import IdempotencyKey
from core.db import insert_rows
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
    try:
        with transaction.atomic():
            status_code, data_out = run()
            body = JSONRenderer().render(data_out).decode()
            insert_rows(
                [IdempotencyKey(user=user, key=key, request_hash=fingerprint, status_code=status_code, response_body=body)]
            )
    except (IntegrityError, APIException, Http404):
        # The key was used before, or by a concurrent request that committed first (its work then
        # made ours fail: the workers have a pending invoice). Otherwise the error stands.
        existing = _stored(user, key)
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    return _response(status_code, body)


def _stored(user, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user=user, key=key).first()
