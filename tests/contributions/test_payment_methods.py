"""Payment methods (API.md "Payment methods"): the catalogue, `payment_method` on POST /invoices with
its bounds, the `payment` block of each kind, the QRIS image, and the simulator paying every method."""

import datetime

import pytest
from django.utils import timezone

from contributions import services
from contributions.gateways.methods import METHODS, ONE_OFF_CODES as CODES
from contributions.models import CoverageMonth, Invoice, Payment, SimulatorTransaction
from tests.api import first_error
from tests.contributions.conftest import invoice_post
from tests.factories import enrollment

pytestmark = pytest.mark.usefixtures("reference", "december", "no_throttle")

API_CODES = {"va_bca", "va_bni", "va_bri", "va_permata", "va_cimb", "mandiri_bill", "qris", "gopay", "shopeepay", "indomaret", "alfamart"}
KIND_FIELDS = {
    "va": {"va_number", "bank"},
    "bill": {"bill_key", "biller_code"},
    "qris": {"qr_string", "qr_url"},
    "ewallet": {"deeplink_url"},
    "retail": {"payment_code", "store"},
}


@pytest.fixture
def worker(user):
    made = enrollment(sponsor=user)
    assert made.status == "approved"
    return made


# --- GET /payment-methods --------------------------------------------------------------------------


def test_the_catalogue_is_public_and_lists_every_method_of_the_simulator(api_client):
    response = api_client.get("/api/v1/payment-methods")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert [row["code"] for row in body] == list(CODES)
    assert set(CODES) == API_CODES
    for row in body:
        assert set(row) == {"code", "name", "kind", "min_amount", "max_amount", "expires_in_minutes", "instructions"}
        assert row["kind"] in KIND_FIELDS
        assert 1 <= row["min_amount"] < row["max_amount"]
        assert row["expires_in_minutes"] > 0
        assert row["instructions"] and all(isinstance(step, str) and step for step in row["instructions"])
    by_code = {row["code"]: row for row in body}
    assert by_code["va_bri"]["kind"] == "va" and by_code["mandiri_bill"]["kind"] == "bill"
    assert by_code["indomaret"]["kind"] == "retail" and by_code["gopay"]["kind"] == "ewallet"
    assert by_code["qris"]["expires_in_minutes"] == 15 and by_code["va_bca"]["expires_in_minutes"] == 24 * 60


def test_instructions_follow_the_request_language(api_client):
    indonesian = {row["code"]: row for row in api_client.get("/api/v1/payment-methods").json()}
    english = {row["code"]: row for row in api_client.get("/api/v1/payment-methods", HTTP_ACCEPT_LANGUAGE="en").json()}
    for code in CODES:
        assert indonesian[code]["instructions"] == METHODS[code].instructions["id"]
        assert english[code]["instructions"] == METHODS[code].instructions["en"]
        assert indonesian[code]["instructions"] != english[code]["instructions"]


def test_the_catalogue_is_the_configured_gateways(api_client, settings, xendit):
    body = api_client.get("/api/v1/payment-methods").json()
    by_code = {row["code"]: row for row in body}
    # Xendit offers no GoPay and no Mandiri *bill* (its Mandiri channel is a VA number).
    assert set(by_code) == API_CODES - {"gopay", "mandiri_bill"}
    assert (by_code["va_bca"]["min_amount"], by_code["va_bca"]["max_amount"]) == (10_000, 50_000_000)


# --- payment_method on POST /invoices -----------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_every_method_opens_its_kind_through_the_simulator_and_the_simulator_pays_it(auth_client, worker, code):
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 3}], payment_method=code)
    assert response.status_code == 201, response.content
    body = response.json()
    method = METHODS[code]
    payment = body["payment"]
    assert set(payment) == {"gateway", "method", "expires_at"} | KIND_FIELDS[method.kind]
    assert (payment["gateway"], payment["method"]) == ("simulator", code)
    assert all(payment[name] for name in KIND_FIELDS[method.kind])
    if method.kind == "va":
        assert payment["bank"] == method.bank
    if method.kind == "retail":
        assert payment["store"] == method.store
    invoice = Invoice.objects.get()
    assert SimulatorTransaction.objects.get(order_id=invoice.number).method == code
    assert invoice.expires_at <= timezone.now() + method.lifetime

    paid = auth_client.post("/api/v1/payments/simulator/pay", {"number": body["number"]}, format="json")
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "paid"
    assert paid.json()["payment"] == payment
    assert Payment.objects.get().credited
    assert CoverageMonth.objects.count() == 3


def test_without_a_method_the_default_setting_applies(auth_client, worker, settings):
    settings.DEFAULT_PAYMENT_METHOD = "va_bri"
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}])
    assert response.status_code == 201, response.content
    assert (response.json()["payment"]["method"], response.json()["payment"]["bank"]) == ("va_bri", "bri")


@pytest.mark.parametrize("value", ["bitcoin", "", "VA_BCA", 5, True, ["qris"], {"code": "qris"}, "x" * 500])
def test_an_unknown_method_is_payment_method_invalid_and_nothing_is_written(auth_client, worker, value):
    response = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], payment_method=value)
    assert response.status_code == 400, response.content
    assert first_error(response) == ("payment_method_invalid", "payment_method")
    assert Invoice.objects.count() == SimulatorTransaction.objects.count() == 0


def test_a_method_the_gateway_does_not_offer_is_payment_method_invalid(auth_client, worker, xendit):
    for code in ("gopay", "mandiri_bill"):
        response = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], payment_method=code, key=code)
        assert response.status_code == 400, response.content
        assert first_error(response) == ("payment_method_invalid", "payment_method")
    assert not xendit.requests  # nothing was opened
    assert Invoice.objects.count() == 0


def test_a_total_outside_the_methods_bounds_is_amount_out_of_range(auth_client, user):
    # JKK + JKM only, in the discounted December: Rp8,400, below Indomaret's and Alfamart's Rp10,000.
    small = enrollment(sponsor=user, programmes=["JKK", "JKM"])
    response = invoice_post(auth_client, [{"worker": small.pk, "months": 1}], payment_method="alfamart")
    assert response.status_code == 400, response.content
    assert first_error(response) == ("amount_out_of_range", "payment_method")
    assert "Rp10.000" in response.json()["errors"][0]["detail"]
    assert Invoice.objects.count() == SimulatorTransaction.objects.count() == 0
    # The same bill by VA is fine; and the worker was not left blocked by anything.
    response = invoice_post(auth_client, [{"worker": small.pk, "months": 1}], payment_method="va_bni", key="other")
    assert response.status_code == 201, response.content
    assert response.json()["total"] == 8400


def test_amount_out_of_range_in_english(auth_client, user):
    small = enrollment(sponsor=user, programmes=["JKK", "JKM"])
    response = auth_client.post(
        "/api/v1/invoices",
        {"items": [{"worker": small.pk, "months": 1}], "payment_method": "indomaret"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert first_error(response)[0] == "amount_out_of_range"
    assert response.json()["errors"][0]["detail"].startswith("The amount is outside Indomaret's limits")


def test_the_same_key_with_another_method_is_idempotency_key_reused(auth_client, worker):
    first = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], payment_method="qris")
    assert first.status_code == 201
    again = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], payment_method="qris")
    assert again.status_code == 201 and again.json() == first.json()
    other = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], payment_method="gopay")
    assert other.status_code == 422
    assert first_error(other)[0] == "idempotency_key_reused"


# --- GET /invoices/{id}/qr.png -----------------------------------------------------------------------


def test_a_qris_invoice_has_its_qr_code_as_a_png(auth_client, user, worker):
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method="qris")
    body = auth_client.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert body["payment"]["qr_url"].endswith(f"/api/v1/invoices/{invoice.pk}/qr.png")
    for accept in ("image/png", "*/*", "application/json"):
        response = auth_client.get(f"/api/v1/invoices/{invoice.pk}/qr.png", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    # The QRIS string is the simulator's EMVCo payload, ending with its CRC.
    assert body["payment"]["qr_string"].startswith("000201") and "6304" in body["payment"]["qr_string"][-8:]


def test_the_qr_code_is_the_owners_only_and_only_for_a_qr_payment(auth_client, other_client, user, worker):
    qris = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method="qris")
    response = other_client.get(f"/api/v1/invoices/{qris.pk}/qr.png", HTTP_ACCEPT="image/png")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["type"] == "client_error"
    services.invoice_cancel(invoice=qris)
    va = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method="va_bca")
    response = auth_client.get(f"/api/v1/invoices/{va.pk}/qr.png", HTTP_ACCEPT="image/png")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert auth_client.get("/api/v1/invoices/999999/qr.png").status_code == 404


def test_a_stale_qris_invoice_expires_after_its_quarter_hour(auth_client, user, worker):
    invoice = services.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": 1}], payment_method="qris")
    assert invoice.expires_at <= timezone.now() + datetime.timedelta(minutes=15)
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "expired"
    assert SimulatorTransaction.objects.get(order_id=invoice.number).transaction_status == "expire"
    response = auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    assert response.status_code == 409
