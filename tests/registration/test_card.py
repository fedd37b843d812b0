"""The membership card (e-KTA): its data, its PDF and PNG, and the QR that points at the live check."""

import datetime
import io

import pypdf
import pytest
import zxingcpp
from PIL import Image

from contributions import services as contributions
from contributions.gateways import get_gateway
from registration import services as registration
from registration.choices import ConsentMethod
from tests.api import client_for, first_error
from tests.factories import UserFactory, enrollment, make_nik, random_mobile

pytestmark = pytest.mark.usefixtures("reference")

D = datetime.date


def pay(user, worker, months: int):
    """Pay `months` for `worker` the way money really arrives: the simulator's ledger, then settlement."""
    invoice = contributions.invoice_create(sponsor=user, items=[{"worker": worker.pk, "months": months}])
    get_gateway("simulator").pay(order_id=invoice.number)
    return contributions.invoice_sync(invoice=invoice)


@pytest.fixture
def today(pin_today):
    return pin_today(D(2026, 12, 3))


@pytest.fixture
def worker(user, today):
    made = enrollment(sponsor=user, full_name="Siti Aminah")
    assert made.status == "approved" and made.kpj_number
    return made


@pytest.fixture
def paid_worker(user, worker):
    assert pay(user, worker, 3).status == "paid"
    worker.refresh_from_db()
    return worker


def decode_qr(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]


def test_card_json(auth_client, paid_worker, settings):
    response = auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "kpj_number", "full_name", "nik_masked", "birth_date", "programmes", "occupation", "coverage",
        "member_since", "verify_url", "qr_payload",
    }
    assert body["kpj_number"] == paid_worker.kpj_number
    assert body["full_name"] == "Siti Aminah"
    assert body["nik_masked"] == "*" * 12 + paid_worker.member.nik_last4
    assert body["birth_date"] == "1990-07-05"
    assert body["programmes"] == ["JKK", "JKM", "JHT"]
    assert body["occupation"] == "household_assistant"
    assert body["coverage"] == {
        "status": "active", "paid_through": "2027-02", "next_due_date": "2027-03-15", "arrears_months": 0,
    }
    assert body["member_since"] == "2026-12"
    assert body["verify_url"].startswith(f"{settings.PUBLIC_BASE_URL}/api/v1/verify/")
    assert body["qr_payload"] == body["verify_url"]
    # The code is opaque: the KPJ cannot be read from the URL the QR shows to anyone who scans it.
    assert paid_worker.kpj_number not in body["verify_url"]
    # The same member keeps the same code: the card does not change between downloads.
    assert auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card").json()["verify_url"] == body["verify_url"]


def test_card_before_the_first_payment_has_no_member_since(auth_client, worker):
    body = auth_client.get(f"/api/v1/workers/{worker.pk}/card").json()
    assert body["member_since"] is None
    assert body["coverage"]["status"] == "not_started"


def test_card_png_is_card_sized_and_its_qr_decodes_to_the_verify_url(auth_client, paid_worker):
    verify_url = auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card").json()["verify_url"]
    response = auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card.png", HTTP_ACCEPT="image/png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    # 85.6 × 54 mm at 300 dpi.
    assert abs(image.width - 1011) <= 2 and abs(image.height - 638) <= 2
    assert abs(image.width / image.height - 85.6 / 54) < 0.01
    assert decode_qr(response.content) == [verify_url]


def test_card_qr_still_decodes_at_screen_size(auth_client, paid_worker):
    """A phone showing the card shrinks it: the QR must still read at a third of the print size."""
    verify_url = auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card").json()["verify_url"]
    png = auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card.png").content
    small = Image.open(io.BytesIO(png)).convert("L").resize((337, 213), Image.LANCZOS)
    assert [r.text for r in zxingcpp.read_barcodes(small)] == [verify_url]


def test_card_pdf_opens_and_holds_the_kpj_and_name(auth_client, paid_worker):
    response = auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card.pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="e-kta-{paid_worker.kpj_number}.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width_mm, height_mm = float(page.mediabox.width) / 72 * 25.4, float(page.mediabox.height) / 72 * 25.4
    assert round(width_mm, 1) == 85.6 and round(height_mm, 1) == 54.0
    text = page.extract_text()
    assert paid_worker.kpj_number in text
    assert "SITI AMINAH" in text
    assert paid_worker.nik_masked in text
    assert "JKK · JKM · JHT" in text
    assert "Desember 2026" in text and "Peserta sejak" in text
    # Never the full NIK, the phone or the address.
    assert paid_worker.phone not in text and "Melati" not in text


def test_card_pdf_in_english(auth_client, paid_worker):
    response = auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card.pdf", HTTP_ACCEPT_LANGUAGE="en")
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Member since" in text and "December 2026" in text


def test_a_very_long_name_still_fits(user, auth_client, today):
    worker = enrollment(sponsor=user, full_name="Raden Ajeng Kartini Sosroningrat Binti " + "Panjang " * 12)
    response = auth_client.get(f"/api/v1/workers/{worker.pk}/card.pdf")
    assert response.status_code == 200
    assert worker.kpj_number in pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


@pytest.mark.parametrize("suffix, accept", [("", "application/json"), (".pdf", "application/pdf"), (".png", "image/png")])
def test_no_card_before_approval_409_in_json(user, today, suffix, accept):
    pending = enrollment(sponsor=user, consent=False)
    assert pending.kpj_number is None
    response = client_for(user).get(f"/api/v1/workers/{pending.pk}/card{suffix}", HTTP_ACCEPT=accept)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert first_error(response) == ("worker_not_approved", None)
    assert "KPJ" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize("suffix, accept", [("", "*/*"), (".pdf", "application/pdf"), (".png", "image/png")])
def test_another_users_worker_is_404_in_json(other_client, paid_worker, suffix, accept):
    response = other_client.get(f"/api/v1/workers/{paid_worker.pk}/card{suffix}", HTTP_ACCEPT=accept)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert first_error(response)[0] == "not_found"


@pytest.mark.parametrize("suffix, accept", [("", "application/json"), (".pdf", "application/pdf"), (".png", "image/png")])
def test_card_needs_a_token(api_client, paid_worker, suffix, accept):
    response = api_client.get(f"/api/v1/workers/{paid_worker.pk}/card{suffix}", HTTP_ACCEPT=accept)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_pdf_is_answered_whatever_accept_says(auth_client, paid_worker):
    response = auth_client.get(f"/api/v1/workers/{paid_worker.pk}/card.pdf", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


# --- The card is the member's: the same KPJ and code whoever pays --------------------------------------


def card_of(client, worker) -> dict:
    response = client.get(f"/api/v1/workers/{worker.pk}/card")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_card_stays_the_members_after_the_sponsor_ends_and_the_worker_self_enrolls(
    user, auth_client, api_client, today
):
    account, nik = UserFactory(), make_nik()
    sponsored = enrollment(sponsor=user, nik=nik, phone=account.phone, full_name="Siti Aminah")
    assert pay(user, sponsored, 3).status == "paid"  # Dec 2026 – Feb 2027
    before = card_of(auth_client, sponsored)

    registration.enrollment_end(enrollment=sponsored)
    mine = enrollment(sponsor=account, nik=nik, phone=account.phone, relationship="self")
    assert (mine.status, mine.member_id) == ("approved", sponsored.member_id)
    card = card_of(client_for(account), mine)
    assert card["kpj_number"] == before["kpj_number"] == sponsored.kpj_number
    assert card["verify_url"] == before["verify_url"]  # the printed card's QR keeps working
    assert card["member_since"] == "2026-12"  # the member's coverage_started, not the day of self-enrollment
    assert card["coverage"] == {
        "status": "active", "paid_through": "2027-02", "next_due_date": "2027-03-15", "arrears_months": 0,
    }

    assert pay(account, mine, 3).status == "paid"  # Mar – May 2027, by the worker
    assert card_of(client_for(account), mine)["coverage"]["paid_through"] == "2027-05"
    # The former sponsor's card shows the coverage as it stood when they ended: not the later payments.
    former = card_of(auth_client, sponsored)
    assert former["kpj_number"] == before["kpj_number"] and former["member_since"] == "2026-12"
    assert former["coverage"] == {
        "status": "active", "paid_through": "2027-02", "next_due_date": None, "arrears_months": 0,
    }
    # The QR's answer is the member's, live.
    verified = api_client.get("/api/v1/verify/" + card["verify_url"].rsplit("/", 1)[1]).json()
    assert (verified["coverage_status"], verified["paid_through"]) == ("active", "2027-05")


def test_a_returning_member_has_no_card_on_a_sponsorship_not_yet_approved(user, auth_client, today):
    """Typing a member's NIK into a registration shows nothing of their membership (API.md "Members")."""
    phone, nik = random_mobile(), make_nik()
    first = enrollment(sponsor=user, nik=nik, phone=phone)
    assert pay(user, first, 1).status == "paid"
    registration.enrollment_end(enrollment=first)

    other = UserFactory()
    waiting = enrollment(sponsor=other, nik=nik, phone=phone, consent=False)
    assert (waiting.status, waiting.member_id) == ("awaiting_consent", first.member_id)
    response = client_for(other).get(f"/api/v1/workers/{waiting.pk}/card")
    assert (response.status_code, first_error(response)[0]) == (409, "worker_not_approved")

    approved = registration.enrollment_consent_record(enrollment=waiting, method=ConsentMethod.SMS_OTP)
    assert approved.status == "approved"
    card = card_of(client_for(other), approved)
    assert card["kpj_number"] == first.kpj_number and card["member_since"] == "2026-12"
