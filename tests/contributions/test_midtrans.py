"""The Midtrans adapter against a local fake Midtrans (a real HTTP server on 127.0.0.1): the charge
request, outages and timeouts at invoice creation, and confirmation by status lookup before credit."""

import base64
import datetime
import json
import socket
import time
import uuid

import pytest
from django.utils import timezone

from contributions import services
from contributions.models import CoverageMonth, GatewayNotification, Invoice, InvoiceMonth, Payment
from tests.api import first_error
from tests.contributions.conftest import invoice_post, notify, signed
from tests.factories import enrollment
from tests.fakeserver import LocalHttpServer, QuietHandler, reply_json

pytestmark = pytest.mark.usefixtures("reference", "december", "no_throttle")

SERVER_KEY = "SB-test"


class FakeMidtrans(LocalHttpServer):
    """Implements POST /v2/charge, GET /v2/{order_id}/status and POST /v2/{order_id}/cancel.

    `mode` is "ok", "500", "404" or "slow" (sleeps `slow_seconds` before answering); `status_mode`
    applies to the status lookup only (default: `mode`)."""

    def __init__(self):
        self.mode = "ok"
        self.status_mode = None
        self.slow_seconds = 1.5
        self.requests: list[dict] = []
        self.orders: dict[str, dict] = {}
        fake = self

        class Handler(QuietHandler):
            def _answer(self, status: int, body: dict):
                try:
                    reply_json(self, body, status)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake.requests.append(
                    {"method": method, "path": self.path, "headers": dict(self.headers),
                     "json": json.loads(raw) if raw else None}
                )
                is_status = method == "GET" and self.path.endswith("/status")
                mode = (fake.status_mode if is_status and fake.status_mode else fake.mode)
                if mode == "slow":
                    time.sleep(fake.slow_seconds)
                elif mode == "500":
                    return self._answer(500, {"status_code": "500", "status_message": "Internal error"})
                elif mode == "404":
                    return self._answer(404, {"status_code": "404", "status_message": "Not found"})
                parts = self.path.strip("/").split("/")
                if method == "POST" and parts == ["v2", "charge"]:
                    return self._answer(201, fake.charge(fake.requests[-1]["json"]))
                if len(parts) == 3 and parts[0] == "v2":
                    order = fake.orders.get(parts[1])
                    if order is None:
                        return self._answer(404, {"status_code": "404", "status_message": "Transaction doesn't exist."})
                    if method == "GET" and parts[2] == "status":
                        return self._answer(200, order)
                    if method == "POST" and parts[2] == "cancel":
                        order.update(transaction_status="cancel", status_code="200")
                        return self._answer(200, order)
                return self._answer(404, {"status_code": "404"})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.serve(Handler)
        self.url = self.base_url

    def charge(self, body: dict) -> dict:
        order_id = body["transaction_details"]["order_id"]
        amount = body["transaction_details"]["gross_amount"]
        va = f"{len(self.orders) + 1:011d}"
        self.orders[order_id] = {
            "status_code": "201",
            "status_message": "Success, Bank Transfer transaction is created",
            "transaction_id": str(uuid.uuid4()),
            "order_id": order_id,
            "gross_amount": f"{amount}.00",
            "currency": "IDR",
            "payment_type": "bank_transfer",
            "transaction_status": "pending",
            "fraud_status": "accept",
            "va_numbers": [{"bank": "bca", "va_number": va}],
        }
        return dict(self.orders[order_id])

    def set_status(self, order_id: str, transaction_status: str, **fields):
        self.orders[order_id].update(
            transaction_status=transaction_status,
            status_code="200" if transaction_status in ("settlement", "capture") else "201",
            **fields,
        )

    def calls(self, method: str, suffix: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(suffix)]


@pytest.fixture
def midtrans(settings, monkeypatch):
    with FakeMidtrans() as fake:
        settings.PAYMENT_GATEWAY = "midtrans"
        settings.MIDTRANS_BASE_URL = fake.url
        settings.MIDTRANS_SERVER_KEY = SERVER_KEY
        monkeypatch.setattr("contributions.gateways.midtrans.TIMEOUT", (0.5, 0.5))
        yield fake


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
