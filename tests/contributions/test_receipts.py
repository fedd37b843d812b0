"""GET /invoices/{id}/receipt.pdf (API.md "Receipts") and the receipt number in the payment messages."""

import io
import re

import pypdf
import pytest

from contributions import services
from contributions.gateways import get_gateway
from contributions.models import Payment
from notifications.models import InboxItem, Message
from registration import services as registration
from tests.api import first_error
from tests.factories import enrollment

pytestmark = pytest.mark.usefixtures("reference", "december", "no_throttle")

MONTH_ROW = re.compile(
    r"^(?P<month>[A-Z][a-z]+ \d{4})\nRp(?P<jkk>[\d.]+)\nRp(?P<jkm>[\d.]+)\nRp(?P<jht>[\d.]+)\n"
    r"(?P<adjustment>.+)\nRp(?P<total>[\d.]+)$",
    re.M,
)


@pytest.fixture
def workers(user):
    return [enrollment(sponsor=user, full_name="Siti Aminah"), enrollment(sponsor=user, full_name="Budi Santoso")]


@pytest.fixture
def invoice(user, workers):
    return services.invoice_create(
        sponsor=user, items=[{"worker": workers[0].pk, "months": 3}, {"worker": workers[1].pk, "months": 1}]
    )


def settle(invoice, amount=None):
    get_gateway("simulator").pay(order_id=invoice.number, gross_amount=amount)
    return services.invoice_sync(invoice=invoice)


def receipt_text(client, invoice, **headers) -> str:
    response = client.get(f"/api/v1/invoices/{invoice.pk}/receipt.pdf", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)


def amount(text: str) -> int:
    return int(text.replace(".", ""))


def test_the_receipt_names_everything_api_md_lists(auth_client, user, workers, invoice):
    assert settle(invoice).status == "paid"
    payment = Payment.objects.get(invoice=invoice)
    text = receipt_text(auth_client, invoice, HTTP_ACCEPT="application/pdf")
    assert payment.receipt_number in text and re.fullmatch(r"RCP-\d{6}-\d{6}", payment.receipt_number)
    assert invoice.number in text
    assert user.full_name in text  # the payer
    for worker in workers:
        assert f"{worker.full_name}  ·  NIK {worker.nik_masked}  ·  KPJ {worker.kpj_number}" in text
    assert "Virtual Account BCA" in text
    assert re.search(r"Dibayar pada\n\d{1,2} \w+ \d{4} \d\d\.\d\d WIB", text)
    assert "PP 50/2025" in text


def test_the_receipts_lines_add_up_to_the_invoice_total(auth_client, invoice):
    settle(invoice)
    text = receipt_text(auth_client, invoice)
    rows = [match.groupdict() for match in MONTH_ROW.finditer(text)]
    assert [row["month"] for row in rows] == ["Desember 2026", "Januari 2027", "Februari 2027", "Desember 2026"]
    for row in rows:
        assert amount(row["jkk"]) + amount(row["jkm"]) + amount(row["jht"]) == amount(row["total"])
    assert [row["adjustment"] for row in rows] == ["PP 50/2025", "-", "-", "PP 50/2025"]
    total = re.search(r"Total dibayar\nRp([\d.]+)", text).group(1)
    assert sum(amount(row["total"]) for row in rows) == amount(total) == invoice.total == 130_400
    subtotals = [amount(value) for value in re.findall(r"Subtotal\nRp([\d.]+)", text)]
    assert subtotals == [102_000, 28_400]


def test_the_receipt_in_english(auth_client, invoice):
    settle(invoice)
    text = receipt_text(auth_client, invoice, HTTP_ACCEPT_LANGUAGE="en")
    assert "Contribution payment receipt" in text and "Total paid" in text and "December 2026" in text


@pytest.mark.parametrize("accept", ["application/pdf", "*/*", "application/json"])
def test_no_receipt_before_payment_409_in_json(auth_client, invoice, accept):
    response = auth_client.get(f"/api/v1/invoices/{invoice.pk}/receipt.pdf", HTTP_ACCEPT=accept)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert first_error(response) == ("invoice_not_paid", None)


def test_money_that_did_not_match_gives_no_receipt(auth_client, invoice):
    assert settle(invoice, amount=invoice.total - 1).status == "needs_review"
    response = auth_client.get(f"/api/v1/invoices/{invoice.pk}/receipt.pdf")
    assert (response.status_code, first_error(response)[0]) == (409, "invoice_not_paid")


def test_another_users_receipt_is_404_in_json(other_client, invoice):
    settle(invoice)
    response = other_client.get(f"/api/v1/invoices/{invoice.pk}/receipt.pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert first_error(response)[0] == "not_found"


def test_the_receipt_needs_a_token(api_client, invoice):
    response = api_client.get(f"/api/v1/invoices/{invoice.pk}/receipt.pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_the_payment_messages_name_the_receipt_number(user, invoice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        settle(invoice)
    number = Payment.objects.get(invoice=invoice).receipt_number
    inbox = InboxItem.objects.get(user=user, kind="payment_received")
    assert number in inbox.body and invoice.number in inbox.body
    sms = Message.objects.get(kind="payment_received", to=user.phone)
    assert number in sms.body


def test_the_invoice_and_its_pdf_show_the_same_receipt(auth_client, invoice):
    settle(invoice)
    receipt = auth_client.get(f"/api/v1/invoices/{invoice.pk}").json()["receipt"]
    payment = Payment.objects.get(invoice=invoice)
    assert receipt["number"] == payment.receipt_number and receipt["amount"] == invoice.total == payment.gross_amount
    assert receipt["method"] == "va_bca"
    text = receipt_text(auth_client, invoice)
    assert receipt["number"] in text and "Virtual Account BCA" in text


@pytest.mark.parametrize(
    "method, label", [("va_cimb", "Virtual Account CIMB"), ("mandiri_bill", "Mandiri Bill Payment"), ("qris", "QRIS"), ("indomaret", "Indomaret")]
)
def test_the_receipt_method_is_the_invoices_payment_method(auth_client, user, workers, method, label):
    """Issue 22: `receipt.method` equals the invoice's `payment.method`, whichever method paid."""
    invoice = services.invoice_create(sponsor=user, items=[{"worker": workers[0].pk, "months": 1}], payment_method=method)
    settle(invoice)
    body = auth_client.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert body["receipt"]["method"] == body["payment"]["method"] == method
    assert label in receipt_text(auth_client, invoice)


def test_a_receipt_printed_after_the_sponsorship_ended_names_the_members_kpj(auth_client, workers, invoice):
    settle(invoice)
    ended = registration.enrollment_end(enrollment=workers[0])
    assert ended.status == "ended"
    text = receipt_text(auth_client, invoice)
    member = ended.member
    assert f"Siti Aminah  ·  NIK {member.nik_masked}  ·  KPJ {member.kpj_number}" in text
