"""Public card verification: signed codes (forgery, edits, rotation) and the live answer (JSON, HTML)."""

import base64
import datetime
import re

import pytest

from core.crypto import decrypt_text
from registration import cardcode, services
from tests.api import first_error
from tests.factories import UserFactory, enrollment
from tests.registration.test_card import pay

pytestmark = pytest.mark.usefixtures("reference")

D = datetime.date
KPJ = "26051234567"


def nik_of(worker) -> str:
    return decrypt_text(worker.member.nik_encrypted)


def code_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


@pytest.fixture
def worker(pin_today):
    """A sponsored worker whose member paid Dec 2026 – Feb 2027, seen on 3 Dec 2026."""
    pin_today(D(2026, 12, 3))
    sponsor = UserFactory()
    worker = enrollment(sponsor=sponsor, full_name="Siti Aminah")
    assert pay(sponsor, worker, 3).status == "paid"
    worker.refresh_from_db()
    return worker


@pytest.fixture
def verify_path(worker):
    return f"/api/v1/verify/{code_of(cardcode.verify_url(worker.kpj_number))}"


# --- the code ---------------------------------------------------------------------------------------


def test_code_reads_back_and_hides_the_kpj():
    code = cardcode.card_code_for(KPJ)
    assert len(code) == cardcode.CODE_LENGTH == 28
    assert re.fullmatch(r"[A-Za-z0-9_-]{28}", code)
    assert KPJ not in code and KPJ not in base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)).hex()
    assert cardcode.card_code_read(code) == KPJ
    assert cardcode.card_code_for(KPJ) == code  # stable: the same card every time
    assert cardcode.card_code_for("26051234568") != code


def test_forged_codes_do_not_read():
    # A code made up from the format, with a key the server does not hold.
    raw = bytes(16) + int(KPJ).to_bytes(5, "big")
    assert cardcode.card_code_read(base64.urlsafe_b64encode(raw).decode()) is None


def test_every_edited_character_breaks_the_code():
    code = cardcode.card_code_for(KPJ)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position in range(len(code)):
        replacement = alphabet[(alphabet.index(code[position]) + 1) % len(alphabet)]
        edited = code[:position] + replacement + code[position + 1 :]
        assert cardcode.card_code_read(edited) is None, position


@pytest.mark.parametrize(
    "garbage", ["", "x", "A" * 27, "A" * 29, "A" * 28, "!" * 28, "ä" * 28, "====" * 7, "AAAA+/AAAAAAAAAAAAAAAAAAAAAA", None, 12]
)
def test_garbage_does_not_read(garbage):
    assert cardcode.card_code_read(garbage) is None


def test_truncated_and_padded_codes_do_not_read():
    code = cardcode.card_code_for(KPJ)
    assert cardcode.card_code_read(code[:-1]) is None
    assert cardcode.card_code_read(code + "=") is None
    assert cardcode.card_code_read(code + "A") is None
    # Characters outside the alphabet are not skipped into a valid code.
    assert cardcode.card_code_read(code[:14] + "." + code[14:-1]) is None


def test_a_code_signed_with_another_key_is_refused(settings):
    code = cardcode.card_code_for(KPJ)
    settings.CARD_SIGNING_KEY = ["a-completely-different-key-0123456789"]
    assert cardcode.card_code_read(code) is None


def test_rotation_keeps_old_cards_valid_and_signs_new_ones_with_the_newest_key(settings):
    old_key = settings.CARD_SIGNING_KEY[0]
    old_code = cardcode.card_code_for(KPJ)
    settings.CARD_SIGNING_KEY = ["the-new-card-signing-key-0123456789abc", old_key]
    new_code = cardcode.card_code_for(KPJ)
    assert new_code != old_code
    assert cardcode.card_code_read(old_code) == KPJ
    assert cardcode.card_code_read(new_code) == KPJ
    # Once the old key is dropped, only the new cards read.
    settings.CARD_SIGNING_KEY = ["the-new-card-signing-key-0123456789abc"]
    assert cardcode.card_code_read(old_code) is None
    assert cardcode.card_code_read(new_code) == KPJ


def test_rotation_through_the_api(api_client, worker, settings):
    old_path = f"/api/v1/verify/{code_of(cardcode.verify_url(worker.kpj_number))}"
    settings.CARD_SIGNING_KEY = ["the-new-card-signing-key-0123456789abc", *settings.CARD_SIGNING_KEY]
    assert api_client.get(old_path).status_code == 200
    new_path = f"/api/v1/verify/{code_of(cardcode.verify_url(worker.kpj_number))}"
    assert new_path != old_path and api_client.get(new_path).status_code == 200


# --- the answer -------------------------------------------------------------------------------------


def test_verify_answers_masked_facts_only(api_client, worker, verify_path):
    response = api_client.get(verify_path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"valid", "name", "kpj_masked", "programmes", "coverage_status", "paid_through", "checked_at"}
    assert body["valid"] is True
    assert body["name"] == "S*** A*****"
    assert body["kpj_masked"] == "*******" + worker.kpj_number[-4:]
    assert body["programmes"] == ["JKK", "JKM", "JHT"]
    assert body["coverage_status"] == "active"
    assert body["paid_through"] == "2027-02"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+07:00", body["checked_at"])
    text = response.content.decode()
    assert worker.kpj_number not in text
    assert worker.member.nik_last4 not in text.replace(worker.kpj_number[-4:], "")
    assert worker.phone not in text and worker.phone[3:] not in text
    assert "1990" not in text and "Melati" not in text and "Aminah" not in text
    assert "no-store" in response["Cache-Control"]


def test_verify_is_live_a_lapse_shows_the_next_day(api_client, worker, verify_path, pin_today):
    # Paid through Feb 2027: active until 15 Mar, arrears from 16 Mar, lapsed after more than 3 overdue months.
    pin_today(D(2027, 3, 15))
    assert api_client.get(verify_path).json()["coverage_status"] == "active"
    pin_today(D(2027, 3, 16))
    assert api_client.get(verify_path).json()["coverage_status"] == "arrears"
    pin_today(D(2027, 6, 16))
    body = api_client.get(verify_path).json()
    assert body["coverage_status"] == "lapsed"
    assert body["paid_through"] == "2027-02"


def test_verify_follows_new_payments_on_the_same_card(api_client, worker, verify_path, pin_today):
    pin_today(D(2027, 3, 16))
    assert api_client.get(verify_path).json()["coverage_status"] == "arrears"
    assert pay(worker.sponsor, worker, 1).status == "paid"
    body = api_client.get(verify_path).json()
    assert (body["coverage_status"], body["paid_through"]) == ("active", "2027-03")


def test_an_ended_sponsorship_keeps_the_card_valid(api_client, worker, verify_path):
    services.enrollment_end(enrollment=worker)
    body = api_client.get(verify_path).json()
    assert (body["coverage_status"], body["paid_through"]) == ("active", "2027-02")


def test_a_genuine_code_of_an_unknown_kpj_is_404(api_client, db):
    response = api_client.get(f"/api/v1/verify/{cardcode.card_code_for(KPJ)}")
    assert response.status_code == 404
    assert first_error(response) == ("not_found", None)


@pytest.mark.parametrize("code", ["garbage", "A" * 28, "x" * 500, "%00", "..", "AAAA%2FAAAA"])
def test_garbage_codes_are_404_in_the_error_shape(api_client, db, code):
    response = api_client.get(f"/api/v1/verify/{code}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert first_error(response) == ("not_found", None)


def test_edited_code_is_404(api_client, worker, verify_path):
    code = code_of(verify_path)
    flipped = code[:5] + ("B" if code[5] != "B" else "C") + code[6:]
    response = api_client.get(f"/api/v1/verify/{flipped}")
    assert response.status_code == 404
    assert first_error(response) == ("not_found", None)


def test_verify_is_throttled_per_address(api_client, worker, verify_path, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "card_verify": "3/min"})
    statuses = [api_client.get(verify_path, REMOTE_ADDR="10.0.0.1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert first_error(api_client.get(verify_path, REMOTE_ADDR="10.0.0.1"))[0] == "throttled"
    # Another address is not held back; forged codes count too (guessing is throttled like checking).
    assert api_client.get("/api/v1/verify/" + "A" * 28, REMOTE_ADDR="10.0.0.2").status_code == 404
    assert api_client.get(verify_path, REMOTE_ADDR="10.0.0.2").status_code == 200
    assert api_client.get(verify_path, REMOTE_ADDR="10.0.0.2").status_code == 200
    assert api_client.get(verify_path, REMOTE_ADDR="10.0.0.2").status_code == 429


# --- the page a phone's camera opens ------------------------------------------------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_a_browser_gets_a_small_page_in_indonesian(api_client, worker, verify_path):
    response = api_client.get(verify_path, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept" in response["Vary"]
    page = response.content.decode()
    assert '<html lang="id">' in page
    assert 'name="viewport"' in page
    assert "Kartu asli" in page and "Aktif: terlindungi hari ini" in page
    assert "S*** A*****" in page and "*******" + worker.kpj_number[-4:] in page
    assert "Februari 2027" in page and "JKK · JKM · JHT" in page
    # Styled inline: nothing is fetched from anywhere.
    assert not re.search(r"<(script|link|img)\b", page) and "@import" not in page and "url(" not in page
    assert worker.kpj_number not in page and "Aminah" not in page and "1990" not in page
    assert len(page) < 8000


def test_the_page_in_english(api_client, worker, verify_path, pin_today):
    pin_today(D(2027, 6, 16))
    page = api_client.get(verify_path + "?lang=en", HTTP_ACCEPT=BROWSER).content.decode()
    assert '<html lang="en">' in page
    assert "Genuine card" in page and "Lapsed" in page and "February 2027" in page


def test_a_browser_opening_a_forged_code_reads_that_the_card_is_not_valid(api_client, db):
    response = api_client.get("/api/v1/verify/" + "A" * 28, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Kartu tidak dikenali" in response.content.decode()


def test_a_forged_code_is_refused_before_any_database_query(api_client, worker, verify_path):
    """No lookup runs for a code that is not genuine: its answer cannot depend on what the database holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    code = code_of(verify_path)
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(f"/api/v1/verify/{forged}").status_code == 404
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(verify_path).status_code == 200
    assert len(queries) == 1


# --- the member behind the card, whoever pays -----------------------------------------------------------


def test_the_same_code_answers_after_the_sponsor_ends_and_the_worker_self_enrolls(api_client, worker, verify_path):
    account = UserFactory(phone=worker.phone)
    services.enrollment_end(enrollment=worker)
    mine = enrollment(
        sponsor=account, nik=nik_of(worker), phone=account.phone, relationship="self", full_name="Siti Aminah Putri"
    )
    assert (mine.status, mine.kpj_number) == ("approved", worker.kpj_number)
    assert f"/api/v1/verify/{code_of(cardcode.verify_url(mine.kpj_number))}" == verify_path
    # The name and programmes are those of the member's current sponsorship.
    body = api_client.get(verify_path).json()
    assert body["name"] == "S*** A***** P****"
    assert (body["coverage_status"], body["paid_through"]) == ("active", "2027-02")
    assert pay(account, mine, 1).status == "paid"
    body = api_client.get(verify_path).json()
    assert (body["coverage_status"], body["paid_through"]) == ("active", "2027-03")


def test_a_lapse_after_the_sponsor_ended_reads_lapsed(api_client, worker, verify_path, pin_today):
    services.enrollment_end(enrollment=worker)
    pin_today(D(2027, 6, 15))  # Mar, Apr, May overdue: arrears
    assert api_client.get(verify_path).json()["coverage_status"] == "arrears"
    pin_today(D(2027, 6, 16))  # and June: more than 3 unpaid months
    body = api_client.get(verify_path).json()
    assert (body["valid"], body["coverage_status"], body["paid_through"]) == (True, "lapsed", "2027-02")


def test_a_registration_not_yet_approved_does_not_change_the_answer(api_client, worker, verify_path):
    """Typing the member's NIK into a new registration (another name, fewer programmes) changes nothing."""
    services.enrollment_end(enrollment=worker)
    waiting = enrollment(sponsor=UserFactory(), nik=nik_of(worker), phone=worker.phone, full_name="Orang Lain",
                         programmes=["JKK", "JKM"], consent=False)
    assert (waiting.status, waiting.member_id) == ("awaiting_consent", worker.member_id)
    body = api_client.get(verify_path).json()
    assert (body["name"], body["programmes"]) == ("S*** A*****", ["JKK", "JKM", "JHT"])
