"""Gateway notifications for the simulator: signature, confirmation before credit, exactly-once credit,
order, amount, double coverage (QUALITY.md, Payments 1–6)."""

import datetime

import pytest
from django.utils import timezone

from contributions import services
from contributions.gateways import get_gateway
from contributions.models import CoverageMonth, GatewayNotification, Invoice, Payment, SimulatorTransaction
from notifications.models import InboxItem, Message
from registration.models import Enrollment
from tests.api import client_for, first_error
from tests.concurrency import run_together
from tests.contributions.conftest import notify, signed
from tests.factories import UserFactory, enrollment

pytestmark = pytest.mark.usefixtures("reference", "december", "no_throttle")

D = datetime.date
BILLED = [D(2026, 12, 1), D(2027, 1, 1), D(2027, 2, 1)]


@pytest.fixture
def workers(user):
    made = [enrollment(sponsor=user), enrollment(sponsor=user)]
    assert [w.status for w in made] == ["approved", "approved"]
    return made


@pytest.fixture
def invoice(user, workers) -> Invoice:
    return services.invoice_create(sponsor=user, items=[{"worker": w.pk, "months": 3} for w in workers])


def snapshot(invoice: Invoice) -> dict:
    invoice.refresh_from_db()
    return {
        "status": invoice.status,
        "paid_at": invoice.paid_at,
        "review_reason": invoice.review_reason,
        "payments": list(Payment.objects.filter(invoice=invoice).values_list("pk", "credited", "gross_amount")),
        "coverage": sorted(CoverageMonth.objects.values_list("member_id", "month", "payment_id")),
        "paid_through": sorted(Enrollment.objects.values_list("pk", "member__paid_through")),
        "inbox": InboxItem.objects.filter(kind="payment_received").count(),
        "messages": Message.objects.count(),
    }


def ledger_settles(invoice: Invoice, amount: int | None = None) -> dict:
    """What really happens at the gateway: money arrives on the VA. Returns the signed notification."""
    return get_gateway("simulator").pay(order_id=invoice.number, gross_amount=amount)


# --- signature and shape -----------------------------------------------------------------------------


def test_wrong_signature_is_refused_and_nothing_changes(api_client, invoice):
    ledger_settles(invoice)  # even with real money on the VA, a forged notification changes nothing
    before = snapshot(invoice)
    body = signed(invoice.number, "settlement", invoice.total, server_key="not-the-key")
    response = notify(api_client, body)
    assert response.status_code == 401
    assert first_error(response) == ("signature_invalid", "signature_key")
    assert GatewayNotification.objects.count() == 0
    assert snapshot(invoice) == before


def test_signature_over_other_fields_is_refused(api_client, invoice):
    body = signed(invoice.number, "settlement", invoice.total)
    body["gross_amount"] = f"{invoice.total + 1}.00"  # the amount is signed
    assert notify(api_client, body).status_code == 401
    body = signed(invoice.number, "settlement", invoice.total)
    body["status_code"] = "202"  # so is the status code
    assert notify(api_client, body).status_code == 401
    assert GatewayNotification.objects.count() == 0


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature_is_401(api_client, invoice, signature):
    body = signed(invoice.number, "settlement", invoice.total)
    if signature is None:
        del body["signature_key"]
    else:
        body["signature_key"] = signature
    response = notify(api_client, body)
    assert response.status_code == 401
    assert first_error(response)[0] == "signature_invalid"


@pytest.mark.parametrize("missing", ["order_id", "status_code", "gross_amount", "transaction_status"])
def test_missing_fields_are_400(api_client, invoice, missing):
    body = signed(invoice.number, "settlement", invoice.total)
    del body[missing]
    response = notify(api_client, body)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert GatewayNotification.objects.count() == 0


@pytest.mark.parametrize(
    "raw", ["not json", "[1, 2]", '["order_id"]', "42", '"settlement"', "{", "null"]
)
def test_malformed_bodies_are_400(api_client, invoice, raw):
    response = api_client.post(
        "/api/v1/payments/notifications/simulator", raw, content_type="application/json"
    )
    assert response.status_code == 400, (raw, response.content)
    assert GatewayNotification.objects.count() == 0
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


def test_non_json_body_is_a_validation_error(api_client, invoice):
    response = api_client.post("/api/v1/payments/notifications/simulator", "not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_non_string_fields_are_400(api_client, invoice):
    body = signed(invoice.number, "settlement", invoice.total)
    body["gross_amount"] = invoice.total
    assert notify(api_client, body).status_code == 400


def test_unknown_order_is_404(api_client, invoice):
    response = notify(api_client, signed("INV-209901-999999", "settlement", invoice.total))
    assert response.status_code == 404
    assert GatewayNotification.objects.count() == 0


def test_midtrans_endpoint_does_not_exist_with_the_simulator(api_client, invoice):
    ledger_settles(invoice)
    body = signed(invoice.number, "settlement", invoice.total, server_key="")
    response = notify(api_client, body, gateway="midtrans")
    assert response.status_code == 404
    assert notify(api_client, body, gateway="paypal").status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


def test_no_redirect_for_a_trailing_slash(api_client, invoice):
    response = api_client.post(
        "/api/v1/payments/notifications/simulator/", signed(invoice.number, "pending", invoice.total), format="json"
    )
    assert response.status_code not in (301, 302, 307, 308)


# --- confirmation before credit ----------------------------------------------------------------------


def test_signed_settlement_is_not_credited_while_the_gateway_says_pending(api_client, invoice):
    before = snapshot(invoice)
    for _ in range(3):
        response = notify(api_client, signed(invoice.number, "settlement", invoice.total))
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    after = snapshot(invoice)
    assert after == before
    assert after["status"] == "pending"
    assert GatewayNotification.objects.count() == 3  # stored raw, for audit


def test_edited_cancel_turned_into_settlement_does_not_pay(api_client, invoice):
    """The signature does not cover transaction_status: flip it and the signature still verifies."""
    body = signed(invoice.number, "cancel", invoice.total)
    body["transaction_status"] = "settlement"
    response = notify(api_client, body)
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert Payment.objects.count() == CoverageMonth.objects.count() == 0


def test_replayed_settlement_for_an_unpaid_invoice_does_not_pay(api_client, invoice):
    row = SimulatorTransaction.objects.get(order_id=invoice.number)
    # A genuine, gateway-signed settlement body (as if captured earlier), replayed while unpaid.
    replay = get_gateway("simulator").notification_for(row, transaction_status="settlement")
    for _ in range(2):
        assert notify(api_client, replay).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert Payment.objects.count() == CoverageMonth.objects.count() == 0


# --- paying through the simulator --------------------------------------------------------------------


def test_simulator_pay_covers_the_billed_months_once(
    auth_client, user, workers, invoice, notify_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "paid" and body["paid_at"] is not None
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.paid_at is not None

    for worker in workers:
        coverage = auth_client.get(f"/api/v1/workers/{worker.pk}").json()["coverage"]
        assert coverage["status"] == "active"
        assert coverage["paid_through"] == "2027-02"
        assert coverage["arrears_months"] == 0
    [payment] = Payment.objects.all()
    assert payment.credited and payment.gross_amount == invoice.total == 204000
    assert payment.receipt_number
    assert payment.invoice_id == invoice.pk
    rows = sorted(CoverageMonth.objects.values_list("member_id", "month", "payment_id", "total"))
    assert rows == sorted(
        (w.member_id, month, payment.pk, 28400 if month == D(2026, 12, 1) else 36800) for w in workers for month in BILLED
    )
    inbox = auth_client.get("/api/v1/notifications").json()["results"]
    assert [item["kind"] for item in inbox].count("payment_received") == 1
    assert invoice.number in [i for i in inbox if i["kind"] == "payment_received"][0]["body"]

    sms = [m for m in notify_file.messages() if m["channel"] == "sms"]
    to = [m["to"] for m in sms]
    assert user.phone in to
    for worker in workers:
        assert to.count(worker.phone) == 1
    assert len(sms) == 3

    # Paying again changes nothing.
    before = snapshot(invoice)
    with django_capture_on_commit_callbacks(execute=True):
        again = auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    assert again.status_code in (200, 409)
    assert snapshot(invoice) == before
    assert len(notify_file.messages()) == 3


def test_pay_another_users_invoice_is_404(other_client, invoice):
    response = other_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    assert response.status_code == 404
    assert SimulatorTransaction.objects.get(order_id=invoice.number).transaction_status == "pending"
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"
    assert other_client.post("/api/v1/payments/simulator/pay", {"number": "INV-nope"}, format="json").status_code == 404


def test_simulator_pay_does_not_exist_with_another_gateway(auth_client, invoice, settings):
    settings.PAYMENT_GATEWAY = "midtrans"
    response = auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    assert response.status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


def test_the_same_settlement_five_times_credits_once(api_client, invoice):
    payload = ledger_settles(invoice)
    responses = [notify(api_client, payload) for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert all(r.json() == {"status": "ok"} for r in responses)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.count() == 1
    assert CoverageMonth.objects.count() == 6
    assert InboxItem.objects.filter(kind="payment_received").count() == 1
    assert Message.objects.filter(kind__in=["payment_received", "coverage_confirmed"]).count() == 3
    assert GatewayNotification.objects.count() == 5
    assert GatewayNotification.objects.filter(processed_at__isnull=True).count() == 0


@pytest.mark.parametrize("late", ["expire", "pending", "cancel", "deny"])
def test_late_events_after_settlement_change_nothing(api_client, invoice, late):
    assert notify(api_client, ledger_settles(invoice)).status_code == 200
    before = snapshot(invoice)
    assert before["status"] == "paid"
    response = notify(api_client, signed(invoice.number, late, invoice.total))
    assert response.status_code == 200
    assert snapshot(invoice) == before
    # Reconciliation does not move it back either.
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(hours=1))
    services.invoices_reconcile()
    assert snapshot(invoice) == before


def test_wrong_amount_needs_review_and_covers_nothing(auth_client, workers, invoice):
    response = auth_client.post(
        "/api/v1/payments/simulator/pay", {"number": invoice.number, "amount": invoice.total - 1}, format="json"
    )
    assert response.status_code == 200, response.content
    invoice.refresh_from_db()
    assert invoice.status == "needs_review"
    assert invoice.review_reason == "amount_mismatch"
    assert invoice.paid_at is None
    assert CoverageMonth.objects.count() == 0
    assert not Payment.objects.filter(credited=True).exists()
    assert Payment.objects.get().gross_amount == invoice.total - 1  # the money is recorded, for a refund
    for worker in workers:
        worker.refresh_from_db()
        assert worker.member.paid_through is None
        assert auth_client.get(f"/api/v1/workers/{worker.pk}").json()["coverage"]["status"] == "not_started"
    assert InboxItem.objects.filter(kind="payment_received").count() == 0


def test_two_invoices_racing_for_the_same_months(auth_client, user, workers):
    worker = workers[0]
    a = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 3}])
    Invoice.objects.filter(pk=a.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=5))
    services.invoices_reconcile()
    a.refresh_from_db()
    assert a.status == "expired"

    b = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 3}])
    paid = auth_client.post("/api/v1/payments/simulator/pay", {"number": b.number}, format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"

    # The money for A arrives after all (the gateway settled before it saw our expiry).
    SimulatorTransaction.objects.filter(order_id=a.number).update(transaction_status="settlement")
    row = SimulatorTransaction.objects.get(order_id=a.number)
    response = notify(auth_client, get_gateway("simulator").notification_for(row))
    assert response.status_code == 200
    a.refresh_from_db()
    assert a.status == "needs_review"
    assert a.review_reason == "months_already_covered"
    rows = list(CoverageMonth.objects.values_list("member_id", "month", "invoice_id"))
    assert sorted(rows) == [(worker.member_id, month, b.pk) for month in BILLED]
    assert Payment.objects.filter(invoice=a, credited=False).count() == 1
    assert Payment.objects.filter(credited=True).count() == 1
    worker.refresh_from_db()
    assert worker.member.paid_through == D(2027, 2, 1)


def test_money_on_a_cancelled_invoice_is_still_credited(auth_client, user, workers, invoice):
    ledger_settles(invoice)  # paid at the bank a moment before the sponsor pressed "cancel"
    assert auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel").status_code == 200
    assert notify(auth_client, signed(invoice.number, "settlement", invoice.total)).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert CoverageMonth.objects.count() == 6


def test_expire_notification_closes_a_pending_invoice_only_when_confirmed(api_client, invoice):
    assert notify(api_client, signed(invoice.number, "expire", invoice.total)).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "pending"  # the gateway still says pending
    get_gateway("simulator").expire(order_id=invoice.number)
    assert notify(api_client, signed(invoice.number, "expire", invoice.total)).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "expired" and invoice.expired_at is not None


def test_reconcile_settles_a_paid_invoice_without_any_webhook(invoice):
    ledger_settles(invoice)  # the notification never arrives
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert CoverageMonth.objects.count() == 6
    services.invoices_reconcile()
    assert Payment.objects.count() == 1


def test_reconcile_leaves_unexpired_invoices_alone(invoice):
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "pending"


# --- concurrency -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_deliveries_credit_once(reference, december, settings, notify_file):
    settings.API_THROTTLING = False
    sponsor = UserFactory()
    workers = [enrollment(sponsor=sponsor), enrollment(sponsor=sponsor)]
    invoice = services.invoice_create(sponsor=sponsor, items=[{"worker": w.pk, "months": 3} for w in workers])
    payload = ledger_settles(invoice)
    already = len(notify_file.messages())  # the approval messages
    clients = [client_for(sponsor) for _ in range(5)]

    results = run_together(lambda n: notify(clients[n], payload).status_code, 5)
    assert results == [200] * 5
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.count() == 1
    assert CoverageMonth.objects.count() == 6
    assert InboxItem.objects.filter(kind="payment_received").count() == 1
    sent = notify_file.messages()[already:]
    assert sorted(m["to"] for m in sent) == sorted([sponsor.phone, *(w.phone for w in workers)])
    assert sum(invoice.number in m["body"] for m in sent) == 1  # one receipt
    for worker in workers:
        worker.refresh_from_db()
        assert worker.member.paid_through == D(2027, 2, 1)
