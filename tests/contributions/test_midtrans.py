"""The Midtrans adapter against a local fake Midtrans (a real HTTP server on 127.0.0.1): the charge
request, outages and timeouts at invoice creation, and confirmation by status lookup before credit."""

import base64
import datetime
import socket
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from contributions import services
from contributions.gateways import GatewayRefused
from contributions.gateways.midtrans import MidtransGateway
from contributions.gateways.methods import METHODS, ONE_OFF_CODES as CODES
from contributions.models import CoverageMonth, GatewayNotification, Invoice, InvoiceMonth, Payment
from tests.api import first_error
from tests.contributions.conftest import MIDTRANS_SERVER_KEY, invoice_post, notify, signed
from tests.factories import enrollment

pytestmark = pytest.mark.usefixtures("reference", "december", "no_throttle")

SERVER_KEY = MIDTRANS_SERVER_KEY


@pytest.fixture
def worker(user):
    made = enrollment(sponsor=user)
    assert made.status == "approved"
    return made


@pytest.fixture
def invoice(user, worker, midtrans) -> Invoice:
    return services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}])


def midtrans_notification(invoice: Invoice, status: str, **extra) -> dict:
    return signed(invoice.number, status, invoice.total, server_key=SERVER_KEY, **extra)


# --- the charge ----------------------------------------------------------------------------------------


def test_charge_request_and_the_va_it_returns(auth_client, worker, midtrans):
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 3}])
    assert response.status_code == 201, response.content
    body = response.json()
    [call] = midtrans.calls("POST", "/v2/charge")
    assert call["headers"]["Authorization"] == "Basic " + base64.b64encode(b"SB-test:").decode()
    assert call["headers"]["Content-Type"].startswith("application/json")
    assert call["json"]["payment_type"] == "bank_transfer"
    assert call["json"]["transaction_details"] == {"order_id": body["number"], "gross_amount": 102000}
    assert isinstance(call["json"]["transaction_details"]["gross_amount"], int)
    assert call["json"]["bank_transfer"]["bank"]
    order = midtrans.orders[body["number"]]
    assert body["payment"]["gateway"] == "midtrans"
    assert body["payment"]["va_number"] == order["va_numbers"][0]["va_number"]
    invoice = Invoice.objects.get()
    assert (invoice.gateway, invoice.va_number, invoice.gateway_reference) == (
        "midtrans", order["va_numbers"][0]["va_number"], order["transaction_id"]
    )


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("outage", ["500", "slow", "refused"])
def test_gateway_outage_at_invoice_creation_is_503_and_leaves_nothing(auth_client, worker, midtrans, settings, outage):
    if outage == "refused":
        settings.MIDTRANS_BASE_URL = closed_port_url()
    else:
        midtrans.mode = outage
    # A 5xx is reported through Django's got_request_exception signal, which the test client turns
    # back into an exception by default; the client of a real server just gets the response.
    auth_client.raise_request_exception = False
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], key="outage")
    assert response.status_code == 503, response.content
    assert response.json()["type"] == "server_error"
    assert first_error(response)[0] == "gateway_unavailable"
    assert Invoice.objects.count() == InvoiceMonth.objects.count() == 0

    # The gateway is back: the client's retry with the same key goes through.
    settings.MIDTRANS_BASE_URL = midtrans.url
    midtrans.mode = "ok"
    retry = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], key="outage")
    assert retry.status_code == 201, retry.content
    assert Invoice.objects.count() == 1


def test_a_refused_charge_is_503(auth_client, worker, midtrans):
    midtrans.mode = "404"
    auth_client.raise_request_exception = False
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}])
    assert response.status_code == 503
    assert first_error(response)[0] == "gateway_unavailable"
    assert Invoice.objects.count() == 0


# --- notifications -------------------------------------------------------------------------------------


def test_settlement_is_credited_after_the_status_lookup_confirms_it(api_client, invoice, midtrans):
    midtrans.set_status(invoice.number, "settlement")
    response = notify(api_client, midtrans_notification(invoice, "settlement"), gateway="midtrans")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(midtrans.calls("GET", f"/v2/{invoice.number}/status")) == 1
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    payment = Payment.objects.get()
    assert payment.gateway == "midtrans" and payment.credited and payment.gross_amount == invoice.total
    assert payment.transaction_id == midtrans.orders[invoice.number]["transaction_id"]
    assert CoverageMonth.objects.count() == 1
    assert GatewayNotification.objects.get().processed_at is not None


def test_settlement_is_not_credited_while_midtrans_says_pending(api_client, invoice, midtrans):
    response = notify(api_client, midtrans_notification(invoice, "settlement"), gateway="midtrans")
    assert response.status_code == 200
    assert midtrans.calls("GET", f"/v2/{invoice.number}/status")
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert Payment.objects.count() == CoverageMonth.objects.count() == 0


def test_simulator_key_does_not_sign_midtrans_notifications(api_client, invoice, midtrans):
    midtrans.set_status(invoice.number, "settlement")
    response = notify(api_client, signed(invoice.number, "settlement", invoice.total), gateway="midtrans")
    assert response.status_code == 401
    assert first_error(response)[0] == "signature_invalid"
    assert not midtrans.calls("GET", "/status")
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


def test_capture_pays_only_when_fraud_status_is_accept(api_client, invoice, midtrans):
    midtrans.set_status(invoice.number, "capture", fraud_status="challenge")
    body = midtrans_notification(invoice, "capture", fraud_status="accept")  # the body lies; the lookup decides
    assert notify(api_client, body, gateway="midtrans").status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert Payment.objects.count() == 0

    midtrans.set_status(invoice.number, "capture", fraud_status="accept")
    assert notify(api_client, body, gateway="midtrans").status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.filter(credited=True).count() == 1


def test_status_lookup_timeout_leaves_the_notification_for_reconciliation(api_client, invoice, midtrans, monkeypatch):
    monkeypatch.setattr("contributions.gateways.midtrans.TIMEOUT", (0.2, 0.2))
    midtrans.set_status(invoice.number, "settlement")
    midtrans.status_mode = "slow"
    midtrans.slow_seconds = 1.0
    response = notify(api_client, midtrans_notification(invoice, "settlement"), gateway="midtrans")
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert Payment.objects.count() == 0
    notification = GatewayNotification.objects.get()
    assert notification.processed_at is None

    # Midtrans is back; the periodic job picks the stored notification up.
    midtrans.status_mode = None
    GatewayNotification.objects.filter(pk=notification.pk).update(
        received_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert CoverageMonth.objects.count() == 1
    notification.refresh_from_db()
    assert notification.processed_at is not None
    services.invoices_reconcile()
    assert Payment.objects.count() == 1


def test_status_lookup_error_changes_nothing(api_client, invoice, midtrans):
    midtrans.set_status(invoice.number, "settlement")
    midtrans.status_mode = "500"
    assert notify(api_client, midtrans_notification(invoice, "settlement"), gateway="midtrans").status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert GatewayNotification.objects.get().processed_at is None


def test_reconcile_expires_a_stale_invoice_midtrans_still_calls_pending(invoice, midtrans):
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "expired"


def test_reconcile_credits_a_stale_invoice_midtrans_settled(invoice, midtrans):
    midtrans.set_status(invoice.number, "settlement")
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_reconcile_leaves_an_invoice_alone_while_midtrans_is_down(invoice, midtrans):
    midtrans.mode = "500"
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "pending"


def test_cancel_asks_midtrans_to_cancel(auth_client, invoice, midtrans):
    response = auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert len(midtrans.calls("POST", f"/v2/{invoice.number}/cancel")) == 1
    assert midtrans.orders[invoice.number]["transaction_status"] == "cancel"


def test_cancel_succeeds_while_midtrans_is_down(auth_client, invoice, midtrans):
    midtrans.mode = "500"
    response = auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel")
    assert response.status_code == 200
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"


def wib(moment: datetime.datetime) -> str:
    return timezone.localtime(moment, ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("action, code", [("cancel", "200"), ("expire", "407")])
def test_midtrans_closes_a_pending_payment_with_its_documented_answer(invoice, midtrans, action, code):
    """docs.midtrans.com/reference/cancel-transaction (200), …/reference-link/expire-transaction (407)."""
    getattr(MidtransGateway(), action)(order_id=invoice.number)
    assert midtrans.orders[invoice.number]["transaction_status"] == action
    assert midtrans.orders[invoice.number]["status_code"] == code


@pytest.mark.parametrize("action", ["cancel", "expire"])
@pytest.mark.parametrize("state", ["settlement", "expire", "cancel"])
def test_a_refusal_to_close_is_not_success(invoice, midtrans, action, state):
    """Midtrans answers 412 "Merchant cannot modify the status of the transaction" for a payment no
    longer pending: before, cancel() and expire() returned as if it had been closed."""
    midtrans.set_status(invoice.number, state)
    with pytest.raises(GatewayRefused, match="412"):
        getattr(MidtransGateway(), action)(order_id=invoice.number)


def test_cancelling_an_invoice_midtrans_has_just_been_paid_credits_it(auth_client, invoice, midtrans):
    """The payer paid a moment before the sponsor cancelled: Midtrans refuses the cancel (412) and the
    payment is credited at once, not left on a cancelled invoice until a notification comes."""
    midtrans.set_status(invoice.number, "settlement", settlement_time=wib(timezone.now() - datetime.timedelta(minutes=1)))
    response = auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel")
    assert response.status_code == 200
    assert len(midtrans.calls("POST", f"/v2/{invoice.number}/cancel")) == 1
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.get(invoice=invoice).credited


def test_expiring_an_invoice_midtrans_has_just_been_paid_credits_it(invoice, midtrans):
    """Paid between the status lookup and the expire: Midtrans refuses the expire (412); the invoice is
    asked about again, not left expired with the money taken."""
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    real_status = MidtransGateway.get_status
    calls = []

    def paid_after_the_first_lookup(self, **kwargs):
        answer = real_status(self, **kwargs)
        if not calls:
            midtrans.set_status(invoice.number, "settlement", settlement_time=wib(timezone.now()))
        calls.append(answer)
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MidtransGateway, "get_status", paid_after_the_first_lookup)
        invoice = services.invoice_expire_if_stale(invoice=Invoice.objects.get(pk=invoice.pk))
    assert len(midtrans.calls("POST", f"/v2/{invoice.number}/expire")) == 1
    assert len(calls) == 2
    assert invoice.status in ("paid", "needs_review")
    assert Payment.objects.filter(invoice=invoice).exists()


# --- every method ------------------------------------------------------------------------------------

# What the charge request carries for each method (docs.midtrans.com/reference/charge-api and each
# method's page; see tests/contributions/fakes.py).
CHARGE_SHAPES = {
    "va_bca": ("bank_transfer", {"bank_transfer": {"bank": "bca"}}),
    "va_bni": ("bank_transfer", {"bank_transfer": {"bank": "bni"}}),
    "va_bri": ("bank_transfer", {"bank_transfer": {"bank": "bri"}}),
    "va_permata": ("bank_transfer", {"bank_transfer": {"bank": "permata"}}),
    "va_cimb": ("bank_transfer", {"bank_transfer": {"bank": "cimb"}}),
    "mandiri_bill": ("echannel", {}),
    "qris": ("qris", {"qris": {"acquirer": "gopay"}}),
    "gopay": ("gopay", {}),
    "shopeepay": ("shopeepay", {}),
    "indomaret": ("cstore", {}),
    "alfamart": ("cstore", {}),
}


def expected_block(code: str, order: dict, invoice_id: int) -> dict:
    """The `payment` block API.md gives for the method, filled from what the fake Midtrans answered."""
    kind = METHODS[code].kind
    if kind == "va":
        va = order.get("permata_va_number") or order["va_numbers"][0]["va_number"]
        return {"va_number": va, "bank": METHODS[code].bank}
    if kind == "bill":
        return {"bill_key": order["bill_key"], "biller_code": order["biller_code"]}
    if kind == "qris":
        return {"qr_string": order["qr_string"], "qr_url": f"{django_settings.PUBLIC_BASE_URL}/api/v1/invoices/{invoice_id}/qr.png"}
    if kind == "ewallet":
        [deeplink] = [a["url"] for a in order["actions"] if a["name"] == "deeplink-redirect"]
        return {"deeplink_url": deeplink}
    return {"payment_code": order["payment_code"], "store": order["store"]}


@pytest.mark.parametrize("code", CODES)
def test_every_method_is_charged_as_midtrans_documents_it(auth_client, worker, midtrans, code):
    before = timezone.now()
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 3}], payment_method=code)
    assert response.status_code == 201, response.content
    body = response.json()
    [call] = midtrans.calls("POST", "/v2/charge")
    payment_type, objects = CHARGE_SHAPES[code]
    assert call["json"]["payment_type"] == payment_type
    assert call["json"]["transaction_details"] == {"order_id": body["number"], "gross_amount": 102000}
    for name, value in objects.items():
        assert call["json"][name] == value
    if payment_type == "echannel":
        assert call["json"]["echannel"]["bill_info1"] and call["json"]["echannel"]["bill_info2"]
    if payment_type == "cstore":
        assert call["json"]["cstore"]["store"] == code
    lifetime = METHODS[code].expires_in_minutes
    assert call["json"]["custom_expiry"] == {"expiry_duration": lifetime, "unit": "minute"}

    order = midtrans.orders[body["number"]]
    payment = dict(body["payment"])
    assert {k: payment.pop(k) for k in ("gateway", "method")} == {"gateway": "midtrans", "method": code}
    expires = parse_datetime(payment.pop("expires_at"))
    assert before + datetime.timedelta(minutes=lifetime - 1) <= expires <= timezone.now() + datetime.timedelta(minutes=lifetime)
    assert payment == expected_block(code, order, body["id"])
    invoice = Invoice.objects.get()
    assert (invoice.payment_method, invoice.gateway_reference) == (code, order["transaction_id"])
    assert auth_client.get(f"/api/v1/invoices/{invoice.pk}").json()["payment"] == body["payment"]


@pytest.mark.parametrize("code", CODES)
def test_every_method_settles_after_the_status_lookup(api_client, user, worker, midtrans, code):
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 3}], payment_method=code)
    assert notify(api_client, midtrans_notification(invoice, "settlement"), gateway="midtrans").status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "pending"  # Midtrans still says pending: the notification alone pays nothing

    midtrans.set_status(invoice.number, "settlement")
    assert notify(api_client, midtrans_notification(invoice, "settlement"), gateway="midtrans").status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert len(midtrans.calls("GET", f"/v2/{invoice.number}/status")) == 2
    assert Payment.objects.get().transaction_id == midtrans.orders[invoice.number]["transaction_id"]
    assert CoverageMonth.objects.count() == 3


@pytest.mark.parametrize("code", CODES)
def test_every_method_expires_here_and_at_midtrans(user, worker, midtrans, code):
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method=code)
    assert invoice.expires_at <= timezone.now() + METHODS[code].lifetime
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "expired"
    assert len(midtrans.calls("POST", f"/v2/{invoice.number}/expire")) == 1
    assert midtrans.orders[invoice.number]["transaction_status"] == "expire"
    assert midtrans.orders[invoice.number]["status_code"] == "407"


def test_a_charge_answer_without_what_the_payer_needs_is_503(auth_client, worker, midtrans, monkeypatch):
    real = midtrans.charge

    def without_deeplink(body):
        status, answer = real(body)
        answer.pop("actions", None)
        return status, answer

    monkeypatch.setattr(midtrans, "charge", without_deeplink)
    auth_client.raise_request_exception = False
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], payment_method="gopay")
    assert response.status_code == 503
    assert first_error(response)[0] == "gateway_unavailable"
    assert Invoice.objects.count() == 0
