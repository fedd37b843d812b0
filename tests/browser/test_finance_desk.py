"""Finance's day in the back office, in a real browser (issue 24 "Done when"): finance lands on the money
figures, opens the oldest open needs-review case, records the refund (amount and bank transfer reference)
from the page; the case leaves the open queue, is found under the refunded filter, and the CSV export of
that list carries it with its refund columns. Every page is checked as in test_back_office.py (no 403,
no raw codes, no untranslated English, nothing from another host) and photographed."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from contributions import services
from contributions.gateways import get_gateway
from contributions.models import Invoice
from core.format import rupiah
from core.models import AuditLog
from tests.factories import PASSWORD, UserFactory, enrollment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference", "staff_groups")]


def staff(group: str, name: str):
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, full_name=name)
    user.groups.add(Group.objects.get(name=group))
    return user


def settled(amount: int | None = None) -> Invoice:
    """A one-month invoice the simulator confirms: paid, or (another amount) in review."""
    worker = enrollment()
    invoice = services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    payload = get_gateway("simulator").pay(order_id=invoice.number, gross_amount=amount)
    notification = services.notification_receive(gateway_name="simulator", payload=payload)
    services.notification_process(notification_id=notification.pk)
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def cases(settings):
    """A paid invoice and two open cases: the older one received Rp50.000, more than its total."""
    settings.SPONSOR_BURST_LIMIT = 1000
    settled()
    older, newer = settled(amount=50_000), settled(amount=1_000)
    assert older.status == newer.status == "needs_review"
    Invoice.objects.filter(pk=older.pk).update(needs_review_at=timezone.now() - datetime.timedelta(days=3))
    return older, newer


def test_finance_refunds_the_oldest_case_from_its_page_and_exports_it(walk, cases):
    older, newer = cases
    finance = staff("finance", "Fajar Finance")
    browser = walk("finance")

    home = browser.log_in(finance.phone, PASSWORD)
    assert "Keuangan" in home and "Perlu ditinjau" in home and "Pengembalian dana tertunda" in home
    assert "Rp51.000" in home  # the money received on the two open cases

    browser.page.get_by_text("buka kasus terlama").click()
    case = browser.check()
    assert browser.page.url.endswith(f"/admin/contributions/invoice/{older.pk}/change/")
    assert older.number in case and "Rp50.000" in case and rupiah(older.total) in case
    assert browser.page.locator('input[name="_save"], button[name="_save"]').count() == 0

    browser.page.get_by_role("link", name="Catat pengembalian dana").click()
    form = browser.check()
    assert browser.page.url.endswith(f"/admin/contributions/invoice/{older.pk}/refund/")
    assert "Paling banyak sebesar uang yang diterima: Rp50.000." in form
    assert browser.page.input_value('input[name="amount"]') == "50000"
    browser.page.fill('input[name="amount"]', "13200")
    browser.page.fill('input[name="reference"]', "TRF-BCA-0001")
    browser.page.fill('textarea[name="note"]', "Kelebihan bayar dikembalikan.")
    browser.page.get_by_role("button", name="Catat pengembalian dana").click()
    browser.page.wait_for_url(f"**/admin/contributions/invoice/{older.pk}/change/")
    closed = browser.check()
    assert f"{older.number}: pengembalian dana dicatat." in closed
    assert "Rp13.200" in closed and "TRF-BCA-0001" in closed

    older.refresh_from_db()
    assert (older.review_outcome, older.refund_amount, older.refund_reference) == ("refunded", 13_200, "TRF-BCA-0001")
    assert AuditLog.objects.get(action="invoice_refund").actor == finance

    still_open = browser.goto("/admin/contributions/invoice/?case=open")
    assert newer.number in still_open and older.number not in still_open

    refunded = browser.goto("/admin/contributions/invoice/?case=refunded")
    assert older.number in refunded and newer.number not in refunded
    with browser.page.expect_download() as download:
        browser.page.get_by_role("link", name="Ekspor CSV (filter daftar ini)").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert [row["invoice_number"] for row in rows] == [older.number]
    assert (rows[0]["refund_amount"], rows[0]["refund_reference"]) == ("13200", "TRF-BCA-0001")
    assert rows[0]["refund_date"] == older.refund_transferred_on.isoformat()

    browser.goto("/admin/contributions/invoice/reconciliation/")
    browser.goto("/admin/contributions/invoice/")
    browser.goto("/admin/contributions/payment/")
    browser.goto(f"/admin/contributions/invoice/{newer.pk}/refund/")
    browser.goto("/admin/core/auditlog/")


def test_an_admin_reads_a_sponsors_workers_and_invoices_on_the_sponsors_page(walk, cases):
    older, _newer = cases
    admin = staff("admin", "Ayu Admin")
    browser = walk("sponsor")
    browser.log_in(admin.phone, PASSWORD)

    page = browser.goto(f"/admin/sponsors/user/{older.sponsor_id}/change/")
    worker = older.lines.get().enrollment
    assert "Pekerja dan tagihan" in page and worker.full_name in page
    link = browser.page.get_by_role("link", name=worker.full_name)
    assert link.get_attribute("href") == f"/admin/registration/enrollment/{worker.pk}/change/"
    invoice = browser.page.get_by_role("link", name=older.number)
    assert invoice.get_attribute("href") == f"/admin/contributions/invoice/{older.pk}/change/"
    browser.page.get_by_role("link", name="Lihat semua tagihannya").click()
    listing = browser.check()
    assert older.number in listing and "1 tagihan" in listing
