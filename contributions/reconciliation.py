"""The daily reconciliation report (issue 24): for one day (WIB), per gateway and payment method, the
money expected (invoices settled that day, at their totals) against the money received (payments the
gateways confirmed that day), with every difference listed.

A difference is a payment of the day that settled nothing at its invoice's total (money for review:
a wrong amount, late money, months already covered), or an invoice settled that day by money
confirmed on another day (credited after a check). Invoices opened that day are shown beside them.
Each figure is one grouped query on an index of the day's range (created_at, paid_at, confirmed_at).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from contributions.models import Invoice, Payment


@dataclass
class Line:
    gateway: str
    method: str
    opened_count: int = 0
    opened_amount: int = 0
    expected_count: int = 0
    expected_amount: int = 0
    received_count: int = 0
    received_amount: int = 0

    @property
    def difference(self) -> int:
        return self.received_amount - self.expected_amount


@dataclass
class Difference:
    invoice_number: str
    gateway: str
    method: str
    expected: int  # the invoice total, if it was settled that day; else 0
    received: int  # the money confirmed that day for it
    status: str
    review_reason: str
    confirmed_at: datetime.datetime | None
    paid_at: datetime.datetime | None


@dataclass
class Report:
    day: datetime.date
    lines: list[Line] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def totals(self) -> Line:
        total = Line(gateway="", method="")
        for line in self.lines:
            for name in ("opened_count", "opened_amount", "expected_count", "expected_amount", "received_count",
                         "received_amount"):
                setattr(total, name, getattr(total, name) + getattr(line, name))
        return total


def day_range(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


# At most this many differences are listed (the counts above them are complete).
MAX_DIFFERENCES = 1000


def daily_report(day: datetime.date) -> Report:
    start, end = day_range(day)
    lines: dict[tuple[str, str], Line] = {}

    def line(gateway: str, method: str) -> Line:
        return lines.setdefault((gateway, method), Line(gateway=gateway, method=method))

    opened = (
        Invoice.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("gateway", "payment_method").annotate(n=Count("id"), amount=Sum("total"))
    )
    for row in opened:
        found = line(row["gateway"], row["payment_method"])
        found.opened_count, found.opened_amount = row["n"], row["amount"]
    settled = (
        Invoice.objects.filter(paid_at__gte=start, paid_at__lt=end)
        .values("gateway", "payment_method").annotate(n=Count("id"), amount=Sum("total"))
    )
    for row in settled:
        found = line(row["gateway"], row["payment_method"])
        found.expected_count, found.expected_amount = row["n"], row["amount"]
    received = (
        Payment.objects.filter(confirmed_at__gte=start, confirmed_at__lt=end)
        .values("gateway", "invoice__payment_method").annotate(n=Count("id"), amount=Sum("gross_amount"))
    )
    for row in received:
        found = line(row["gateway"], row["invoice__payment_method"])
        found.received_count, found.received_amount = row["n"], row["amount"]

    differences: list[Difference] = []
    # Money of the day that did not settle its invoice that day at its total.
    unmatched = (
        Payment.objects.filter(confirmed_at__gte=start, confirmed_at__lt=end)
        .filter(~Q(gross_amount=F("invoice__total")) | Q(invoice__paid_at__isnull=True)
                | Q(invoice__paid_at__lt=start) | Q(invoice__paid_at__gte=end))
        .select_related("invoice").order_by("confirmed_at", "id")[:MAX_DIFFERENCES]
    )
    for payment in unmatched:
        invoice = payment.invoice
        settled_today = invoice.paid_at is not None and start <= invoice.paid_at < end
        differences.append(Difference(
            invoice_number=invoice.number, gateway=payment.gateway, method=invoice.payment_method,
            expected=invoice.total if settled_today else 0, received=payment.gross_amount, status=invoice.status,
            review_reason=invoice.review_reason, confirmed_at=payment.confirmed_at, paid_at=invoice.paid_at,
        ))
    # Invoices settled that day by money confirmed on another day.
    late = (
        Invoice.objects.filter(paid_at__gte=start, paid_at__lt=end)
        .exclude(payments__confirmed_at__gte=start, payments__confirmed_at__lt=end)
        .order_by("paid_at", "id")[:MAX_DIFFERENCES]
    )
    for invoice in late:
        differences.append(Difference(
            invoice_number=invoice.number, gateway=invoice.gateway, method=invoice.payment_method,
            expected=invoice.total, received=0, status=invoice.status, review_reason=invoice.review_reason,
            confirmed_at=None, paid_at=invoice.paid_at,
        ))
    return Report(day=day, lines=sorted(lines.values(), key=lambda x: (x.gateway, x.method)), differences=differences)
