"""Finance's CSV exports (issue 24): what the changelist shows, under its current filters and search,
with the columns finance reconciles with, streamed (StreamingHttpResponse) so any size fits in memory.

One row per worker of an invoice: the invoice, its sponsor (the payer; the phone masked as on the
admin's pages), the worker with their KPJ, the months billed and their programme split (JKK, JKM,
JHT, whole rupiah, priced when billed), how it was paid, the money received and any refund. The payment
export puts the payment's own columns in front of the same row.
"""

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import Sum
from django.http import StreamingHttpResponse
from django.utils import timezone

from contributions.models import Invoice, InvoiceMonth, Payment
from registration.admin import mask_last4

# Invoices read per round trip: ids stream from a server-side cursor, their details in batches.
BATCH = 500

INVOICE_COLUMNS = [
    "invoice_number", "status", "case", "review_reason", "sponsor_name", "sponsor_phone", "worker_name", "kpj_number",
    "months", "jkk", "jkm", "jht", "worker_total", "invoice_total", "payment_method", "gateway", "received",
    "refund_amount", "refund_reference", "refund_date", "created_at", "paid_at",
]
PAYMENT_COLUMNS = ["receipt_number", "transaction_id", "payment_amount", "credited", "confirmed_at"]


class _Echo:
    def write(self, value):
        return value


def _when(value) -> str:
    return timezone.localtime(value).isoformat() if value else ""


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _invoice_rows(invoice_ids: list[int]) -> dict[int, list[list]]:
    """The export's rows of each of these invoices (one per worker), by invoice id: three queries."""
    invoices = Invoice.objects.filter(pk__in=invoice_ids).select_related("sponsor")
    received = dict(
        Payment.objects.filter(invoice_id__in=invoice_ids).values("invoice_id").annotate(total=Sum("gross_amount"))
        .values_list("invoice_id", "total")
    )
    workers: dict[int, dict[int, dict]] = defaultdict(dict)
    lines = (
        InvoiceMonth.objects.filter(invoice_id__in=invoice_ids).order_by("invoice_id", "enrollment_id", "month")
        .values_list("invoice_id", "enrollment_id", "enrollment__full_name", "enrollment__member__kpj_number",
                     "month", "jkk", "jkm", "jht", "total")
    )
    for invoice_id, enrollment_id, name, kpj, month, jkk, jkm, jht, total in lines:
        worker = workers[invoice_id].setdefault(
            enrollment_id, {"name": name, "kpj": kpj or "", "months": [], "jkk": 0, "jkm": 0, "jht": 0, "total": 0}
        )
        worker["months"].append(f"{month:%Y-%m}")
        worker["jkk"] += jkk
        worker["jkm"] += jkm
        worker["jht"] += jht
        worker["total"] += total
    rows: dict[int, list[list]] = {}
    for invoice in invoices:
        common = [
            invoice.number, invoice.status, invoice.review_outcome or ("open" if invoice.status == "needs_review" else ""),
            invoice.review_reason, invoice.sponsor.full_name, mask_last4(invoice.sponsor.phone),
        ]
        tail = [
            invoice.total, invoice.payment_method, invoice.gateway, received.get(invoice.pk, 0),
            invoice.refund_amount if invoice.refund_amount is not None else "", invoice.refund_reference,
            invoice.refund_transferred_on.isoformat() if invoice.refund_transferred_on else "",
            _when(invoice.created_at), _when(invoice.paid_at),
        ]
        rows[invoice.pk] = [
            [*common, w["name"], w["kpj"], " ".join(w["months"]), w["jkk"], w["jkm"], w["jht"], w["total"], *tail]
            for w in workers[invoice.pk].values()
        ] or [[*common, "", "", "", "", "", "", "", *tail]]
    return rows


def invoices_csv(queryset, filename: str) -> StreamingHttpResponse:
    """The invoices of `queryset`, in its order."""
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(INVOICE_COLUMNS)
        for batch in _batches(queryset.values_list("pk", flat=True).iterator(chunk_size=2000)):
            rows = _invoice_rows(batch)
            for pk in batch:
                for row in rows.get(pk, []):
                    yield writer.writerow(row)

    return _response(stream(), filename)


def payments_csv(queryset, filename: str) -> StreamingHttpResponse:
    """The payments of `queryset`, in its order, each followed by its invoice's rows."""
    writer = csv.writer(_Echo())
    fields = ("pk", "invoice_id", "receipt_number", "transaction_id", "gross_amount", "credited", "confirmed_at")

    def stream():
        yield writer.writerow([*PAYMENT_COLUMNS, *INVOICE_COLUMNS])
        for batch in _batches(queryset.values_list(*fields).iterator(chunk_size=2000)):
            rows = _invoice_rows(list({payment[1] for payment in batch}))
            for _pk, invoice_id, receipt, transaction_id, amount, credited, confirmed_at in batch:
                front = [receipt or "", transaction_id, amount, "yes" if credited else "no", _when(confirmed_at)]
                for row in rows.get(invoice_id, []):
                    yield writer.writerow([*front, *row])

    return _response(stream(), filename)


def _response(rows: Iterator[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def changelist_queryset(model_admin, request, *, drop: tuple[str, ...] = ()):
    """What `model_admin`'s changelist shows for this request's filters and search (all pages), in its
    order; `drop` names query parameters of the export itself, which the changelist would refuse."""
    from django.contrib.admin.options import IncorrectLookupParameters  # noqa: F401 - raised to the caller

    get = request.GET.copy()
    for name in drop:
        get.pop(name, None)
    original = request.GET
    request.GET = get
    try:
        changelist = model_admin.get_changelist_instance(request)
        return changelist.get_queryset(request)
    finally:
        request.GET = original
