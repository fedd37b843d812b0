"""GET /workers/{id}/benefits: DOMAIN.md "Benefits" with the member's own dates, in the request's language."""

import datetime
import re

import pytest

from core.crypto import decrypt_text
from registration import services as registration
from registration.benefits import BENEFITS, TEXTS
from tests.api import client_for, first_error
from tests.factories import UserFactory, enrollment
from tests.registration.test_card import pay

pytestmark = pytest.mark.usefixtures("reference")

D = datetime.date
KEYS = {"code", "programme", "title", "amount", "description", "eligible", "eligible_from"}


@pytest.fixture
def worker(user, pin_today):
    """Approved on 3 Dec 2026, Dec 2026 – Feb 2027 paid: coverage_started is 2026-12."""
    pin_today(D(2026, 12, 3))
    made = enrollment(sponsor=user, birth_date_obj=D(1990, 7, 5))
    assert pay(user, made, 3).status == "paid"
    return made


def benefits(client, worker, **headers) -> dict[str, dict]:
    response = client.get(f"/api/v1/workers/{worker.pk}/benefits", **headers)
    assert response.status_code == 200, response.content
    rows = response.json()
    assert all(set(row) == KEYS for row in rows)
    return {row["code"]: row for row in rows}


def test_jkk_amounts_are_multiples_of_the_declared_income(auth_client, worker):
    rows = benefits(auth_client, worker)
    assert rows["jkk_permanent_disability"]["amount"] == 56 * 1_000_000
    assert rows["jkk_death"]["amount"] == 48 * 1_000_000
    assert rows["jkk_medical_care"]["amount"] is None
    for code in ("jkk_medical_care", "jkk_temporary_incapacity", "jkk_permanent_disability", "jkk_death"):
        assert rows[code]["programme"] == "JKK"
        assert rows[code]["eligible"] is True
        assert rows[code]["eligible_from"] == "2026-12-01"
    assert "Rp56.000.000" not in rows["jkk_permanent_disability"]["description"]  # the amount is a field
    assert "Rp1.000.000" in rows["jkk_permanent_disability"]["description"]


def test_jkm_switches_to_the_full_amount_at_3_months(auth_client, worker, pin_today):
    pin_today(D(2027, 2, 28))
    rows = benefits(auth_client, worker)
    assert rows["jkm_death_first_months"]["amount"] == 10_000_000
    assert rows["jkm_death_first_months"]["eligible"] is True
    assert "1 Maret 2027" in rows["jkm_death_first_months"]["description"]
    assert rows["jkm_death"]["amount"] == 42_000_000
    assert rows["jkm_death"]["eligible"] is False
    assert rows["jkm_death"]["eligible_from"] == "2027-03-01"

    pin_today(D(2027, 3, 1))
    rows = benefits(auth_client, worker)
    assert "jkm_death_first_months" not in rows
    assert rows["jkm_death"]["eligible"] is True
    assert rows["jkm_death"]["eligible_from"] == "2027-03-01"
    assert "Rp20.000.000" in rows["jkm_death"]["description"]


def test_scholarship_after_3_years_of_contributions(user, auth_client, worker, pin_today):
    rows = benefits(auth_client, worker)
    assert rows["jkm_scholarship"]["amount"] == 174_000_000
    assert rows["jkm_scholarship"]["eligible"] is False
    assert rows["jkm_scholarship"]["eligible_from"] == "2029-12-01"
    assert "1 Desember 2029" in rows["jkm_scholarship"]["description"]
    # Keep paying for three years (12 months ahead at most, each time).
    for day in (D(2027, 2, 1), D(2028, 2, 1), D(2029, 2, 1)):
        pin_today(day)
        assert pay(user, worker, 12).status == "paid"
    pin_today(D(2029, 11, 30))
    rows = benefits(auth_client, worker)
    assert (rows["jkm_scholarship"]["eligible"], rows["jkm_scholarship"]["eligible_from"]) == (False, "2029-12-01")
    pin_today(D(2029, 12, 1))
    rows = benefits(auth_client, worker)
    assert (rows["jkm_scholarship"]["eligible"], rows["jkm_scholarship"]["eligible_from"]) == (True, "2029-12-01")


def test_jht_names_the_members_own_payout_date(auth_client, worker):
    row = benefits(auth_client, worker)["jht_savings"]
    assert row["eligible"] is True and row["amount"] is None
    assert "56" in row["description"] and "5 Juli 2046" in row["description"]


def test_jht_not_chosen(user, auth_client, pin_today):
    pin_today(D(2026, 12, 3))
    worker = enrollment(sponsor=user, programmes=["JKK", "JKM"])
    pay(user, worker, 1)
    row = benefits(auth_client, worker)["jht_savings"]
    assert (row["eligible"], row["eligible_from"]) == (False, None)
    assert row["description"].startswith("Program JHT tidak diikuti.")


def test_nothing_paid_yet_nothing_is_eligible_and_no_dates(user, auth_client, pin_today):
    pin_today(D(2026, 12, 3))
    worker = enrollment(sponsor=user)
    rows = benefits(auth_client, worker)
    assert not any(row["eligible"] for row in rows.values())
    assert all(row["eligible_from"] is None for row in rows.values())
    assert "3 bulan setelah perlindungan dimulai" in rows["jkm_death_first_months"]["description"]


def test_arrears_keep_the_dates_but_promise_nothing(auth_client, worker, pin_today):
    pin_today(D(2027, 3, 16))  # Mar 2027 is overdue
    rows = benefits(auth_client, worker)
    assert not any(row["eligible"] for row in rows.values())
    assert rows["jkm_death"]["eligible_from"] == "2027-03-01"


def test_a_lapse_restarts_the_waiting_periods(user, auth_client, worker, pin_today):
    pin_today(D(2027, 7, 1))  # Mar–Jun unpaid: lapsed
    rows = benefits(auth_client, worker)
    assert not any(row["eligible"] for row in rows.values())
    assert all(row["eligible_from"] is None for row in rows.values())
    # Paying again starts a new period from the current month: 3 months and 3 years count from July.
    assert pay(user, worker, 1).status == "paid"
    rows = benefits(auth_client, worker)
    assert rows["jkm_death_first_months"]["eligible"] is True
    assert rows["jkm_death"]["eligible_from"] == "2027-10-01"
    assert rows["jkm_scholarship"]["eligible_from"] == "2030-07-01"


def test_benefits_in_english(auth_client, worker):
    rows = benefits(auth_client, worker, HTTP_ACCEPT_LANGUAGE="en")
    assert rows["jkm_death"]["title"] == "Death benefit"
    assert "1 March 2027" in rows["jkm_death_first_months"]["description"]
    assert rows["jht_savings"]["title"] == "Old-age savings"
    indonesian = benefits(auth_client, worker)
    assert indonesian["jkm_death"]["title"] == "Santunan kematian"


def test_another_users_worker_is_404(other_client, worker):
    response = other_client.get(f"/api/v1/workers/{worker.pk}/benefits")
    assert response.status_code == 404
    assert first_error(response)[0] == "not_found"


def test_the_amounts_live_in_the_table_not_in_the_texts():
    for code, languages in TEXTS.items():
        for title, description in languages.values():
            assert not re.search(r"Rp|\d{2,}", title + description), code
    assert {benefit.code for benefit in BENEFITS} == set(TEXTS)


# --- The member's own dates, whoever pays ----------------------------------------------------------------


def test_a_later_sponsorship_counts_from_the_members_coverage_started(user, auth_client, worker, pin_today):
    """The worker continues alone in February: the waiting periods still count from December 2026."""
    pin_today(D(2027, 2, 1))
    account = UserFactory(phone=worker.phone)
    registration.enrollment_end(enrollment=worker)
    mine = enrollment(sponsor=account, nik=decrypt_text(worker.member.nik_encrypted), phone=account.phone,
                      relationship="self", birth_date_obj=D(1990, 7, 5))
    assert (mine.status, mine.member_id) == ("approved", worker.member_id)
    rows = benefits(client_for(account), mine)
    assert rows["jkm_death_first_months"]["eligible"] is True
    assert rows["jkm_death"]["eligible_from"] == "2027-03-01"
    assert rows["jkm_scholarship"]["eligible_from"] == "2029-12-01"


def test_a_former_sponsor_sees_the_coverage_as_it_stood_not_later_payments(user, auth_client, worker, pin_today):
    account = UserFactory(phone=worker.phone)
    registration.enrollment_end(enrollment=worker)
    mine = enrollment(sponsor=account, nik=decrypt_text(worker.member.nik_encrypted), phone=account.phone,
                      relationship="self", birth_date_obj=D(1990, 7, 5))
    pin_today(D(2027, 3, 16))  # March is overdue for the former sponsor's view (paid through February)
    assert pay(account, mine, 3).status == "paid"  # the worker pays March – May
    own = benefits(client_for(account), mine)
    assert own["jkm_death"]["eligible"] is True and own["jkk_death"]["eligible"] is True
    former = benefits(auth_client, worker)
    assert not any(row["eligible"] for row in former.values())
    assert former["jkm_death"]["eligible_from"] == "2027-03-01"  # the dates are the member's, as they stood
