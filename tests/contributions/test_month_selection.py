"""Which months a new payment covers: current month, next month, arrears oldest first, restart after a
lapse, and the 12-months-ahead prepay limit (DOMAIN.md, Paying)."""

import datetime

import pytest

from contributions import services
from contributions.models import Invoice
from core.exceptions import DomainError
from registration.coverage import coverage_for
from registration.models import Enrollment, Member
from tests.api import client_for, first_error
from tests.contributions.conftest import invoice_post
from tests.factories import enrollment

pytestmark = pytest.mark.usefixtures("reference")

D = datetime.date


def months(first: D, count: int) -> list[D]:
    out = []
    for offset in range(count):
        index = first.year * 12 + first.month - 1 + offset
        out.append(D(index // 12, index % 12 + 1, 1))
    return out


@pytest.fixture
def worker(user):
    def make(paid_through: D | None = None, coverage_started: D | None = None) -> Enrollment:
        made = enrollment(sponsor=user)
        assert made.status == "approved"
        Member.objects.filter(sponsorships=made).update(paid_through=paid_through, coverage_started=coverage_started)
        made.refresh_from_db()
        return made

    return make


# --- coverage_for ------------------------------------------------------------------------------------


def test_not_started_bills_from_the_current_month(worker):
    today = D(2026, 12, 3)
    cover = coverage_for(paid_through=None, today=today)
    assert (cover.status, cover.paid_through, cover.next_due_date, cover.arrears_months) == (
        "not_started", None, D(2026, 12, 15), 0
    )
    assert services.billable_months(paid_through=worker().member.paid_through, count=3, today=today) == months(D(2026, 12, 1), 3)


@pytest.mark.parametrize("today", [D(2026, 12, 1), D(2026, 12, 10), D(2026, 12, 15)])
def test_paid_through_last_month_is_active_until_the_15th(worker, today):
    cover = coverage_for(paid_through=D(2026, 11, 1), today=today)
    assert cover.status == "active"
    assert cover.arrears_months == 0
    assert cover.next_due_date == D(2026, 12, 15)
    assert services.billable_months(paid_through=worker(D(2026, 11, 1)).member.paid_through, count=1, today=today) == [D(2026, 12, 1)]


def test_the_day_after_the_15th_the_unpaid_month_is_in_arrears(worker):
    cover = coverage_for(paid_through=D(2026, 11, 1), today=D(2026, 12, 16))
    assert (cover.status, cover.arrears_months, cover.next_due_date) == ("arrears", 1, D(2026, 12, 15))


def test_paid_ahead_is_active_and_bills_after_paid_through(worker):
    cover = coverage_for(paid_through=D(2027, 2, 1), today=D(2026, 12, 20))
    assert (cover.status, cover.arrears_months, cover.next_due_date) == ("active", 0, D(2027, 3, 15))
    assert services.billable_months(paid_through=worker(D(2027, 2, 1)).member.paid_through, count=3, today=D(2026, 12, 20)) == months(
        D(2027, 3, 1), 3
    )


@pytest.mark.parametrize(
    "today, arrears",
    [
        (D(2026, 12, 10), 1),  # only November's 15th has passed
        (D(2026, 12, 15), 1),  # December is due today, not overdue
        (D(2026, 12, 20), 2),  # November and December
    ],
)
def test_arrears_count_only_months_whose_15th_passed(worker, today, arrears):
    cover = coverage_for(paid_through=D(2026, 10, 1), today=today)
    assert cover.status == "arrears"
    assert cover.arrears_months == arrears
    assert cover.paid_through == D(2026, 10, 1)
    assert cover.next_due_date == D(2026, 11, 15)
    # Billing starts at the oldest unpaid month, in order.
    assert services.billable_months(paid_through=worker(D(2026, 10, 1)).member.paid_through, count=3, today=today) == months(
        D(2026, 11, 1), 3
    )


def test_three_overdue_months_are_still_arrears(worker):
    today = D(2026, 12, 20)
    cover = coverage_for(paid_through=D(2026, 9, 1), today=today)
    assert (cover.status, cover.arrears_months) == ("arrears", 3)
    assert services.billable_months(paid_through=worker(D(2026, 9, 1)).member.paid_through, count=1, today=today) == [D(2026, 10, 1)]


@pytest.mark.parametrize("paid_through", [D(2026, 8, 1), D(2026, 3, 1), D(2024, 1, 1)])
def test_more_than_three_overdue_months_lapse_and_billing_restarts_now(worker, paid_through):
    today = D(2026, 12, 20)
    cover = coverage_for(paid_through=paid_through, today=today)
    assert cover.status == "lapsed"
    assert cover.arrears_months == 0
    assert cover.next_due_date == D(2026, 12, 15)
    assert services.billable_months(paid_through=worker(paid_through).member.paid_through, count=3, today=today) == months(
        D(2026, 12, 1), 3
    )


def test_four_unpaid_months_but_only_three_overdue_is_arrears(worker):
    today = D(2026, 12, 10)  # Sep, Oct, Nov overdue; December not yet
    cover = coverage_for(paid_through=D(2026, 8, 1), today=today)
    assert (cover.status, cover.arrears_months) == ("arrears", 3)
    assert services.billable_months(paid_through=worker(D(2026, 8, 1)).member.paid_through, count=1, today=today) == [D(2026, 9, 1)]


def test_an_ended_enrollment_has_nothing_payable():
    cover = coverage_for(paid_through=D(2026, 11, 1), today=D(2026, 12, 20), payable=False)
    assert cover.first_payable_month is None
    assert cover.next_due_date is None


# --- prepay limit ------------------------------------------------------------------------------------


def test_twelve_months_ahead_is_the_limit(worker):
    today = D(2026, 12, 3)
    # Jan 2027 … Dec 2027: the last month is exactly 12 months beyond the current one.
    assert services.billable_months(paid_through=worker(D(2026, 12, 1)).member.paid_through, count=12, today=today) == months(
        D(2027, 1, 1), 12
    )
    with pytest.raises(DomainError) as raised:
        services.billable_months(paid_through=worker(D(2027, 1, 1)).member.paid_through, count=12, today=today)
    assert raised.value.code == "prepay_limit_exceeded"
    assert raised.value.status_code == 400


def test_prepay_limit_counts_the_last_billed_month(worker):
    today = D(2026, 12, 3)
    w = worker(D(2027, 6, 1))
    assert services.billable_months(paid_through=w.member.paid_through, count=6, today=today) == months(D(2027, 7, 1), 6)
    with pytest.raises(DomainError):
        services.billable_months(paid_through=w.member.paid_through, count=12, today=today)


def test_prepay_limit_through_the_api(user, worker, december, no_throttle):
    client = client_for(user)
    w = worker(D(2027, 1, 1))
    response = invoice_post(client, [{"worker": w.pk, "months": 12}], key="prepay-1")
    assert response.status_code == 400, response.content
    assert first_error(response) == ("prepay_limit_exceeded", "items.0.months")
    assert Invoice.objects.count() == 0
    ok = invoice_post(client, [{"worker": w.pk, "months": 6}], key="prepay-2")
    assert ok.status_code == 201, ok.content
    assert [m["month"] for m in ok.json()["items"][0]["months"]] == [
        "2027-02", "2027-03", "2027-04", "2027-05", "2027-06", "2027-07"
    ]


# --- through the API, end to end -----------------------------------------------------------------------


def test_arrears_are_billed_oldest_first_and_priced_by_their_month(user, worker, pin_today, no_throttle):
    pin_today(D(2026, 12, 20))
    w = worker(D(2026, 10, 1), D(2026, 1, 1))
    client = client_for(user)
    coverage = client.get(f"/api/v1/workers/{w.pk}").json()["coverage"]
    assert coverage == {"status": "arrears", "paid_through": "2026-10", "next_due_date": "2026-11-15",
                        "arrears_months": 2}
    created = invoice_post(client, [{"worker": w.pk, "months": 3}])
    assert created.status_code == 201, created.content
    billed = created.json()["items"][0]["months"]
    assert [(m["month"], m["total"]) for m in billed] == [("2026-11", 28400), ("2026-12", 28400), ("2027-01", 36800)]
    number = created.json()["number"]
    assert client.post("/api/v1/payments/simulator/pay", {"number": number}, format="json").status_code == 200
    w.refresh_from_db()
    assert w.member.paid_through == D(2027, 1, 1)
    assert w.member.coverage_started == D(2026, 1, 1)  # arrears paid in order: the same coverage period
    assert client.get(f"/api/v1/workers/{w.pk}").json()["coverage"]["status"] == "active"


def test_after_a_lapse_paying_starts_a_new_period_in_the_current_month(user, worker, pin_today, no_throttle):
    pin_today(D(2026, 12, 20))
    w = worker(D(2026, 7, 1), D(2026, 1, 1))
    client = client_for(user)
    assert client.get(f"/api/v1/workers/{w.pk}").json()["coverage"]["status"] == "lapsed"
    created = invoice_post(client, [{"worker": w.pk, "months": 1}])
    assert created.status_code == 201, created.content
    assert [m["month"] for m in created.json()["items"][0]["months"]] == ["2026-12"]
    paid = client.post("/api/v1/payments/simulator/pay", {"number": created.json()["number"]}, format="json")
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "paid"
    w.refresh_from_db()
    assert w.member.coverage_started == D(2026, 12, 1)
    assert w.member.paid_through == D(2026, 12, 1)
    coverage = client.get(f"/api/v1/workers/{w.pk}").json()["coverage"]
    assert coverage["status"] == "active" and coverage["paid_through"] == "2026-12"
