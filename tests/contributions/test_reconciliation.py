"""The daily reconciliation report (issue 24): per gateway and payment method, the money expected
(invoices settled that day) against the money received (payments confirmed that day), the differences
listed; an admin page for finance with a date picker, and its CSV."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from contributions import reconciliation, services
from contributions.gateways import get_gateway
from contributions.models import Invoice, Payment
from tests.factories import enrollment, staff_in

pytestmark = pytest.mark.usefixtures("reference", "december")

WIB = ZoneInfo("Asia/Jakarta")
D = datetime.date
URL = "/admin/contributions/invoice/reconciliation/"


def invoice(method: str = "va_bca", months: int = 1) -> Invoice:
    worker = enrollment()
    return services.invoice_create(
        sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": months}], payment_method=method
    )


def pay(made: Invoice, amount: int | None = None) -> Invoice:
    get_gateway("simulator").pay(order_id=made.number, gross_amount=amount)
    return services.invoice_sync(invoice=made)


def on(day: D, *invoices: Invoice, hour: int = 12) -> None:
    """Move the invoices' making, settling and payments to `day` (WIB)."""
    moment = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=WIB)
    for made in invoices:
        Invoice.objects.filter(pk=made.pk).update(created_at=moment)
        Invoice.objects.filter(pk=made.pk, paid_at__isnull=False).update(paid_at=moment)
        Payment.objects.filter(invoice=made).update(confirmed_at=moment)


@pytest.fixture
def day_of_money(db):
    """On 2 Dec: two BCA VA invoices paid in full, a QRIS one paid with the wrong amount, a BNI one
    opened and never paid. One BCA invoice of 1 Dec paid late, credited on 2 Dec after a check."""
    bca = [pay(invoice("va_bca")), pay(invoice("va_bca", months=3))]
    qris = pay(invoice("qris"), amount=20_000)
    opened = invoice("va_bni")
    on(D(2026, 12, 2), *bca, qris, opened)
    # 23:30 WIB on 1 Dec is 1 Dec in Jakarta (16:30 UTC): not the 2nd.
    other_day = pay(invoice("va_bca"))
    on(D(2026, 12, 1), other_day, hour=23)
    credited = pay(invoice("va_bni"))
    on(D(2026, 12, 1), credited)
    Invoice.objects.filter(pk=credited.pk).update(paid_at=datetime.datetime(2026, 12, 2, 9, tzinfo=WIB))
    return {"bca": bca, "qris": qris, "opened": opened, "credited": credited}


def test_expected_against_received_per_gateway_and_method(day_of_money):
    report = reconciliation.daily_report(D(2026, 12, 2))
    by_method = {(line.gateway, line.method): line for line in report.lines}
    assert set(by_method) == {("simulator", "va_bca"), ("simulator", "qris"), ("simulator", "va_bni")}
    bca = by_method["simulator", "va_bca"]
    assert (bca.opened_count, bca.opened_amount) == (2, 28_400 + 102_000)
    assert (bca.expected_count, bca.expected_amount) == (2, 130_400)
    assert (bca.received_count, bca.received_amount, bca.difference) == (2, 130_400, 0)
    qris = by_method["simulator", "qris"]
    assert (qris.expected_count, qris.received_count, qris.received_amount, qris.difference) == (0, 1, 20_000, 20_000)
    bni = by_method["simulator", "va_bni"]
    assert (bni.opened_count, bni.expected_amount, bni.received_amount, bni.difference) == (1, 28_400, 0, -28_400)

    differences = {(d.invoice_number, d.expected, d.received, d.status) for d in report.differences}
    assert differences == {
        (day_of_money["qris"].number, 0, 20_000, "needs_review"),
        (day_of_money["credited"].number, 28_400, 0, "paid"),
    }
    assert report.totals.received_amount == 150_400


def test_a_day_without_money_is_empty(day_of_money):
    report = reconciliation.daily_report(D(2026, 11, 30))
    assert report.lines == [] and report.differences == []


def test_finance_reads_the_report_for_a_day_and_downloads_it(client, day_of_money):
    client.force_login(staff_in("finance"))
    page = client.get(URL, {"day": "2026-12-02"})
    assert page.status_code == 200
    assert 'type="date"' in page.text
    assert "Rp130.400" in page.text and "−Rp28.400" in page.text and "Rp20.000" in page.text
    assert day_of_money["qris"].number in page.text and day_of_money["credited"].number in page.text
    assert "BCA Virtual Account" in page.text

    today = client.get(URL)  # without a day: today (WIB)
    assert today.status_code == 200 and timezone.localdate().isoformat() in today.text

    response = client.get(URL, {"day": "2026-12-02", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    lines = {(row[1], row[2]): row for row in rows if row and row[0] == "line"}
    assert lines["simulator", "va_bca"][5:] == ["2", "130400", "2", "130400", "0"]
    [total] = [row for row in rows if row and row[0] == "total"]
    assert total[3:] == ["4", "187200", "3", "158800", "3", "150400", "-8400"]
    assert {row[1] for row in rows if row and row[0] == "difference"} == {
        day_of_money["qris"].number, day_of_money["credited"].number
    }


def test_a_bad_day_shows_the_form_again(client, day_of_money):
    client.force_login(staff_in("finance"))
    page = client.get(URL, {"day": "2026-13-45"})
    assert page.status_code == 200
    [error] = page.context["form"].errors["day"]
    assert error == "Masukkan tanggal yang valid." and error in page.text


@pytest.mark.parametrize("group", ["reviewer"])
def test_roles_without_the_money_lists_cannot_open_it(client, group):
    client.force_login(staff_in(group))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403


def test_the_invoice_list_links_the_report_for_finance(client, day_of_money):
    client.force_login(staff_in("finance"))
    assert URL in client.get("/admin/contributions/invoice/").text
