from django.db.models import Prefetch, QuerySet

from contributions.models import Invoice, InvoiceMonth, Payment
from contributions.pricing import RateBook
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
        Prefetch("payments", queryset=Payment.objects.filter(credited=True), to_attr="credited_payments"),
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
