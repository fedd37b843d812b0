"""`Idempotency-Key` for POST /invoices (API.md): the same key and body replay the first response;
the same key with another body is refused (422); no key is refused (400).

The key and the request's fingerprint are columns of the invoice, written by its own INSERT: no row
and no statement of their own. Two requests with the same key:
- the same body: the second finds the first's pending invoice on the same workers (when it reads
  them, or when its write meets the first's in a unique index: it waits for the first to commit);
  before answering that conflict it looks the key up, finds the invoice and replays it;
- another body: the second's invoice INSERT waits on the (sponsor, key) unique index until the first
  commits, fails, and its own work is rolled back; the key is found with another fingerprint: 422.
If the work fails, nothing is stored, so a retry runs again.

A replay is the invoice rendered as the first answer showed it. All of that answer is fixed when
the invoice is made (number, lines, total, VA, expiry, creation time) except the status, `paid_at`
and the receipt, which were `pending`, null and null then; so a replay is byte-identical to the first answer,
whatever became of the invoice since.

The price of writing the key with the invoice: a replay that arrives after the first invoice stopped
being pending (paid, expired) runs the work again before the unique index refuses it and rolls it
back. With Midtrans that opens a VA for an order that never existed in our database; nobody is shown
its number, and it expires. Retries come seconds after the first request, while its invoice is still
pending.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError
from django.http import Http404, HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer

from contributions import selectors
from contributions.api.serializers import invoice_representation
from contributions.choices import InvoiceStatus
from contributions.models import Invoice
from core.exceptions import DomainError

MAX_KEY_LENGTH = 255


def _fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _first_answer(invoice: Invoice) -> HttpResponse:
    """The 201 of the request that made the invoice: as it was then, pending and unpaid."""
    data = {**invoice_representation(invoice), "status": InvoiceStatus.PENDING, "paid_at": None, "receipt": None}
    return HttpResponse(JSONRenderer().render(data), status=201, content_type="application/json")


def idempotent(*, user, key: str | None, data, run: Callable[[str, str], Invoice]) -> HttpResponse:
    """Run `run(key, fingerprint)`, which makes the invoice with them, all or nothing
    (services.invoice_create), and answer its 201; or replay the invoice this key made before."""
    if not key or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise DomainError("idempotency_key_required")
    fingerprint = _fingerprint(data)
    try:
        invoice = run(key, fingerprint)
    except (IntegrityError, APIException, Http404):
        # The key was used before, or by a concurrent request that committed first (its work then
        # made ours fail: the workers have a pending invoice). Otherwise the error stands.
        invoice = selectors.invoice_get_by_idempotency_key(sponsor=user, key=key)
        if invoice is None:
            raise
        if invoice.request_hash != fingerprint:
            raise DomainError("idempotency_key_reused", status_code=422) from None
    return _first_answer(invoice)
