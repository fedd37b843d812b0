import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from contributions.choices import InvoiceStatus
from contributions.models import Invoice, InvoiceMonth, Payment
from contributions.pricing import MonthPrice, RateBook
from registration import selectors as registration
from registration import services as registration_services


def income_levels_with_normal_rates() -> list[dict]:
    """Each active income level with its JKK, JKM and JHT at today's normal (unadjusted) rates."""
    book = RateBook.current()
    month = registration_services.today_wib().replace(day=1)
    rows = []
    for level in registration.income_level_list():
        price = book.price(month=month, sector="", income_level=level.amount, jht=True, normal_only=True)
        rows.append({"income": level.amount, "jkk": price.jkk, "jkm": price.jkm, "jht": price.jht})
    return rows


def invoice_list_for_sponsor(*, sponsor, status: str | None = None) -> QuerySet[Invoice]:
    """The caller's invoices, newest first, with their lines and the payment that paid them (the
    receipt): three queries per page."""
    invoices = Invoice.objects.filter(sponsor=sponsor).prefetch_related(
        Prefetch("lines", queryset=InvoiceMonth.objects.order_by("id")),
        Prefetch(
            "payments", queryset=Payment.objects.filter(credited=True).order_by("id"), to_attr="credited_payments"
        ),
    )
    if status:
        invoices = invoices.filter(status=status)
    return invoices.order_by("-id")


def invoice_get_for_sponsor(*, sponsor, invoice_id: int) -> Invoice | None:
    return invoice_list_for_sponsor(sponsor=sponsor).filter(pk=invoice_id).first()


def invoice_get_by_number_for_sponsor(*, sponsor, number) -> Invoice | None:
    if not isinstance(number, str):
        return None
    return invoice_list_for_sponsor(sponsor=sponsor).filter(number=number).first()


def invoice_get_by_idempotency_key(*, sponsor, key: str) -> Invoice | None:
    return invoice_list_for_sponsor(sponsor=sponsor).filter(idempotency_key=key).first()


# --- Receipts -------------------------------------------------------------------------------------
#
# What a receipt shows is read by `receipt_for` and `receipt_document_for`; the PDF
# (contributions/receipts.py) works on their dataclasses and never touches a model.


@dataclass(frozen=True)
class Receipt:
    """API.md "Receipts": the receipt a paid invoice carries."""

    number: str
    paid_at: datetime.datetime
    amount: int
    method: str


@dataclass(frozen=True)
class ReceiptWorker:
    full_name: str
    nik_masked: str
    kpj_number: str | None
    months: list[MonthPrice]

    @property
    def total(self) -> int:
        return sum(month.total for month in self.months)


@dataclass(frozen=True)
class ReceiptDocument:
    receipt: Receipt
    invoice_number: str
    payer_name: str
    payer_phone: str
    workers: list[ReceiptWorker]
    total: int


def _payment_method(invoice: Invoice) -> str:
    """The method the invoice was opened for: the receipt's `method` is its `payment.method` (API.md)."""
    return invoice.payment_method


def receipt_for(*, invoice: Invoice) -> Receipt | None:
    """The receipt of a paid invoice (API.md "Receipts": the payment that paid it); None in any other
    status. The one source of the `receipt` of the invoice object and of the receipt PDF. Uses the
    credited payments prefetched as `credited_payments` (invoice_list_for_sponsor) when present."""
    if invoice.status != InvoiceStatus.PAID:
        return None
    payments = getattr(invoice, "credited_payments", None)
    if payments is None:
        payments = list(invoice.payments.filter(credited=True).order_by("id")[:1])
    if not payments:
        return None
    payment = payments[0]
    return Receipt(
        number=payment.receipt_number,
        paid_at=invoice.paid_at or payment.confirmed_at,
        amount=payment.gross_amount,
        method=_payment_method(invoice),
    )


def receipt_document_for(*, invoice: Invoice) -> ReceiptDocument | None:
    """Everything the receipt PDF shows: the payer, and each worker's months as billed and paid."""
    receipt = receipt_for(invoice=invoice)
    if receipt is None:
        return None
    workers: dict[int, ReceiptWorker] = {}
    lines = invoice.lines.select_related("enrollment__member").order_by("enrollment_id", "month")
    for line in lines:
        if line.enrollment_id not in workers:
            # The name the payer registered; the NIK and the KPJ are the member's (the KPJ is never
            # reissued, so the receipt names the same one whenever it is printed).
            enrollment, member = line.enrollment, line.enrollment.member
            workers[line.enrollment_id] = ReceiptWorker(
                full_name=enrollment.full_name,
                nik_masked=member.nik_masked,
                kpj_number=member.kpj_number,
                months=[],
            )
        workers[line.enrollment_id].months.append(
            # Its total is the line's: the database holds total = jkk + jkm + jht (InvoiceMonth).
            MonthPrice(month=line.month, jkk=line.jkk, jkm=line.jkm, jht=line.jht, adjustment=line.adjustment or None)
        )
    sponsor = invoice.sponsor
    return ReceiptDocument(
        receipt=receipt,
        invoice_number=invoice.number,
        payer_name=sponsor.full_name,
        payer_phone=sponsor.phone,
        workers=list(workers.values()),
        total=invoice.total,
    )
