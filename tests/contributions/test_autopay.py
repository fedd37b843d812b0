"""Automatic monthly payment (API.md "Automatic monthly payment (autopay)"; issue 22 item 5): linking,
the charge day making one invoice per payer and month (also when it runs twice, or twice at once),
retries on the 12th and 14th, `autopay_failed`, reminders held back, unlinking, GoPay tokenization
and a saved card at Midtrans, and a charge that times out confirmed by status lookup before any retry."""

import datetime

import pytest
import requests
from django.utils import timezone

from contributions import autopay, reminders, services
from contributions.models import (
    AutopayCharge,
    AutopayMandate,
    CoverageMonth,
    GatewayNotification,
    Invoice,
    Payment,
    Reminder,
    SimulatorTransaction,
)
from notifications.models import InboxItem
from registration import services as registration
from registration.models import Enrollment, Member
from tests.api import client_for, first_error
from tests.concurrency import run_together
from tests.contributions.conftest import MIDTRANS_SERVER_KEY, notify, signed
from tests.factories import UserFactory, enrollment, make_nik, random_mobile

pytestmark = pytest.mark.usefixtures("reference", "no_throttle")

D = datetime.date
CHARGE_DAY = D(2026, 12, 10)
DEC = D(2026, 12, 1)


@pytest.fixture
def day(pin_today):
    """Business days are pinned; tests move through December 2026."""
    pin_today(D(2026, 12, 3))

    def move(to: datetime.date) -> datetime.date:
        return pin_today(to)

    return move


@pytest.fixture
def workers(user, day):
    made = [enrollment(sponsor=user), enrollment(sponsor=user)]
    assert [w.status for w in made] == ["approved", "approved"]
    return made


def link(client, *, fail_charges: bool = False) -> dict:
    response = client.put("/api/v1/me/autopay", {"method": "gopay"}, format="json")
    assert response.status_code == 200, response.content
    response = client.post("/api/v1/payments/simulator/link", {"fail_charges": fail_charges}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def run(on: datetime.date, day) -> dict:
    day(on)
    return autopay.autopay_run(day=on)


# --- GET/PUT/DELETE /me/autopay ---------------------------------------------------------------------


def test_autopay_is_off_until_linked(auth_client, workers):
    assert auth_client.get("/api/v1/me/autopay").json() == {
        "status": "off", "method": None, "account_masked": None, "activation_url": None, "charge_day": 10, "workers": [],
    }


def test_linking_through_the_simulator(auth_client, user, workers):
    response = auth_client.put("/api/v1/me/autopay", {"method": "gopay"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["method"]) == ("linking", "gopay")
    assert body["activation_url"].endswith("/api/v1/payments/simulator/link")
    body = link(auth_client)
    assert (body["status"], body["activation_url"]) == ("active", None)
    assert body["account_masked"].endswith(user.phone[-4:]) and "****" in body["account_masked"]
    assert body["workers"] == sorted(w.pk for w in workers)


def test_a_card_links_too_in_the_simulator(auth_client, workers):
    assert auth_client.put("/api/v1/me/autopay", {"method": "card"}, format="json").json()["status"] == "linking"
    assert auth_client.post("/api/v1/payments/simulator/link", {}, format="json").json()["status"] == "active"


@pytest.mark.parametrize("method", ["bitcoin", "", 5, None, "qris"])
def test_an_unknown_autopay_method_is_payment_method_invalid(auth_client, workers, method):
    response = auth_client.put("/api/v1/me/autopay", {"method": method}, format="json")
    assert response.status_code == 400
    assert first_error(response)[0] in ("payment_method_invalid", "null")
    assert not AutopayMandate.objects.exists()


def test_the_simulator_link_needs_a_link_in_progress(auth_client, workers, settings):
    response = auth_client.post("/api/v1/payments/simulator/link", {}, format="json")
    assert response.status_code == 409
    assert first_error(response)[0] == "autopay_not_linking"
    settings.PAYMENT_GATEWAY = "midtrans"
    assert auth_client.post("/api/v1/payments/simulator/link", {}, format="json").status_code == 404


def test_a_worker_can_be_left_out_of_autopay(auth_client, workers):
    link(auth_client)
    a, b = workers
    response = auth_client.patch(f"/api/v1/workers/{a.pk}", {"autopay": False}, format="json")
    assert response.status_code == 200, response.content
    assert auth_client.get("/api/v1/me/autopay").json()["workers"] == [b.pk]
    auth_client.patch(f"/api/v1/workers/{a.pk}", {"autopay": True}, format="json")
    assert auth_client.get("/api/v1/me/autopay").json()["workers"] == sorted([a.pk, b.pk])


def test_another_users_worker_cannot_be_switched(auth_client, other_client, workers):
    response = other_client.patch(f"/api/v1/workers/{workers[0].pk}", {"autopay": False}, format="json")
    assert response.status_code == 404


def test_autopay_belongs_to_its_payer(auth_client, other_client, workers):
    link(auth_client)
    assert other_client.get("/api/v1/me/autopay").json()["status"] == "off"
    assert other_client.post("/api/v1/payments/simulator/link", {}, format="json").status_code == 409
    assert other_client.delete("/api/v1/me/autopay").status_code == 204
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "active"


# --- the charge day ----------------------------------------------------------------------------------


def test_the_charge_day_pays_the_next_unpaid_month_of_each_autopay_worker(auth_client, user, workers, day):
    link(auth_client)
    prepaid = enrollment(sponsor=user)
    Member.objects.filter(sponsorships=prepaid).update(paid_through=D(2027, 1, 1))
    opted_out = enrollment(sponsor=user)
    auth_client.patch(f"/api/v1/workers/{opted_out.pk}", {"autopay": False}, format="json")

    assert run(D(2026, 12, 9), day) == {"planned": 0, "dispatched": 0}  # not yet
    result = run(CHARGE_DAY, day)
    assert result == {"planned": 1, "dispatched": 1}

    charge = AutopayCharge.objects.get()
    assert (charge.payer_id, charge.month, charge.status, charge.attempts) == (user.pk, DEC, "charged", 1)
    invoice = charge.invoice
    assert invoice.status == "paid" and invoice.sponsor_id == user.pk
    assert sorted(invoice.lines.values_list("enrollment_id", "month")) == sorted((w.pk, DEC) for w in workers)
    assert invoice.total == 2 * 28400
    body = auth_client.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert body["status"] == "paid"
    assert body["payment"]["method"] == "gopay" and body["payment"]["autopay"] is True
    assert CoverageMonth.objects.count() == 2
    assert Payment.objects.get().credited
    assert InboxItem.objects.filter(user=user, kind="autopay_charged").count() == 1
    assert InboxItem.objects.filter(user=user, kind="payment_received").count() == 1


def test_running_the_charge_day_twice_makes_one_invoice_and_one_charge(auth_client, user, workers, day):
    link(auth_client)
    run(CHARGE_DAY, day)
    assert run(CHARGE_DAY, day) == {"planned": 0, "dispatched": 0}
    run(D(2026, 12, 12), day)
    assert AutopayCharge.objects.count() == Invoice.objects.count() == Payment.objects.count() == 1
    assert SimulatorTransaction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_charge_day_run_concurrently_makes_one_invoice_per_payer(reference, pin_today):
    pin_today(D(2026, 12, 3))
    payers = [UserFactory() for _ in range(3)]
    for payer in payers:
        enrollment(sponsor=payer)
        enrollment(sponsor=payer)
        link(client_for(payer))
    pin_today(CHARGE_DAY)

    results = run_together(lambda n: autopay.autopay_run(day=CHARGE_DAY), 4)

    assert sum(r["planned"] for r in results) == 3
    assert AutopayCharge.objects.count() == 3
    assert Invoice.objects.count() == 3
    assert Payment.objects.count() == 3
    assert sorted(Invoice.objects.values_list("sponsor_id", flat=True)) == sorted(p.pk for p in payers)
    assert set(AutopayCharge.objects.values_list("status", flat=True)) == {"charged"}
    assert SimulatorTransaction.objects.count() == 3
    assert CoverageMonth.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_the_same_charge_handed_out_twice_at_once_is_charged_once(reference, pin_today):
    pin_today(D(2026, 12, 3))
    payer = UserFactory()
    enrollment(sponsor=payer)
    link(client_for(payer))
    pin_today(CHARGE_DAY)
    assert autopay.autopay_plan(day=CHARGE_DAY) == 1
    charge = AutopayCharge.objects.get()

    outcomes = run_together(lambda n: autopay.autopay_charge_attempt(charge_id=charge.pk, day=CHARGE_DAY), 4)

    assert outcomes.count("charged") == 1 and outcomes.count("not due") == 3
    assert Invoice.objects.count() == Payment.objects.count() == SimulatorTransaction.objects.count() == 1


def test_a_month_already_paid_is_not_charged(auth_client, user, workers, day):
    link(auth_client)
    invoice = services.invoice_create(sponsor=user, items=[{"worker": w.pk, "months": 1} for w in workers])
    auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    run(CHARGE_DAY, day)
    assert AutopayCharge.objects.get().status == "skipped"
    assert Invoice.objects.count() == 1


def test_a_worker_on_a_pending_invoice_is_left_to_the_payer(auth_client, user, workers, day):
    link(auth_client)
    a, b = workers
    services.invoice_create(sponsor=user, items=[{"worker": a.pk, "months": 1}])
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert charge.status == "charged"
    assert list(charge.invoice.lines.values_list("enrollment_id", flat=True)) == [b.pk]


def test_a_payer_who_links_after_the_charge_day_is_charged_by_the_14th(auth_client, workers, day):
    day(D(2026, 12, 11))
    link(auth_client)
    run(D(2026, 12, 11), day)
    assert AutopayCharge.objects.get().status == "charged"


def linked_payers(count: int, *, workers: int = 2) -> list:
    payers = [UserFactory() for _ in range(count)]
    for payer in payers:
        for _ in range(workers):
            enrollment(sponsor=payer)
        link(client_for(payer))
    return payers


def test_a_batch_of_charges_costs_the_same_statements_whatever_its_size(day):
    """The charge task's batch is set-based: making the invoices, charging and crediting 6 payers
    takes as many statements as 2 (QUALITY.md: batching, not per-row overhead)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (1, 2, 6):  # the first warms the caches (the rate book)
        payers = linked_payers(size)
        day(CHARGE_DAY)
        autopay.autopay_plan(day=CHARGE_DAY)
        ids = list(AutopayCharge.objects.filter(payer__in=payers).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as queries:
            outcomes = autopay.autopay_charge_batch(charge_ids=ids, day=CHARGE_DAY)
        assert list(outcomes.values()) == ["charged"] * size
        counts.append(len(queries))
        day(D(2026, 12, 3))
    assert counts[1] == counts[2], counts
    assert Invoice.objects.filter(status="paid").count() == Payment.objects.filter(credited=True).count() == 9
    assert CoverageMonth.objects.count() == 18
    assert InboxItem.objects.filter(kind="autopay_charged").count() == InboxItem.objects.filter(kind="payment_received").count() == 9
    receipts = list(Payment.objects.values_list("receipt_number", flat=True))
    assert len(set(receipts)) == 9 and all(r.startswith("RCP-2026") for r in receipts)


def test_a_batchs_payers_with_nothing_due_are_skipped_in_one_statement(day):
    """Payers whose months are paid already are closed together (one UPDATE, one commit), each with
    its reason, beside the batch's charged payer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    paid = linked_payers(3, workers=1)
    charged = linked_payers(1, workers=1)
    for payer in paid:
        worker = Enrollment.objects.get(sponsor=payer)
        invoice = services.invoice_create(sponsor=payer, items=[{"worker": worker.pk, "months": 1}])
        client_for(payer).post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    day(CHARGE_DAY)
    autopay.autopay_plan(day=CHARGE_DAY)
    ids = list(AutopayCharge.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        outcomes = autopay.autopay_charge_batch(charge_ids=ids, day=CHARGE_DAY)
    assert sorted(outcomes.values()) == ["charged"] + ["skipped: nothing due"] * 3
    closing = [q["sql"] for q in queries if "contributions_autopaycharge" in q["sql"] and "'skipped'" in q["sql"]]
    assert len(closing) == 1, closing
    assert set(AutopayCharge.objects.filter(payer__in=paid).values_list("status", "failure_reason", "in_doubt")) == {
        ("skipped", "nothing_due", False)
    }
    assert AutopayCharge.objects.get(payer=charged[0]).status == "charged"
    assert Invoice.objects.filter(sponsor__in=paid).count() == 3  # their own, paid; none made by autopay


def test_a_months_first_attempt_is_committed_with_its_invoice_before_the_gateway_is_called(day, monkeypatch):
    """The attempt (counted, in doubt, the invoice's `attempt`) is written with the new invoice, in
    its transaction, so the gateway is called with it committed and the new invoices are not
    rewritten for it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contributions.gateways.simulator import SimulatorGateway

    payers = linked_payers(2)
    day(CHARGE_DAY)
    autopay.autopay_plan(day=CHARGE_DAY)
    seen = []
    charge_linked_many = SimulatorGateway.charge_linked_many

    def spy(self, charges):
        seen.append((
            len(connection.savepoint_ids),  # the test's own transaction only: ours are committed
            sorted(AutopayCharge.objects.filter(payer__in=payers).values_list("attempts", "in_doubt", "invoice__payment_details__attempt")),
            [c.order_id for c in charges],
        ))
        return charge_linked_many(self, charges)

    monkeypatch.setattr(SimulatorGateway, "charge_linked_many", spy)
    depth = len(connection.savepoint_ids)
    with CaptureQueriesContext(connection) as queries:
        outcomes = autopay.autopay_charge_batch(charge_ids=list(AutopayCharge.objects.values_list("pk", flat=True)), day=CHARGE_DAY)
    assert list(outcomes.values()) == ["charged", "charged"]
    assert [(level, rows) for level, rows, _ in seen] == [(depth, [(1, True, 1), (1, True, 1)])]
    assert seen[0][2] == sorted(Invoice.objects.values_list("number", flat=True))  # attempt 1: the number itself
    assert not [q for q in queries if q["sql"].startswith('UPDATE "contributions_invoice" SET "payment_details"')]
    assert list(AutopayCharge.objects.values_list("status", "attempts", "in_doubt")) == [("charged", 1, False)] * 2


def test_a_month_covered_meanwhile_sends_that_invoice_to_review_and_credits_the_batch(day):
    """The coverage constraint refuses the batch's rows: each invoice is credited alone, and the one
    whose month was covered by another payment meanwhile goes to review, covering nothing twice."""
    payers = linked_payers(3, workers=1)
    day(CHARGE_DAY)
    autopay.autopay_plan(day=CHARGE_DAY)
    charges = list(AutopayCharge.objects.order_by("pk"))
    made = autopay._invoices_make([(c, AutopayMandate.objects.get(payer=c.payer)) for c in charges])
    covered = made[charges[1].pk]
    line = covered.lines.get()
    member_id = Member.objects.get(sponsorships=line.enrollment_id).pk
    other = services.invoice_create(sponsor=payers[0], items=[{"worker": enrollment(sponsor=payers[0]).pk, "months": 1}])
    Payment.objects.create(invoice=other, gateway="simulator", transaction_id="elsewhere", gross_amount=1, confirmed_at=timezone.now(), credited=True)
    CoverageMonth.objects.create(member_id=member_id, month=line.month, invoice=other, payment=Payment.objects.get(), total=line.total)

    outcomes = autopay.autopay_charge_batch(charge_ids=[c.pk for c in charges], day=CHARGE_DAY)

    assert [outcomes[c.pk] for c in charges] == ["charged", "in doubt: settled at the gateway, not credited yet", "charged"]
    covered.refresh_from_db()
    assert (covered.status, covered.review_reason) == ("needs_review", "months_already_covered")
    assert CoverageMonth.objects.filter(member_id=member_id).count() == 1
    assert Invoice.objects.filter(pk__in=[made[charges[0].pk].pk, made[charges[2].pk].pk], status="paid").count() == 2


# --- declines, retries, autopay_failed ---------------------------------------------------------------


def test_a_declined_charge_is_retried_on_the_12th_and_14th_then_reported(auth_client, user, workers, day):
    link(auth_client, fail_charges=True)
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.attempts, charge.failures, charge.next_attempt_on) == ("retry", 1, 1, D(2026, 12, 12))
    invoice = charge.invoice
    assert invoice.status == "pending"

    run(D(2026, 12, 11), day)
    charge.refresh_from_db()
    assert charge.attempts == 1  # nothing on the 11th

    run(D(2026, 12, 12), day)
    charge.refresh_from_db()
    assert (charge.status, charge.attempts, charge.failures, charge.next_attempt_on) == ("retry", 2, 2, D(2026, 12, 14))
    assert not InboxItem.objects.filter(kind="autopay_failed").exists()

    run(D(2026, 12, 14), day)
    charge.refresh_from_db()
    assert (charge.status, charge.attempts, charge.failures, charge.failure_reason) == ("failed", 3, 3, "declined")
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"  # the payer may pay by hand now
    assert SimulatorTransaction.objects.filter(transaction_status="deny").count() == 3
    assert [o.split("-")[-1] for o in SimulatorTransaction.objects.order_by("id").values_list("order_id", flat=True)] == [
        invoice.number.split("-")[-1], "2", "3"
    ]
    [failed] = InboxItem.objects.filter(user=user, kind="autopay_failed")
    assert "Desember 2026" in failed.body and "ditolak" in failed.body
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "failed"
    assert Payment.objects.count() == CoverageMonth.objects.count() == 0

    run(D(2026, 12, 15), day)
    assert AutopayCharge.objects.count() == 1 and SimulatorTransaction.objects.count() == 3  # nothing more this month
    # The payer pays by hand.
    response = auth_client.post(
        "/api/v1/invoices", {"items": [{"worker": w.pk, "months": 1} for w in workers]}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 201, response.content


def test_a_charge_that_succeeds_on_the_12th_stops_the_retries(auth_client, user, workers, day):
    link(auth_client, fail_charges=True)
    run(CHARGE_DAY, day)
    AutopayMandate.objects.update(fail_charges=False)  # money came into the wallet
    run(D(2026, 12, 12), day)
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.attempts) == ("charged", 2)
    assert charge.invoice.status == "paid"
    run(D(2026, 12, 14), day)
    assert SimulatorTransaction.objects.count() == 2
    assert not InboxItem.objects.filter(kind="autopay_failed").exists()


def test_next_month_tries_again_after_a_failed_month(auth_client, user, workers, day):
    link(auth_client, fail_charges=True)
    for on in (CHARGE_DAY, D(2026, 12, 12), D(2026, 12, 14)):
        run(on, day)
    AutopayMandate.objects.update(fail_charges=False)
    # December is paid by hand; January is the charge day's again.
    invoice = services.invoice_create(sponsor=user, items=[{"worker": w.pk, "months": 1} for w in workers])
    auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    run(D(2027, 1, 10), day)
    january = AutopayCharge.objects.get(month=D(2027, 1, 1))
    assert january.status == "charged"
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "active"


# --- reminders ---------------------------------------------------------------------------------------


def planned(kind: str) -> set[int]:
    return set(Reminder.objects.filter(kind=kind).values_list("enrollment_id", flat=True))


def test_reminders_before_the_due_date_wait_for_autopay_unless_it_failed(auth_client, user, workers, day):
    link(auth_client, fail_charges=True)
    a, b = workers
    auth_client.patch(f"/api/v1/workers/{b.pk}", {"autopay": False}, format="json")
    other = enrollment(sponsor=UserFactory())

    reminders.reminders_plan(day=D(2026, 12, 8))
    assert planned("due_d7") == {b.pk, other.pk}  # a is charged on the 10th: no reminder

    run(CHARGE_DAY, day)  # declined, retried on the 12th
    reminders.reminders_plan(day=D(2026, 12, 12))
    assert planned("due_d3") == {b.pk, other.pk}

    run(D(2026, 12, 12), day)
    run(D(2026, 12, 14), day)  # the last retry fails
    reminders.reminders_plan(day=D(2026, 12, 14))
    assert planned("due_d1") == {a.pk, b.pk, other.pk}  # the normal reminders again


# --- the member model: the months are the member's, the payer is the sponsorship's ---------------------


def test_autopay_pays_the_members_oldest_arrears_first(auth_client, user, workers, day):
    """The next unpaid month is the member's (services.billable_months): the oldest payable arrears."""
    link(auth_client)
    a, b = workers
    Member.objects.filter(sponsorships=a).update(paid_through=D(2026, 10, 1), coverage_started=D(2026, 1, 1))
    run(CHARGE_DAY, day)
    invoice = AutopayCharge.objects.get().invoice
    assert invoice.status == "paid"
    assert sorted(invoice.lines.values_list("enrollment_id", "month")) == sorted([(a.pk, D(2026, 11, 1)), (b.pk, DEC)])
    assert Member.objects.get(sponsorships=a).paid_through == D(2026, 11, 1)


def test_a_self_paying_worker_continues_with_autopay_after_the_months_a_sponsor_paid(day):
    """A sponsor paid December and ended; the worker continues alone (same member) with autopay: the
    charge day never bills December again, and January is the worker's own charge."""
    sponsor, worker = UserFactory(), UserFactory()
    nik = make_nik()
    sponsored = enrollment(sponsor=sponsor, nik=nik, phone=worker.phone)
    paid = services.invoice_create(sponsor=sponsor, items=[{"worker": sponsored.pk, "months": 1}])
    client_for(sponsor).post("/api/v1/payments/simulator/pay", {"number": paid.number}, format="json")
    registration.enrollment_end(enrollment=sponsored)
    own = enrollment(sponsor=worker, nik=nik, phone=worker.phone, relationship="self")
    assert own.status == "approved" and own.member_id == sponsored.member_id
    link(client_for(worker))

    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get(payer=worker)
    assert (charge.status, charge.failure_reason, charge.invoice) == ("skipped", "nothing_due", None)
    run(D(2027, 1, 10), day)
    january = AutopayCharge.objects.get(payer=worker, month=D(2027, 1, 1))
    assert january.status == "charged"
    assert list(january.invoice.lines.values_list("enrollment_id", "month")) == [(own.pk, D(2027, 1, 1))]
    assert list(CoverageMonth.objects.filter(member_id=own.member_id).values_list("month", flat=True)) == [DEC, D(2027, 1, 1)]


def test_autopay_and_its_opt_out_stay_with_the_sponsorship(day):
    """A former payer's autopay no longer charges the member, and an opt-out does not follow the member
    to the next payer: it was that payer's choice."""
    first, second, worker_phone = UserFactory(), UserFactory(), random_mobile()
    nik = make_nik()
    link(client_for(first))
    was = enrollment(sponsor=first, nik=nik, phone=worker_phone)
    assert client_for(first).patch(f"/api/v1/workers/{was.pk}", {"autopay": False}, format="json").status_code == 200
    registration.enrollment_end(enrollment=was)
    now = enrollment(sponsor=second, nik=nik, phone=worker_phone)
    assert now.status == "approved"
    link(client_for(second))
    assert client_for(first).get("/api/v1/me/autopay").json()["workers"] == []
    assert client_for(second).get("/api/v1/me/autopay").json()["workers"] == [now.pk]

    run(CHARGE_DAY, day)
    assert AutopayCharge.objects.get(payer=first).status == "skipped"
    charge = AutopayCharge.objects.get(payer=second)
    assert charge.status == "charged" and charge.invoice.sponsor_id == second.pk
    assert list(CoverageMonth.objects.values_list("member_id", "month")) == [(now.member_id, DEC)]


def test_reminders_are_held_back_by_the_current_payers_autopay_only(day):
    """Reminders follow the payer: a member taken over from a payer with autopay is reminded to the new
    payer as usual, and one taken over by a payer with autopay is not reminded before the charge day."""
    linked, unlinked = UserFactory(), UserFactory()
    link(client_for(linked))
    phones, niks = [random_mobile(), random_mobile()], [make_nik(), make_nik()]
    left_linked = enrollment(sponsor=linked, nik=niks[0], phone=phones[0])
    left_unlinked = enrollment(sponsor=unlinked, nik=niks[1], phone=phones[1])
    for ended in (left_linked, left_unlinked):
        registration.enrollment_end(enrollment=ended)
    to_unlinked = enrollment(sponsor=unlinked, nik=niks[0], phone=phones[0])
    to_linked = enrollment(sponsor=linked, nik=niks[1], phone=phones[1])

    reminders.reminders_plan(day=D(2026, 12, 8))
    assert planned("due_d7") == {to_unlinked.pk}
    assert set(Reminder.objects.filter(kind="due_d7").values_list("user_id", flat=True)) == {unlinked.pk}


# --- unlinking ---------------------------------------------------------------------------------------


def test_unlinking_stops_everything_at_once(auth_client, user, workers, day):
    link(auth_client, fail_charges=True)
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert charge.status == "retry"

    assert auth_client.delete("/api/v1/me/autopay").status_code == 204
    charge.refresh_from_db()
    assert (charge.status, charge.failure_reason) == ("skipped", "unlinked")
    assert charge.invoice.status == "cancelled"
    assert auth_client.get("/api/v1/me/autopay").json() == {
        "status": "off", "method": None, "account_masked": None, "activation_url": None, "charge_day": 10, "workers": [],
    }
    AutopayMandate.objects.update(fail_charges=False)
    run(D(2026, 12, 12), day)
    run(D(2027, 1, 10), day)
    assert SimulatorTransaction.objects.count() == 1
    assert AutopayCharge.objects.count() == 1
    assert not InboxItem.objects.filter(kind="autopay_failed").exists()
    # Reminders come back at once.
    reminders.reminders_plan(day=D(2026, 12, 12))
    assert planned("due_d3") == {w.pk for w in workers}


def test_unlinking_twice_or_never_linked_is_fine(auth_client, workers):
    assert auth_client.delete("/api/v1/me/autopay").status_code == 204
    link(auth_client)
    assert auth_client.delete("/api/v1/me/autopay").status_code == 204
    assert auth_client.delete("/api/v1/me/autopay").status_code == 204


# --- Midtrans: GoPay tokenization, and a charge that times out ----------------------------------------


@pytest.fixture
def linked_at_midtrans(auth_client, user, workers, midtrans, api_client):
    response = auth_client.put("/api/v1/me/autopay", {"method": "gopay"}, format="json")
    assert response.status_code == 200, response.content
    [call] = midtrans.calls("POST", "/v2/pay/account")
    assert call["json"] == {"payment_type": "gopay", "gopay_partner": {"phone_number": user.phone.removeprefix("+62"), "country_code": "62"}}
    [account_id] = midtrans.accounts
    assert response.json()["activation_url"] == f"{midtrans.url}/v2/gopay/redirect/gpad_{account_id}/link"
    assert response.json()["status"] == "linking"
    # The payer approves in the Gojek app; Midtrans notifies; the lookup decides.
    assert notify(api_client, {"account_id": account_id, "account_status": "ENABLED"}, gateway="midtrans").status_code == 200
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "linking"  # not enabled yet at Midtrans
    notification = midtrans.enable_account(account_id)
    assert notify(api_client, notification, gateway="midtrans").status_code == 200
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "active"
    return account_id


def test_gopay_tokenization_links_and_charges_at_midtrans(auth_client, user, workers, midtrans, linked_at_midtrans, day):
    run(CHARGE_DAY, day)
    [call] = [c for c in midtrans.calls("POST", "/v2/charge")]
    invoice = Invoice.objects.get()
    assert call["json"]["payment_type"] == "gopay"
    assert call["json"]["transaction_details"] == {"order_id": invoice.number, "gross_amount": invoice.total}
    assert call["json"]["gopay"] == {
        "account_id": linked_at_midtrans,
        "payment_option_token": midtrans.accounts[linked_at_midtrans]["token"],
        "recurring": True,
    }
    assert invoice.status == "paid" and invoice.gateway == "midtrans"
    # Credited on Midtrans' own answer to our charge (the response of our call, not a notification).
    payment = Payment.objects.get()
    assert payment.transaction_id == midtrans.orders[invoice.number]["transaction_id"]
    assert payment.confirmation["transaction_status"] == "settlement"


def test_an_unknown_linked_account_notification_is_404(api_client, midtrans):
    assert notify(api_client, {"account_id": "nobody", "account_status": "ENABLED"}, gateway="midtrans").status_code == 404


def test_gopay_declined_at_midtrans_is_retried_with_a_new_order_id(
    auth_client, api_client, user, workers, midtrans, linked_at_midtrans, day
):
    midtrans.decline_linked = True
    run(CHARGE_DAY, day)
    midtrans.decline_linked = False
    run(D(2026, 12, 12), day)
    invoice = Invoice.objects.get()
    assert [c["json"]["transaction_details"]["order_id"] for c in midtrans.calls("POST", "/v2/charge")] == [
        invoice.number, f"{invoice.number}-2"
    ]
    assert invoice.status == "paid"
    assert AutopayCharge.objects.get().status == "charged"
    # Late notifications about either attempt change nothing.
    for order_id, status in ((invoice.number, "deny"), (f"{invoice.number}-2", "settlement")):
        late = signed(order_id, status, invoice.total, server_key=MIDTRANS_SERVER_KEY)
        assert notify(api_client, late, gateway="midtrans").status_code == 200
    assert Invoice.objects.get().status == "paid" and Payment.objects.count() == 1


def test_a_charge_that_times_out_is_confirmed_by_lookup_and_never_charged_twice(
    auth_client, user, workers, midtrans, linked_at_midtrans, day, monkeypatch
):
    """The fake Midtrans charges the wallet but answers too late; the retry asks first and finds it paid."""
    monkeypatch.setattr("contributions.gateways.midtrans.TIMEOUT", (0.3, 0.3))
    midtrans.hang_after_charge, midtrans.slow_seconds = True, 1.0
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.in_doubt, charge.attempts, charge.failures) == ("retry", True, 1, 0)
    invoice = charge.invoice
    assert invoice.status == "pending"
    assert midtrans.orders[invoice.number]["transaction_status"] == "settlement"  # the money did move

    midtrans.hang_after_charge = False
    autopay.autopay_dispatch(day=CHARGE_DAY)  # the next run, minutes later
    charge.refresh_from_db()
    assert (charge.status, charge.in_doubt, charge.attempts) == ("charged", False, 1)
    assert len(midtrans.calls("POST", "/v2/charge")) == 1  # asked, not charged again
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Payment.objects.count() == 1 and CoverageMonth.objects.count() == 2
    run(D(2026, 12, 12), day)
    assert len(midtrans.calls("POST", "/v2/charge")) == 1


def test_a_charge_that_never_reached_midtrans_is_charged_again_after_the_lookup(
    auth_client, user, workers, midtrans, linked_at_midtrans, day
):
    midtrans.mode = "500"  # the charge request fails in flight: its outcome is unknown to us
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.in_doubt) == ("retry", True)
    midtrans.mode = "ok"
    autopay.autopay_dispatch(day=CHARGE_DAY)
    charge.refresh_from_db()
    invoice = charge.invoice
    assert charge.status == "charged"
    # Asked about the first order id (unknown at Midtrans), then charged with a new one.
    assert midtrans.calls("GET", f"/v2/{invoice.number}/status")
    assert [c["json"]["transaction_details"]["order_id"] for c in midtrans.calls("POST", "/v2/charge")] == [
        invoice.number, f"{invoice.number}-2"
    ]
    assert Payment.objects.count() == 1


def test_a_charge_whose_task_died_mid_call_is_asked_about_after_its_lease(auth_client, user, workers, day):
    link(auth_client)
    day(CHARGE_DAY)
    autopay.autopay_plan(day=CHARGE_DAY)
    charge = AutopayCharge.objects.get()
    # A worker took it, charged the simulator and died before recording the outcome.
    AutopayCharge.objects.filter(pk=charge.pk).update(status="charging", updated_at=timezone.now())
    invoice = autopay._invoice_make(AutopayCharge.objects.select_related("payer").get(pk=charge.pk), AutopayMandate.objects.get())
    AutopayCharge.objects.filter(pk=charge.pk).update(attempts=1, in_doubt=True)
    Invoice.objects.filter(pk=invoice.pk).update(payment_details={**invoice.payment_details, "attempt": 1})
    from contributions.gateways import get_gateway

    get_gateway("simulator").charge_linked(
        order_id=invoice.number, gross_amount=invoice.total, method="gopay",
        account_id=AutopayMandate.objects.get().account_id, payment_token="",
    )
    assert autopay.autopay_dispatch(day=CHARGE_DAY) == 0  # still within its lease
    AutopayCharge.objects.filter(pk=charge.pk).update(updated_at=timezone.now() - datetime.timedelta(minutes=11))
    autopay.autopay_dispatch(day=CHARGE_DAY)
    charge.refresh_from_db()
    assert (charge.status, charge.attempts) == ("charged", 1)
    assert SimulatorTransaction.objects.count() == 1
    assert Invoice.objects.get().status == "paid"


def test_xendit_offers_no_autopay(auth_client, workers, xendit):
    response = auth_client.put("/api/v1/me/autopay", {"method": "gopay"}, format="json")
    assert response.status_code == 400
    assert first_error(response) == ("payment_method_invalid", "method")


def test_the_simulator_does_not_pay_an_autopay_invoice_by_hand(auth_client, user, workers, day):
    link(auth_client, fail_charges=True)
    run(CHARGE_DAY, day)
    invoice = Invoice.objects.get()
    response = auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
    assert response.status_code == 409
    assert Invoice.objects.get().status == "pending"


def test_the_charge_day_by_manage_py_for_a_date(auth_client, workers, day, capsys):
    from django.core.management import CommandError, call_command

    link(auth_client)
    day(CHARGE_DAY)
    call_command("autopay", date="2026-12-10")
    assert "Autopay for 2026-12-10: 1 planned, 1 charges handed on." in capsys.readouterr().out
    call_command("autopay", date="2026-12-10")
    assert "0 planned, 0 charges handed on" in capsys.readouterr().out
    assert Invoice.objects.get().status == "paid"
    with pytest.raises(CommandError):
        call_command("autopay", date="10-12-2026")


def test_a_link_notification_while_midtrans_cannot_be_asked_is_answered_and_tried_later(
    auth_client, api_client, user, workers, midtrans
):
    auth_client.put("/api/v1/me/autopay", {"method": "gopay"}, format="json")
    [account_id] = midtrans.accounts
    notification = midtrans.enable_account(account_id)
    midtrans.mode = "500"
    assert notify(api_client, notification, gateway="midtrans").status_code == 200
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "linking"
    midtrans.mode = "ok"
    from contributions import tasks

    tasks.autopay_link_sync(AutopayMandate.objects.get().pk)  # the task's retry
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "active"


# --- Midtrans: a saved card (Core API One Click, 3DS on the verification charge) ----------------------

CARD_NUMBER = "4811111111111114"  # Midtrans' sandbox Visa
CARD_MASKED = "48111111-1114"


def card_token(midtrans, number: str = CARD_NUMBER) -> str:
    """What the app does with Midtrans' SDK: the card number goes to Midtrans, a one-time token back."""
    answer = requests.get(
        f"{midtrans.url}/v2/token",
        params={"client_key": midtrans.client_key, "card_number": number, "card_cvv": "123", "card_exp_month": "12", "card_exp_year": "2030"},
        timeout=5,
    ).json()
    assert answer["status_code"] == "200", answer
    return answer["token_id"]


def link_order(midtrans) -> str:
    [order_id] = [order_id for order_id in midtrans.orders if order_id.startswith("LINK-")]
    return order_id


@pytest.fixture
def card_linked_at_midtrans(auth_client, api_client, user, workers, midtrans, django_capture_on_commit_callbacks):
    token = card_token(midtrans)
    response = auth_client.put("/api/v1/me/autopay", {"method": "card", "card_token": token}, format="json")
    assert response.status_code == 200, response.content
    order_id = link_order(midtrans)
    [call] = midtrans.calls("POST", "/v2/charge")
    assert call["json"] == {
        "payment_type": "credit_card",
        "transaction_details": {"order_id": order_id, "gross_amount": 10_000},
        "credit_card": {"token_id": token, "authentication": True, "save_token_id": True},
    }
    body = response.json()
    assert (body["status"], body["method"], body["account_masked"]) == ("linking", "card", CARD_MASKED)
    assert body["activation_url"] == midtrans.orders[order_id]["redirect_url"]  # the 3DS page

    # The payer passes 3DS; Midtrans notifies with the saved token; the lookup confirms the card.
    notification = midtrans.complete_3ds(order_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(api_client, notification, gateway="midtrans").status_code == 200
    body = auth_client.get("/api/v1/me/autopay").json()
    assert (body["status"], body["method"], body["account_masked"], body["activation_url"]) == ("active", "card", CARD_MASKED, None)
    assert midtrans.calls("GET", f"/v2/{order_id}/status")
    mandate = AutopayMandate.objects.get()
    assert mandate.payment_token == notification["saved_token_id"]
    # The verification charge is voided: nothing stays charged for linking.
    assert midtrans.calls("POST", f"/v2/{order_id}/cancel")
    assert midtrans.orders[order_id]["transaction_status"] == "cancel"
    return mandate


def test_a_card_links_at_midtrans_through_3ds(card_linked_at_midtrans):
    assert card_linked_at_midtrans.status == "active"


def test_a_card_link_needs_the_apps_card_token(auth_client, workers, midtrans):
    for body in ({"method": "card"}, {"method": "card", "card_token": ""}):
        response = auth_client.put("/api/v1/me/autopay", body, format="json")
        assert response.status_code == 400
        assert first_error(response) == ("card_token_required", "card_token")
    assert not midtrans.calls("POST", "/v2/charge") and not AutopayMandate.objects.exists()


def test_a_card_token_midtrans_refuses_is_card_refused_and_writes_nothing(auth_client, workers, midtrans):
    token = card_token(midtrans)
    midtrans.card_tokens[token]["used"] = True  # timed out, or used already: Midtrans answers 411
    response = auth_client.put("/api/v1/me/autopay", {"method": "card", "card_token": token}, format="json")
    assert response.status_code == 400
    assert first_error(response) == ("card_refused", "card_token")
    assert not AutopayMandate.objects.exists()
    midtrans.mode = "500"
    auth_client.raise_request_exception = False  # a 5xx: the test client would re-raise it
    response = auth_client.put("/api/v1/me/autopay", {"method": "card", "card_token": card_token(midtrans)}, format="json")
    assert response.status_code == 503 and first_error(response)[0] == "gateway_unavailable"
    assert not AutopayMandate.objects.exists()


def test_a_card_that_fails_3ds_is_not_linked(auth_client, api_client, workers, midtrans):
    auth_client.put("/api/v1/me/autopay", {"method": "card", "card_token": card_token(midtrans)}, format="json")
    notification = midtrans.complete_3ds(link_order(midtrans), passed=False)
    assert notification["transaction_status"] == "deny" and "saved_token_id" not in notification
    assert notify(api_client, notification, gateway="midtrans").status_code == 200
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "off"
    assert AutopayMandate.objects.get().payment_token == ""


def test_a_card_link_notification_is_checked_and_only_the_lookup_enables(auth_client, api_client, workers, midtrans):
    auth_client.put("/api/v1/me/autopay", {"method": "card", "card_token": card_token(midtrans)}, format="json")
    order_id = link_order(midtrans)
    # Signed, saying capture, with a token: but the payer has not passed 3DS; Midtrans says pending.
    forged = signed(order_id, "capture", 10_000, server_key=MIDTRANS_SERVER_KEY, saved_token_id="48111111abcdefghijklmnopqrst1114")
    assert notify(api_client, forged, gateway="midtrans").status_code == 200
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "linking"
    # Badly signed: 401, nothing kept. Unknown link: 404.
    notification = midtrans.complete_3ds(order_id)
    assert notify(api_client, {**notification, "signature_key": "0" * 128}, gateway="midtrans").status_code == 401
    unknown = signed("LINK-nobody", "capture", 10_000, server_key=MIDTRANS_SERVER_KEY)
    assert notify(api_client, unknown, gateway="midtrans").status_code == 404
    # A replayed notification whose token was swapped for another card's is not believed.
    other = {**notification, "saved_token_id": "52111111abcdefghijklmnopqrst0000"}
    assert notify(api_client, other, gateway="midtrans").status_code == 200
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "linking"
    assert notify(api_client, notification, gateway="midtrans").status_code == 200
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "active"
    assert AutopayMandate.objects.get().payment_token == notification["saved_token_id"]


def test_a_saved_card_is_charged_each_month(auth_client, user, workers, midtrans, card_linked_at_midtrans, day):
    run(CHARGE_DAY, day)
    invoice = Invoice.objects.get()
    [call] = [c for c in midtrans.calls("POST", "/v2/charge") if c["json"]["transaction_details"]["order_id"] == invoice.number]
    assert call["json"] == {
        "payment_type": "credit_card",
        "transaction_details": {"order_id": invoice.number, "gross_amount": invoice.total},
        "credit_card": {"token_id": card_linked_at_midtrans.payment_token, "initiated_by": "merchant"},
    }
    assert invoice.status == "paid" and invoice.gateway == "midtrans"
    assert AutopayCharge.objects.get().status == "charged"
    assert Payment.objects.get().transaction_id == midtrans.orders[invoice.number]["transaction_id"]
    assert CoverageMonth.objects.count() == 2
    body = auth_client.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert body["payment"]["account_masked"] == CARD_MASKED
    [charged] = InboxItem.objects.filter(user=user, kind="autopay_charged")
    assert CARD_MASKED in charged.body


def test_a_declined_card_is_retried_on_the_12th_and_14th_then_reported(
    auth_client, user, workers, midtrans, card_linked_at_midtrans, day
):
    midtrans.decline_cards = True
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.failures, charge.failure_reason, charge.next_attempt_on) == ("retry", 1, "card_declined", D(2026, 12, 12))
    run(D(2026, 12, 12), day)
    run(D(2026, 12, 14), day)
    charge.refresh_from_db()
    invoice = charge.invoice
    assert (charge.status, charge.attempts, charge.failures, charge.failure_reason) == ("failed", 3, 3, "card_declined")
    assert [c["json"]["transaction_details"]["order_id"] for c in midtrans.calls("POST", "/v2/charge")][1:] == [
        invoice.number, f"{invoice.number}-2", f"{invoice.number}-3"
    ]
    assert [midtrans.orders[o]["transaction_status"] for o in (invoice.number, f"{invoice.number}-2", f"{invoice.number}-3")] == ["deny"] * 3
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    [failed] = InboxItem.objects.filter(user=user, kind="autopay_failed")
    assert "kartu ditolak" in failed.body and CARD_MASKED in failed.body and "Desember 2026" in failed.body
    assert auth_client.get("/api/v1/me/autopay").json()["status"] == "failed"
    assert Payment.objects.count() == CoverageMonth.objects.count() == 0


def test_a_saved_card_no_longer_valid_is_a_decline(auth_client, user, workers, midtrans, card_linked_at_midtrans, day):
    midtrans.saved_tokens.clear()  # the card expired at Midtrans: 411 "Token id is missing, invalid, or timed out"
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.failures, charge.failure_reason) == ("retry", 1, "card_declined")


def test_a_card_charge_the_fraud_check_holds_is_never_charged_again(
    auth_client, user, workers, midtrans, card_linked_at_midtrans, day
):
    midtrans.challenge_cards = True
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.in_doubt, charge.failures) == ("retry", True, 0)
    # Midtrans' merchant approves it; the next run asks and credits, charging nothing new.
    midtrans.set_status(charge.invoice.number, "capture", fraud_status="accept")
    autopay.autopay_dispatch(day=CHARGE_DAY)
    charge.refresh_from_db()
    assert charge.status == "charged" and charge.invoice.status == "paid"
    assert len(midtrans.calls("POST", "/v2/charge")) == 2  # the link's, and the month's one


def test_a_card_charge_that_times_out_is_confirmed_by_lookup_and_never_charged_twice(
    auth_client, user, workers, midtrans, card_linked_at_midtrans, day, monkeypatch
):
    monkeypatch.setattr("contributions.gateways.midtrans.TIMEOUT", (0.3, 0.3))
    midtrans.hang_after_charge, midtrans.slow_seconds = True, 1.0
    run(CHARGE_DAY, day)
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.in_doubt, charge.attempts) == ("retry", True, 1)
    invoice = charge.invoice
    assert midtrans.orders[invoice.number]["transaction_status"] == "capture"  # the card was charged

    midtrans.hang_after_charge = False
    autopay.autopay_dispatch(day=CHARGE_DAY)  # the next run asks before any new charge
    charge.refresh_from_db()
    assert (charge.status, charge.in_doubt, charge.attempts) == ("charged", False, 1)
    assert midtrans.calls("GET", f"/v2/{invoice.number}/status")
    card_charges = [c for c in midtrans.calls("POST", "/v2/charge") if not c["json"]["transaction_details"]["order_id"].startswith("LINK-")]
    assert len(card_charges) == 1
    run(D(2026, 12, 12), day)
    run(D(2026, 12, 14), day)
    assert len(midtrans.calls("POST", "/v2/charge")) == 2
    assert Payment.objects.count() == 1 and CoverageMonth.objects.count() == 2


def test_unlinking_a_card_stops_everything(auth_client, user, workers, midtrans, card_linked_at_midtrans, day):
    midtrans.decline_cards = True
    run(CHARGE_DAY, day)
    assert auth_client.delete("/api/v1/me/autopay").status_code == 204
    mandate = AutopayMandate.objects.get()
    assert (mandate.status, mandate.payment_token, mandate.account_id) == ("off", "", "")
    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.failure_reason, charge.invoice.status) == ("skipped", "unlinked", "cancelled")
    midtrans.decline_cards = False
    charges = len(midtrans.calls("POST", "/v2/charge"))
    run(D(2026, 12, 12), day)
    run(D(2027, 1, 10), day)
    assert len(midtrans.calls("POST", "/v2/charge")) == charges
    assert AutopayCharge.objects.count() == 1
    assert not InboxItem.objects.filter(kind="autopay_failed").exists()


def test_unlinking_before_3ds_voids_the_verification_charge(auth_client, workers, midtrans, django_capture_on_commit_callbacks):
    auth_client.put("/api/v1/me/autopay", {"method": "card", "card_token": card_token(midtrans)}, format="json")
    order_id = link_order(midtrans)
    midtrans.complete_3ds(order_id)  # 3DS done, but the notification never came
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete("/api/v1/me/autopay").status_code == 204
    assert midtrans.orders[order_id]["transaction_status"] == "cancel"


def test_no_card_number_is_stored_or_shown(auth_client, api_client, user, workers, midtrans, card_linked_at_midtrans, day):
    """Only Midtrans' masked card is kept or shown; the full number never reaches us at all."""
    midtrans.decline_cards = True
    run(CHARGE_DAY, day)
    midtrans.decline_cards = False
    run(D(2026, 12, 12), day)
    invoice = Invoice.objects.get()
    late = signed(invoice.number, "settlement", invoice.total, server_key=MIDTRANS_SERVER_KEY, masked_card=CARD_MASKED)
    assert notify(api_client, late, gateway="midtrans").status_code == 200
    stored = [
        list(AutopayMandate.objects.values()),
        list(Invoice.objects.values()),
        list(Payment.objects.values()),
        list(GatewayNotification.objects.values()),
        list(InboxItem.objects.values()),
        auth_client.get("/api/v1/me/autopay").content.decode(),
        auth_client.get(f"/api/v1/invoices/{invoice.pk}").content.decode(),
    ]
    assert CARD_NUMBER not in str(stored)
    assert CARD_MASKED in str(stored)
    assert card_linked_at_midtrans.payment_token not in auth_client.get("/api/v1/me/autopay").content.decode()
