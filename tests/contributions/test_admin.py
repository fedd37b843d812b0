"""The money back-office: finance works the needs_review queue and exports payments; nobody deletes
or adds money rows; reviewers see coverage months on the enrollment page (QUALITY.md, Security 7)."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from contributions import services
from contributions.gateways import get_gateway
from contributions.models import ContributionRate, CoverageMonth, GatewayNotification, Invoice, Payment
from core.format import month_label
from core.models import AuditLog
from tests.factories import enrollment, staff_in

pytestmark = pytest.mark.usefixtures("reference", "december")

WIB = ZoneInfo("Asia/Jakarta")
INVOICES = "/admin/contributions/invoice/"
PAYMENTS = "/admin/contributions/payment/"
COVERAGE = "/admin/contributions/coveragemonth/"


def settle(invoice: Invoice, amount: int | None = None) -> Invoice:
    """Money arrives at the simulator and its notification is handled, as in production."""
    payload = get_gateway("simulator").pay(order_id=invoice.number, gross_amount=amount)
    notification = services.notification_receive(gateway_name="simulator", payload=payload)
    services.notification_process(notification_id=notification.pk)
    invoice.refresh_from_db()
    return invoice


def new_invoice(months: int = 1) -> Invoice:
    worker = enrollment()
    assert worker.status == "approved"
    return services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": months}])


@pytest.fixture
def review_invoice() -> Invoice:
    invoice = settle(new_invoice(), amount=1000)
    assert invoice.status == "needs_review"
    return invoice


@pytest.fixture
def paid_invoice() -> Invoice:
    invoice = settle(new_invoice())
    assert invoice.status == "paid"
    return invoice


@pytest.fixture
def finance(db):
    return staff_in("finance")


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


# --- finance: the needs_review queue -------------------------------------------------------------------


def test_finance_lists_and_filters_invoices(finance_client, review_invoice, paid_invoice):
    everything = finance_client.get(INVOICES)
    assert everything.status_code == 200
    assert review_invoice.number in everything.text and paid_invoice.number in everything.text
    queue = finance_client.get(INVOICES, {"status__exact": "needs_review"})
    assert queue.status_code == 200
    assert review_invoice.number in queue.text
    assert paid_invoice.number not in queue.text
    assert finance_client.get(f"{INVOICES}{review_invoice.pk}/change/").status_code == 200


def test_the_invoice_page_shows_which_app_request_made_it(finance_client):
    worker = enrollment()
    invoice = services.invoice_create(
        sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}], idempotency_key="app-req-7f3a",
        request_hash="a" * 64,
    )
    page = finance_client.get(f"{INVOICES}{invoice.pk}/change/")
    assert page.status_code == 200
    assert "app-req-7f3a" in page.text
    assert "a" * 64 not in page.text  # the fingerprint means nothing to a person


def test_finance_finds_an_invoice_by_number_va_or_sponsor_phone_exactly(finance_client, paid_invoice):
    other = new_invoice()
    sponsor_phone = paid_invoice.sponsor.phone  # +62…
    local_format = "0" + sponsor_phone[3:]

    for term in [paid_invoice.number, paid_invoice.number.lower(), paid_invoice.va_number, local_format]:
        with CaptureQueriesContext(connection) as queries:
            response = finance_client.get(INVOICES, {"q": term})
        assert response.status_code == 200
        assert {obj.pk for obj in response.context["cl"].result_list} == {paid_invoice.pk}, term
        # Exact matches on indexes: the invoice table is the largest; a LIKE '%…%' reads all of it.
        assert not [q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"].upper()], term
    assert other.pk not in {obj.pk for obj in finance_client.get(INVOICES, {"q": "INV-"}).context["cl"].result_list}


def _found_exactly(client, url: str, term: str) -> set[int]:
    """The ids a changelist search finds, failing if it ran a LIKE (a read of the whole table)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"q": term})
    assert response.status_code == 200, term
    assert not [q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"].upper()], term
    return {obj.pk for obj in response.context["cl"].result_list}


def test_finance_finds_a_payment_by_receipt_transaction_or_invoice_number_exactly(finance_client, paid_invoice):
    payment = paid_invoice.payments.get()
    other = settle(new_invoice()).payments.get()

    for term in [payment.receipt_number, payment.receipt_number.lower(), payment.transaction_id,
                 paid_invoice.number, paid_invoice.number.lower()]:
        assert _found_exactly(finance_client, PAYMENTS, term) == {payment.pk}, term
    assert _found_exactly(finance_client, PAYMENTS, "RCP-") == set()  # no partial matches
    assert _found_exactly(finance_client, PAYMENTS, other.receipt_number) == {other.pk}


def test_coverage_months_are_found_by_kpj_or_invoice_number_exactly(finance_client, paid_invoice):
    [covered] = CoverageMonth.objects.filter(invoice=paid_invoice)
    settle(new_invoice())  # another worker's month

    kpj = covered.member.kpj_number
    assert _found_exactly(finance_client, COVERAGE, kpj) == {covered.pk}
    assert _found_exactly(finance_client, COVERAGE, paid_invoice.number) == {covered.pk}
    assert _found_exactly(finance_client, COVERAGE, kpj[:6]) == set()


def test_gateway_notifications_are_found_by_order_or_payment_transaction_exactly(finance_client, paid_invoice):
    settle(new_invoice())
    mine = set(GatewayNotification.objects.filter(order_id=paid_invoice.number).values_list("pk", flat=True))
    assert mine
    url = "/admin/contributions/gatewaynotification/"
    assert _found_exactly(finance_client, url, paid_invoice.number.lower()) == mine
    assert _found_exactly(finance_client, url, paid_invoice.payments.get().transaction_id) == mine
    assert _found_exactly(finance_client, url, "INV-") == set()


def test_the_audit_log_is_found_by_object_id_or_actor_phone_exactly(client, review_invoice):
    admin_user = staff_in(None, is_superuser=True)
    client.force_login(admin_user)
    services.invoice_refund(invoice=review_invoice, actor=admin_user, amount=1000, reference="BCA-1",
                            transferred_on=datetime.date(2026, 12, 1))
    [row] = AuditLog.objects.filter(action="invoice_refund")
    url = "/admin/core/auditlog/"
    assert _found_exactly(client, url, str(review_invoice.pk)) == {row.pk}
    assert _found_exactly(client, url, "0" + admin_user.phone[3:]) == {row.pk}
    assert _found_exactly(client, url, admin_user.full_name) == set()  # names are not searched


def test_a_staff_member_who_refunded_is_kept_and_found_through_the_refunds_index(finance, review_invoice):
    services.invoice_refund(invoice=review_invoice, actor=finance, amount=1000, reference="BCA 123",
                            transferred_on=datetime.date(2026, 12, 1))
    new_invoice()  # never refunded: no entry in the index

    with pytest.raises(ProtectedError) as refused:
        finance.delete()
    assert review_invoice in refused.value.protected_objects

    # The lookup PROTECT runs can use the index that holds refunded invoices only (a full index of the
    # column would hold a NULL entry for every invoice).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Invoice._base_manager.filter(refunded_by__in=[finance]).explain()
    assert "contrib_invoice_refunded_idx" in plan
    assert "contributions_invoice_refunded_by_id" not in plan


def test_finance_queue_is_read_from_the_index_of_invoices_that_need_review(finance_client, review_invoice):
    """The admin's list filtered on needs_review, newest first, walks an index that holds those
    invoices only (no entry for each pending, paid or expired one)."""
    new_invoice()
    listed = finance_client.get(f"{INVOICES}?status__exact=needs_review")
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [review_invoice]

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = listed.context["cl"].queryset.explain()
    assert "contrib_invoice_review_q_idx" in plan


def test_finance_cannot_edit_invoice_fields(finance_client, review_invoice):
    finance_client.post(f"{INVOICES}{review_invoice.pk}/change/", {"status": "paid", "total": 1})
    review_invoice.refresh_from_db()
    assert (review_invoice.status, review_invoice.total) == ("needs_review", 28400)


# --- nobody deletes or adds money rows -----------------------------------------------------------------


@pytest.fixture(params=["superuser", "finance"])
def any_staff_client(request, client, db):
    user = staff_in(None, is_superuser=True) if request.param == "superuser" else staff_in("finance")
    client.force_login(user)
    return client


def test_money_rows_cannot_be_deleted_or_added(any_staff_client, paid_invoice):
    payment = Payment.objects.get(invoice=paid_invoice)
    month = CoverageMonth.objects.get(invoice=paid_invoice)
    for base, pk in [(INVOICES, paid_invoice.pk), (PAYMENTS, payment.pk), (COVERAGE, month.pk)]:
        assert any_staff_client.get(f"{base}{pk}/delete/").status_code == 403, base
        assert any_staff_client.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code == 403, base
        assert any_staff_client.get(f"{base}add/").status_code == 403, base
        # The bulk delete action is not offered either.
        any_staff_client.post(base, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert Invoice.objects.filter(pk=paid_invoice.pk).exists()
    assert Payment.objects.filter(pk=payment.pk).exists()
    assert CoverageMonth.objects.filter(pk=month.pk).exists()


# --- payment export ------------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # never built whole in memory
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def export(client, date_from: datetime.date, date_to: datetime.date, **filters):
    return csv_rows(client.get(
        f"{PAYMENTS}export/", {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), **filters}
    ))


def as_dicts(rows: list[list[str]]) -> list[dict]:
    header, *data = rows
    return [dict(zip(header, row)) for row in data]


def test_the_invoice_export_follows_the_list_filters_with_finance_columns(finance_client, finance, paid_invoice):
    refunded = settle(new_invoice(3), amount=50_000)
    services.invoice_refund(invoice=refunded, actor=finance, amount=40_000, reference="BCA-99",
                            transferred_on=datetime.date(2026, 12, 2))
    waiting = settle(new_invoice(), amount=1000)

    changelist = finance_client.get(INVOICES, {"case": "refunded"})
    assert f"{INVOICES}export/?case=refunded" in changelist.text  # the export link carries the filters
    [row] = as_dicts(csv_rows(finance_client.get(f"{INVOICES}export/", {"case": "refunded"})))
    worker = refunded.lines.first().enrollment
    assert row["invoice_number"] == refunded.number
    assert (row["status"], row["case"], row["review_reason"]) == ("needs_review", "refunded", "amount_mismatch")
    assert row["sponsor_name"] == refunded.sponsor.full_name
    assert row["sponsor_phone"] == "*" * (len(refunded.sponsor.phone) - 4) + refunded.sponsor.phone[-4:]
    assert refunded.sponsor.phone not in row.values()
    assert (row["worker_name"], row["kpj_number"]) == (worker.full_name, worker.member.kpj_number)
    assert row["months"] == "2026-12 2027-01 2027-02"
    # PP 50/2025 halves JKK and JKM in December 2026 (non-transport); JHT 2 % of Rp1,000,000.
    assert (row["jkk"], row["jkm"], row["jht"], row["worker_total"]) == ("25000", "17000", "60000", "102000")
    assert (row["invoice_total"], row["payment_method"], row["gateway"], row["received"]) == (
        "102000", "va_bca", "simulator", "50000"
    )
    assert (row["refund_amount"], row["refund_reference"], row["refund_date"]) == ("40000", "BCA-99", "2026-12-02")

    everything = as_dicts(csv_rows(finance_client.get(f"{INVOICES}export/")))
    assert {r["invoice_number"] for r in everything} == {paid_invoice.number, refunded.number, waiting.number}
    assert [r["invoice_number"] for r in as_dicts(csv_rows(finance_client.get(f"{INVOICES}export/", {"case": "open"})))] == [
        waiting.number
    ]
    searched = as_dicts(csv_rows(finance_client.get(f"{INVOICES}export/", {"q": paid_invoice.number})))
    assert [r["invoice_number"] for r in searched] == [paid_invoice.number]
    assert searched[0]["refund_amount"] == "" and searched[0]["case"] == ""


def test_an_invoice_of_two_workers_exports_a_row_per_worker(finance_client):
    first = enrollment()
    second = enrollment(sponsor=first.sponsor)
    invoice = services.invoice_create(
        sponsor=first.sponsor, items=[{"worker": first.pk, "months": 1}, {"worker": second.pk, "months": 3}]
    )
    rows = as_dicts(csv_rows(finance_client.get(f"{INVOICES}export/", {"q": invoice.number})))
    assert [(r["worker_name"], r["months"]) for r in rows] == [
        (first.full_name, "2026-12"), (second.full_name, "2026-12 2027-01 2027-02")
    ]
    assert {r["invoice_total"] for r in rows} == {str(invoice.total)}


def test_the_export_makes_a_constant_number_of_queries(finance_client, django_assert_max_num_queries):
    for _ in range(4):
        settle(new_invoice(), amount=1000)
    with django_assert_max_num_queries(12):
        rows = csv_rows(finance_client.get(f"{INVOICES}export/"))
    assert len(rows) == 5
    with django_assert_max_num_queries(12):
        rows = csv_rows(finance_client.get(f"{PAYMENTS}export/", {"date_from": "", "date_to": ""}))
    assert len(rows) == 5


def test_the_payment_export_follows_the_list_filters(finance_client, paid_invoice, review_invoice):
    today = timezone.localdate()
    rows = as_dicts(export(finance_client, today, today, credited__exact="0"))
    assert [(r["invoice_number"], r["credited"], r["payment_amount"], r["received"]) for r in rows] == [
        (review_invoice.number, "no", "1000", "1000")
    ]
    rows = as_dicts(export(finance_client, today, today, credited__exact="1"))
    assert [(r["invoice_number"], r["receipt_number"]) for r in rows] == [
        (paid_invoice.number, paid_invoice.payments.get().receipt_number)
    ]
    assert finance_client.get(PAYMENTS, {"credited__exact": "1"}).status_code == 200
    assert "export/?credited__exact=1" in finance_client.get(PAYMENTS, {"credited__exact": "1"}).text
    # A filter the list does not know: 400, not an error page.
    assert finance_client.get(f"{PAYMENTS}export/", {"date_from": "", "nonsense__exact": "1"}).status_code == 400
    assert finance_client.get(f"{INVOICES}export/", {"nonsense__exact": "1"}).status_code == 400


def test_payment_csv_export_by_wib_date(finance_client, paid_invoice, review_invoice):
    paid = Payment.objects.get(invoice=paid_invoice)
    review = Payment.objects.get(invoice=review_invoice)
    # 23:30 WIB on 30 June is still 30 June in Jakarta (16:30 UTC); 00:30 WIB on 1 July is July.
    Payment.objects.filter(pk=paid.pk).update(confirmed_at=datetime.datetime(2026, 6, 30, 23, 30, tzinfo=WIB))
    Payment.objects.filter(pk=review.pk).update(confirmed_at=datetime.datetime(2026, 7, 1, 0, 30, tzinfo=WIB))

    rows = export(finance_client, datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
    header, *data = rows
    assert header[:2] == ["receipt_number", "transaction_id"]
    assert [row[header.index("invoice_number")] for row in data] == [paid_invoice.number]
    assert data[0][header.index("receipt_number")] == paid.receipt_number
    assert data[0][header.index("payment_amount")] == str(paid_invoice.total)

    header, *data = export(finance_client, datetime.date(2026, 7, 1), datetime.date(2026, 7, 31))
    assert [row[header.index("invoice_number")] for row in data] == [review_invoice.number]
    assert data[0][header.index("payment_amount")] == "1000"

    header, *data = export(finance_client, datetime.date(2026, 6, 1), datetime.date(2026, 7, 31))
    assert len(data) == 2

    header, *data = export(finance_client, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    assert data == []


def test_payment_export_today(finance_client, paid_invoice):
    today = timezone.localdate()
    header, *data = export(finance_client, today, today)
    assert [row[header.index("invoice_number")] for row in data] == [paid_invoice.number]


def test_payment_export_needs_view_permission(client, paid_invoice):
    client.force_login(staff_in("reviewer"))
    response = client.get(f"{PAYMENTS}export/", {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert response.status_code == 403


# --- reviewers -----------------------------------------------------------------------------------------


def test_reviewer_sees_coverage_months_on_the_member_but_not_invoices(client, paid_invoice):
    client.force_login(staff_in("reviewer"))
    month = CoverageMonth.objects.get(invoice=paid_invoice)
    page = client.get(f"/admin/registration/member/{month.member_id}/change/")
    assert page.status_code == 200
    with translation.override("id"):
        shown = month_label(month.month)  # "Des 2026"
    assert shown in page.text
    assert paid_invoice.number in page.text
    assert f"{INVOICES}{paid_invoice.pk}/change/" not in page.text  # shown, not linked: no 403 behind it
    assert client.get(INVOICES).status_code == 403
    assert client.get(f"{INVOICES}{paid_invoice.pk}/change/").status_code == 403


# --- rates ---------------------------------------------------------------------------------------------


def test_rate_form_with_a_missing_start_shows_a_form_error(client):
    client.force_login(staff_in("admin"))
    client.raise_request_exception = False
    response = client.post(
        "/admin/contributions/contributionrate/add/",
        {"kind": "adjustment", "regulation": "PP 1/2030", "sector": "transport", "valid_from": "", "valid_to": "",
         "jkk_percent": "0.5", "jkm_amount": "3400", "jht_percent": "2"},
    )
    assert response.status_code == 200
    assert ContributionRate.objects.filter(regulation="PP 1/2030").count() == 0


def test_rate_form_refuses_an_overlapping_period(client):
    client.force_login(staff_in("admin"))
    response = client.post(
        "/admin/contributions/contributionrate/add/",
        {"kind": "adjustment", "regulation": "PP 1/2030", "sector": "transport", "valid_from": "2027-03-01",
         "valid_to": "", "jkk_percent": "0.5", "jkm_amount": "3400", "jht_percent": "2"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert not ContributionRate.objects.filter(regulation="PP 1/2030").exists()
    ok = client.post(
        "/admin/contributions/contributionrate/add/",
        {"kind": "adjustment", "regulation": "PP 1/2030", "sector": "transport", "valid_from": "2027-04-01",
         "valid_to": "", "jkk_percent": "0.5", "jkm_amount": "3400", "jht_percent": "2"},
    )
    assert ok.status_code == 302
    assert ContributionRate.objects.filter(regulation="PP 1/2030").exists()
