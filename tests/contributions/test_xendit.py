"""Xendit, the second gateway, against a local fake Xendit (tests/contributions/fakes.py): the payment
request of every method it offers, callbacks with `x-callback-token`, confirmation by status lookup
before credit, expiry, reconciliation without any callback, and switching gateways."""

import base64
import datetime

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from contributions import services
from contributions.gateways.methods import METHODS
from contributions.gateways.xendit import CHANNELS, _time
from contributions.models import CoverageMonth, GatewayNotification, Invoice, Payment
from tests.api import first_error
from tests.contributions.conftest import (
    MIDTRANS_SERVER_KEY,
    XENDIT_CALLBACK_TOKEN,
    XENDIT_SECRET_KEY,
    invoice_post,
    notify,
    signed,
    xendit_notify,
)
from tests.contributions.fakes import FakeMidtrans
from tests.factories import enrollment

pytestmark = pytest.mark.usefixtures("reference", "december", "no_throttle")

XENDIT_CODES = list(CHANNELS)


@pytest.fixture
def worker(user):
    made = enrollment(sponsor=user)
    assert made.status == "approved"
    return made


@pytest.fixture
def invoice(user, worker, xendit) -> Invoice:
    return services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 3}], payment_method="va_bni")


def expected_block(code: str, request: dict) -> dict:
    actions = {action["descriptor"]: action["value"] for action in request["actions"]}
    kind = METHODS[code].kind
    if kind == "va":
        return {"va_number": actions["VIRTUAL_ACCOUNT_NUMBER"], "bank": METHODS[code].bank}
    if kind == "retail":
        return {"payment_code": actions["PAYMENT_CODE"], "store": METHODS[code].store}
    if kind == "qris":
        return {"qr_string": actions["QR_STRING"]}
    return {"deeplink_url": actions["DEEPLINK_URL"]}


# --- opening a payment -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", XENDIT_CODES)
def test_every_method_is_a_payment_request_as_xendit_documents_it(auth_client, worker, xendit, code):
    before = timezone.now()
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 3}], payment_method=code)
    assert response.status_code == 201, response.content
    body = response.json()
    [call] = xendit.calls("POST", "/v3/payment_requests")
    assert call["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{XENDIT_SECRET_KEY}:".encode()).decode()
    assert call["headers"]["api-version"] == "2024-11-11"
    sent = call["json"]
    assert {k: sent[k] for k in ("reference_id", "type", "country", "currency", "request_amount", "capture_method", "channel_code")} == {
        "reference_id": body["number"], "type": "PAY", "country": "ID", "currency": "IDR", "request_amount": 102000,
        "capture_method": "AUTOMATIC", "channel_code": CHANNELS[code],
    }
    lifetime = METHODS[code].lifetime
    if METHODS[code].kind in ("va", "retail"):
        assert parse_datetime(sent["channel_properties"]["expires_at"]) == parse_datetime(body["payment"]["expires_at"]).replace(microsecond=0)
    payment = dict(body["payment"])
    assert {k: payment.pop(k) for k in ("gateway", "method")} == {"gateway": "xendit", "method": code}
    expires = parse_datetime(payment.pop("expires_at"))
    assert before + lifetime - datetime.timedelta(minutes=1) <= expires <= timezone.now() + lifetime
    request = xendit.find(body["number"])
    expected = expected_block(code, request)
    if METHODS[code].kind == "qris":
        expected["qr_url"] = f"{django_settings.PUBLIC_BASE_URL}/api/v1/invoices/{body['id']}/qr.png"
    assert payment == expected
    invoice = Invoice.objects.get()
    assert (invoice.gateway, invoice.payment_method, invoice.gateway_reference) == ("xendit", code, request["payment_request_id"])


@pytest.mark.parametrize("outage", ["500", "slow", "401"])
def test_xendit_down_or_refusing_at_invoice_creation_is_503_and_nothing_is_written(auth_client, worker, xendit, settings, outage):
    if outage == "401":
        settings.XENDIT_SECRET_KEY = "xnd_development_wrong"
    else:
        xendit.mode = outage
        xendit.slow_seconds = 1.0
    auth_client.raise_request_exception = False
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], payment_method="qris")
    assert response.status_code == 503, response.content
    assert first_error(response)[0] == "gateway_unavailable"
    assert Invoice.objects.count() == 0


# --- callbacks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", XENDIT_CODES)
def test_every_method_is_credited_after_the_status_lookup_confirms_the_callback(api_client, user, worker, xendit, code):
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 3}], payment_method=code)
    callback = xendit.pay(invoice.number)
    response = xendit_notify(api_client, callback)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}
    assert len(xendit.calls("GET", f"/v3/payment_requests/{invoice.gateway_reference}")) == 1
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    payment = Payment.objects.get()
    assert (payment.gateway, payment.credited, payment.gross_amount) == ("xendit", True, invoice.total)
    assert payment.transaction_id == invoice.gateway_reference
    assert CoverageMonth.objects.count() == 3
    notification = GatewayNotification.objects.get()
    assert (notification.gateway, notification.order_id, notification.transaction_status) == ("xendit", invoice.number, "SUCCEEDED")
    assert notification.processed_at is not None
    # Xendit retries: the same callback again changes nothing.
    assert xendit_notify(api_client, callback).status_code == 200
    assert Payment.objects.count() == 1 and CoverageMonth.objects.count() == 3


@pytest.mark.parametrize("token", [None, "", "wrong-token", XENDIT_CALLBACK_TOKEN + "x", XENDIT_CALLBACK_TOKEN[:-1]])
def test_a_wrong_or_missing_callback_token_is_401_and_nothing_changes(api_client, invoice, xendit, token):
    callback = xendit.pay(invoice.number)
    response = xendit_notify(api_client, callback, token=token)
    assert response.status_code == 401
    assert first_error(response)[0] == "signature_invalid"
    assert GatewayNotification.objects.count() == 0
    assert not xendit.calls("GET", "/v3/payment_requests/" + invoice.gateway_reference)
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


def test_a_callback_that_lies_is_not_credited(api_client, invoice, xendit):
    """A replayed or forged body saying SUCCEEDED, while Xendit says the request still waits."""
    callback = xendit.callback(invoice.number, status="SUCCEEDED")
    assert xendit_notify(api_client, callback).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert Payment.objects.count() == CoverageMonth.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [[], "text", {}, {"event": "payment.capture"}, {"data": {"status": "SUCCEEDED"}}, {"data": {"reference_id": "x"}}, {"data": []}],
)
def test_a_malformed_callback_with_the_right_token_is_400(api_client, invoice, xendit, body):
    response = xendit_notify(api_client, body)
    assert response.status_code == 400
    assert GatewayNotification.objects.count() == 0


def test_a_callback_for_an_unknown_order_is_404(api_client, invoice, xendit):
    callback = xendit.callback(invoice.number)
    callback["data"]["reference_id"] = "INV-209901-999999"
    assert xendit_notify(api_client, callback).status_code == 404


def test_a_failed_payment_leaves_the_invoice_payable_until_it_expires(api_client, invoice, xendit):
    callback = xendit.callback(invoice.number, event="payment.failure", status="FAILED")
    assert xendit_notify(api_client, callback).status_code == 200
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


def test_an_amount_that_differs_goes_to_review(api_client, invoice, xendit):
    xendit.set_status(invoice.number, "SUCCEEDED")
    xendit.find(invoice.number)["request_amount"] = invoice.total - 1
    assert xendit_notify(api_client, xendit.callback(invoice.number)).status_code == 200
    invoice.refresh_from_db()
    assert (invoice.status, invoice.review_reason) == ("needs_review", "amount_mismatch")
    assert CoverageMonth.objects.count() == 0


def test_a_lookup_that_times_out_leaves_the_callback_for_reconciliation(api_client, invoice, xendit, monkeypatch):
    monkeypatch.setattr("contributions.gateways.xendit.TIMEOUT", (0.2, 0.2))
    callback = xendit.pay(invoice.number)
    xendit.status_mode, xendit.slow_seconds = "slow", 1.0
    assert xendit_notify(api_client, callback).status_code == 200
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"
    xendit.status_mode = None
    GatewayNotification.objects.update(received_at=timezone.now() - datetime.timedelta(minutes=5))
    services.invoices_reconcile()
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_money_xendit_took_before_a_cancel_is_credited_and_after_it_is_reviewed(auth_client, user, worker, xendit):
    """A succeeded payment request's `updated` is when the money came (wt-k's rule for money and closed
    invoices: a gateway's own clock decides)."""
    before = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method="va_bni")
    xendit.pay(before.number)  # paid at the bank a moment before the sponsor cancelled here
    assert auth_client.post(f"/api/v1/invoices/{before.pk}/cancel").status_code == 200
    assert services.invoice_sync(invoice=Invoice.objects.get(pk=before.pk)).status == "paid"

    other = enrollment(sponsor=user)
    after = services.invoice_create(sponsor=user, items=[{"worker": other.pk, "months": 1}], payment_method="va_bni")
    assert auth_client.post(f"/api/v1/invoices/{after.pk}/cancel").status_code == 200
    xendit.set_status(after.number, "SUCCEEDED")  # the money came after the cancel
    after = services.invoice_sync(invoice=Invoice.objects.get(pk=after.pk))
    assert (after.status, after.review_reason) == ("needs_review", "invoice_closed")
    assert not CoverageMonth.objects.filter(member__sponsorships=other).exists()


def test_xendit_times_are_read_as_utc():
    assert _time("2026-12-05T03:31:02.123Z") == datetime.datetime(2026, 12, 5, 3, 31, 2, 123000, tzinfo=datetime.timezone.utc)
    assert _time(None) is None and _time("05/12/2026") is None and _time("2026-12-05T03:31:02") is None


# --- reconciliation and expiry -------------------------------------------------------------------------


def test_reconciliation_credits_a_payment_whose_callback_never_came(invoice, xendit):
    """Xendit never retries a timed-out callback: the job asks about pending Xendit invoices."""
    xendit.pay(invoice.number)  # paid, but the callback was lost
    services.invoices_reconcile()
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"  # too fresh to ask about yet
    Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert CoverageMonth.objects.count() == 3
    services.invoices_reconcile()
    assert Payment.objects.count() == 1


def test_reconciliation_takes_turns_over_pending_xendit_invoices(user, xendit, worker):
    other = enrollment(sponsor=user)
    first = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method="qris")
    second = services.invoice_create(sponsor=user, items=[{"worker": other.pk, "months": 1}], payment_method="qris")
    Invoice.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    services.invoices_reconcile(limit=1)
    services.invoices_reconcile(limit=1)
    asked = {call["path"].rsplit("/", 1)[1] for call in xendit.calls("GET", "")}
    assert asked == {first.gateway_reference, second.gateway_reference}


@pytest.mark.parametrize("code", XENDIT_CODES)
def test_every_method_expires_here_and_is_cancelled_at_xendit(user, worker, xendit, code):
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method=code)
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "expired"
    assert len(xendit.calls("POST", f"/v3/payment_requests/{invoice.gateway_reference}/cancel")) == 1
    assert xendit.find(invoice.number)["status"] == "CANCELED"


def test_reconciliation_expires_what_xendit_expired(invoice, xendit):
    xendit.set_status(invoice.number, "EXPIRED")
    Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    services.invoices_reconcile()
    assert Invoice.objects.get(pk=invoice.pk).status == "expired"


def test_cancelling_cancels_at_xendit(auth_client, invoice, xendit):
    response = auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel")
    assert response.status_code == 200
    assert xendit.find(invoice.number)["status"] == "CANCELED"


def test_reconciliation_leaves_invoices_alone_while_xendit_is_down(invoice, xendit):
    xendit.mode = "500"
    Invoice.objects.filter(pk=invoice.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1), created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    services.invoices_reconcile()
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


# --- which gateways are heard ----------------------------------------------------------------------------


def test_without_xendit_keys_its_endpoint_answers_404(api_client, settings):
    settings.XENDIT_SECRET_KEY = ""
    settings.XENDIT_CALLBACK_TOKEN = ""
    response = api_client.post("/api/v1/payments/notifications/xendit", {"data": {}}, format="json",
                               HTTP_X_CALLBACK_TOKEN="")
    assert response.status_code == 404
    settings.XENDIT_SECRET_KEY = XENDIT_SECRET_KEY  # a key without the callback token: still not heard
    assert xendit_notify(api_client, {"data": {}}).status_code == 404


def test_unknown_gateway_is_404(api_client):
    assert api_client.post("/api/v1/payments/notifications/paypal", {}, format="json").status_code == 404


def test_switching_gateways_never_strands_a_payment_already_opened(api_client, user, worker, settings, monkeypatch):
    """A VA opened through Midtrans is paid after the switch to Xendit: Midtrans' notification still
    settles it, because Midtrans' key is still configured."""
    with FakeMidtrans(MIDTRANS_SERVER_KEY) as midtrans:
        settings.PAYMENT_GATEWAY = "midtrans"
        settings.MIDTRANS_BASE_URL = midtrans.url
        settings.MIDTRANS_SERVER_KEY = MIDTRANS_SERVER_KEY
        opened = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method="va_bri")
        settings.PAYMENT_GATEWAY = "xendit"
        settings.XENDIT_SECRET_KEY, settings.XENDIT_CALLBACK_TOKEN = XENDIT_SECRET_KEY, XENDIT_CALLBACK_TOKEN
        midtrans.set_status(opened.number, "settlement")
        body = signed(opened.number, "settlement", opened.total, server_key=MIDTRANS_SERVER_KEY)
        assert notify(api_client, body, gateway="midtrans").status_code == 200
        assert Invoice.objects.get(pk=opened.pk).status == "paid"
        # With Midtrans' key gone, its endpoint is gone too.
        settings.MIDTRANS_SERVER_KEY = ""
        assert notify(api_client, body, gateway="midtrans").status_code == 404


def test_the_simulator_is_heard_only_while_its_key_is_set(api_client, user, worker, settings):
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}])
    settings.PAYMENT_GATEWAY = "midtrans"
    settings.MIDTRANS_SERVER_KEY = MIDTRANS_SERVER_KEY
    assert notify(api_client, signed(invoice.number, "pending", invoice.total)).status_code == 200
    settings.PAYMENT_SIMULATOR_SERVER_KEY = ""
    assert notify(api_client, signed(invoice.number, "pending", invoice.total, server_key="")).status_code == 404
