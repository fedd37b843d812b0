"""Money follows the member (API.md "Members", "Receipts"; issue 20): months land on the person, a
settlement that would revive a lapsed period or came after its invoice closed covers nothing, each
(member, month) is covered once whoever pays, and a paid invoice carries its receipt."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from contributions import services
from contributions.gateways import get_gateway
from contributions.gateways.midtrans import _midtrans_time
from contributions.models import CoverageMonth, Invoice, Payment, SimulatorTransaction
from registration import services as registration
from registration.models import Enrollment, Member
from tests.api import client_for
from tests.concurrency import run_together
from tests.contributions.conftest import invoice_post
from tests.factories import UserFactory, enrollment, make_nik, random_mobile

pytestmark = pytest.mark.usefixtures("reference", "no_throttle")

D = datetime.date


def settle(invoice: Invoice, *, at: datetime.datetime | None = None) -> Invoice:
    """Money arrives on the invoice's VA (at `at`, by the gateway's clock), and the gateway is asked."""
    get_gateway("simulator").pay(order_id=invoice.number)
    if at is not None:
        SimulatorTransaction.objects.filter(order_id=invoice.number).update(updated_at=at)
    return services.invoice_sync(invoice=invoice)


def paid_through(worker: Enrollment) -> D | None:
    return Member.objects.get(sponsorships=worker).paid_through


# --- Receipts ---------------------------------------------------------------------------------------------


def test_a_paid_invoice_carries_its_receipt(pin_today, user, auth_client):
    pin_today(D(2026, 12, 3))
    worker = enrollment(sponsor=user)
    created = invoice_post(auth_client, [{"worker": worker.pk, "months": 3}]).json()
    assert created["receipt"] is None
    assert auth_client.get(f"/api/v1/invoices/{created['id']}").json()["receipt"] is None

    paid = auth_client.post("/api/v1/payments/simulator/pay", {"number": created["number"]}).json()
    payment = Payment.objects.get(invoice_id=created["id"])
    expected = {"number": payment.receipt_number, "paid_at": paid["paid_at"], "amount": 102_000, "method": "va_bca"}
    assert paid["receipt"] == expected
    assert payment.receipt_number.startswith(f"RCP-{timezone.localtime(payment.confirmed_at):%Y%m}-")
    assert auth_client.get(f"/api/v1/invoices/{created['id']}").json()["receipt"] == expected
    assert auth_client.get("/api/v1/invoices").json()["results"][0]["receipt"] == expected


def test_an_invoice_that_needs_review_has_no_receipt(pin_today, user, auth_client):
    pin_today(D(2026, 12, 3))
    worker = enrollment(sponsor=user)
    created = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}]).json()
    paid = auth_client.post("/api/v1/payments/simulator/pay", {"number": created["number"], "amount": 1}).json()
    assert (paid["status"], paid["receipt"]) == ("needs_review", None)


def test_the_invoice_list_with_receipts_makes_a_constant_number_of_queries(
    pin_today, user, auth_client, django_assert_max_num_queries
):
    pin_today(D(2026, 12, 3))
    for n in range(3):
        worker = enrollment(sponsor=user)
        created = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], key=f"k{n}").json()
        auth_client.post("/api/v1/payments/simulator/pay", {"number": created["number"]})
    with django_assert_max_num_queries(4):  # the user, the invoices, their lines, their credited payments
        rows = auth_client.get("/api/v1/invoices").json()["results"]
    assert [row["receipt"] is not None for row in rows] == [True, True, True]


# --- A lapse, and money after the invoice closed ----------------------------------------------------------


def test_an_arrears_invoice_settled_after_the_lapse_revives_nothing(pin_today, user):
    pin_today(D(2026, 12, 10))  # paid through August: September to November overdue, arrears
    worker = enrollment(sponsor=user)
    Member.objects.filter(sponsorships=worker).update(paid_through=D(2026, 8, 1), coverage_started=D(2026, 1, 1))
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 3}])
    assert sorted(invoice.lines.values_list("month", flat=True)) == [D(2026, 9, 1), D(2026, 10, 1), D(2026, 11, 1)]

    pin_today(D(2026, 12, 16))  # December is overdue too: more than 3 months, the membership lapsed
    invoice = settle(invoice)
    assert (invoice.status, invoice.review_reason) == ("needs_review", "coverage_lapsed")
    assert not CoverageMonth.objects.exists()
    assert paid_through(worker) == D(2026, 8, 1)
    assert Payment.objects.get(invoice=invoice).credited is False
    # Paying again starts a new period from the current month.
    again = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}])
    assert settle(again).status == "paid"
    member = Member.objects.get(sponsorships=worker)
    assert (member.paid_through, member.coverage_started) == (D(2026, 12, 1), D(2026, 12, 1))


def test_an_arrears_invoice_settled_before_the_lapse_is_credited(pin_today, user):
    pin_today(D(2026, 12, 10))
    worker = enrollment(sponsor=user)
    Member.objects.filter(sponsorships=worker).update(paid_through=D(2026, 8, 1), coverage_started=D(2026, 1, 1))
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}])
    pin_today(D(2026, 12, 15))  # the last day before the lapse
    assert settle(invoice).status == "paid"
    assert paid_through(worker) == D(2026, 9, 1)


def test_money_after_the_invoice_expired_covers_nothing(pin_today, user):
    pin_today(D(2026, 12, 3))
    worker = enrollment(sponsor=user)
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}])
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    invoice = services.invoice_expire_if_stale(invoice=Invoice.objects.get(pk=invoice.pk))
    assert invoice.status == "expired"

    # The bank took the money after the VA was closed here (a real gateway's clock says so).
    SimulatorTransaction.objects.filter(order_id=invoice.number).update(transaction_status="settlement")
    SimulatorTransaction.objects.filter(order_id=invoice.number).update(updated_at=timezone.now())
    invoice = services.invoice_sync(invoice=invoice)
    assert (invoice.status, invoice.review_reason) == ("needs_review", "invoice_closed")
    assert not CoverageMonth.objects.exists() and paid_through(worker) is None
    assert Payment.objects.get(invoice=invoice).credited is False


def test_money_after_the_sponsor_cancelled_covers_nothing(pin_today, user, auth_client):
    pin_today(D(2026, 12, 3))
    worker = enrollment(sponsor=user)
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}])
    assert auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel").status_code == 200
    SimulatorTransaction.objects.filter(order_id=invoice.number).update(
        transaction_status="settlement", updated_at=timezone.now()
    )
    invoice = services.invoice_sync(invoice=Invoice.objects.get(pk=invoice.pk))
    assert (invoice.status, invoice.review_reason) == ("needs_review", "invoice_closed")


def test_midtrans_settlement_time_is_read_in_wib():
    moment = _midtrans_time("2026-12-05 10:31:02")
    assert moment == datetime.datetime(2026, 12, 5, 3, 31, 2, tzinfo=datetime.timezone.utc)
    assert _midtrans_time(None) is None and _midtrans_time("05/12/2026") is None


# --- One covered month per member, whoever pays -------------------------------------------------------------


def _two_payers_for_one_month(pin_today):
    """Sponsor A's invoice for December, paid at the bank just before A ended (its cancellation came
    after the money), and sponsor B's invoice for the same December of the same member."""
    pin_today(D(2026, 12, 3))
    a, b, nik, phone = UserFactory(), UserFactory(), make_nik(), random_mobile()
    first = enrollment(sponsor=a, nik=nik, phone=phone)
    by_a = services.invoice_create(sponsor=a, items=[{"worker": first.pk, "months": 1}])
    get_gateway("simulator").pay(order_id=by_a.number)
    SimulatorTransaction.objects.filter(order_id=by_a.number).update(updated_at=timezone.now() - timedelta(seconds=5))
    registration.enrollment_end(enrollment=first)
    assert Invoice.objects.get(pk=by_a.pk).status == "cancelled"
    second = enrollment(sponsor=b, nik=nik, phone=phone)
    assert second.member_id == first.member_id
    by_b = services.invoice_create(sponsor=b, items=[{"worker": second.pk, "months": 1}])
    get_gateway("simulator").pay(order_id=by_b.number)
    return Invoice.objects.get(pk=by_a.pk), Invoice.objects.get(pk=by_b.pk), second


def test_a_month_paid_by_two_sponsors_is_covered_once(pin_today):
    by_a, by_b, worker = _two_payers_for_one_month(pin_today)
    assert services.invoice_sync(invoice=by_a).status == "paid"
    late = services.invoice_sync(invoice=by_b)
    assert (late.status, late.review_reason) == ("needs_review", "months_already_covered")
    assert list(CoverageMonth.objects.values_list("member_id", "month", "invoice_id")) == [
        (worker.member_id, D(2026, 12, 1), by_a.pk)
    ]


@pytest.mark.django_db(transaction=True)
def test_two_payments_for_one_member_month_at_once_cover_it_once(reference, pin_today, settings):
    settings.API_THROTTLING = False
    for _ in range(3):
        by_a, by_b, worker = _two_payers_for_one_month(pin_today)
        results = run_together(lambda n: services.invoice_sync(invoice=(by_a, by_b)[n]).status, 2)
        assert sorted(results) == ["needs_review", "paid"]
        assert CoverageMonth.objects.filter(member_id=worker.member_id, month=D(2026, 12, 1)).count() == 1
        assert Payment.objects.filter(invoice__in=[by_a, by_b], credited=True).count() == 1
        assert Member.objects.get(pk=worker.member_id).paid_through == D(2026, 12, 1)
