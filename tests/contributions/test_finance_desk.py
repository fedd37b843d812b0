"""Finance's needs-review cases close (issue 24): refunded, with the amount (at most what came), the
bank transfer's reference and date; or credited after a check, where the domain allows it (late money
for an invoice that had closed, months still uncovered, coverage not lapsed). Every close is
audit-logged with its actor; forbidden closes change nothing; two staff closing one case at once
close it once. The admin pages: buttons, filters by case state and age, the received amount."""

import datetime
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from contributions import services
from contributions.gateways import get_gateway
from contributions.models import CoverageMonth, Invoice, Payment, SimulatorTransaction
from core.exceptions import Conflict, DomainError
from core.models import AuditLog
from registration.models import Member
from tests.concurrency import run_together
from tests.factories import UserFactory, enrollment, staff_in

pytestmark = pytest.mark.usefixtures("reference")

D = datetime.date
INVOICES = "/admin/contributions/invoice/"


def new_invoice(months: int = 1, sponsor=None) -> Invoice:
    worker = enrollment(sponsor=sponsor)
    return services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": months}])


def wrong_amount(amount: int = 1000) -> Invoice:
    """Money of the wrong amount: `amount_mismatch`."""
    invoice = new_invoice()
    get_gateway("simulator").pay(order_id=invoice.number, gross_amount=amount)
    invoice = services.invoice_sync(invoice=invoice)
    assert (invoice.status, invoice.review_reason, invoice.received_amount) == ("needs_review", "amount_mismatch", amount)
    return invoice


def late_money(months: int = 1) -> Invoice:
    """The full amount, paid at the bank after the invoice expired here: `invoice_closed`."""
    invoice = new_invoice(months)
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    invoice = services.invoice_expire_if_stale(invoice=Invoice.objects.get(pk=invoice.pk))
    SimulatorTransaction.objects.filter(order_id=invoice.number).update(
        transaction_status="settlement", updated_at=timezone.now()
    )
    invoice = services.invoice_sync(invoice=invoice)
    assert (invoice.status, invoice.review_reason, invoice.received_amount) == (
        "needs_review", "invoice_closed", invoice.total
    )
    return invoice


@pytest.fixture
def today(pin_today):
    return pin_today(D(2026, 12, 3))


@pytest.fixture
def finance(db):
    return staff_in("finance")


def refund(invoice, actor, **overrides):
    fields = {"amount": 1000, "reference": "BCA-778812", "transferred_on": D(2026, 12, 2), "note": "called the payer"}
    return services.invoice_refund(invoice=invoice, actor=actor, **{**fields, **overrides})


def unchanged(invoice: Invoice) -> None:
    invoice.refresh_from_db()
    assert (invoice.status, invoice.review_outcome, invoice.refund_amount, invoice.refunded_at) == (
        "needs_review", "", None, None
    )


# --- refunds ------------------------------------------------------------------------------------------


def test_a_refund_closes_the_case_and_is_audit_logged(today, finance):
    invoice = wrong_amount(1000)
    refund(invoice, finance, amount=1000)

    invoice.refresh_from_db()
    assert invoice.status == "needs_review"  # API.md: the money did not pay it
    assert (invoice.review_outcome, invoice.refund_amount, invoice.refund_reference) == ("refunded", 1000, "BCA-778812")
    assert (invoice.refund_transferred_on, invoice.refunded_by, invoice.refund_note) == (
        D(2026, 12, 2), finance, "called the payer"
    )
    assert invoice.refunded_at is not None
    [log] = AuditLog.objects.all()
    assert (log.actor, log.action, log.object_type, log.object_id) == (
        finance, "invoice_refund", "contributions.invoice", str(invoice.pk)
    )
    assert "1000" in log.detail and "BCA-778812" in log.detail and "2026-12-02" in log.detail


def test_a_part_of_the_money_may_be_refunded(today, finance):
    invoice = wrong_amount(50_000)
    refund(invoice, finance, amount=21_600)
    invoice.refresh_from_db()
    assert (invoice.review_outcome, invoice.refund_amount, invoice.received_amount) == ("refunded", 21_600, 50_000)


def test_a_refund_above_the_money_received_is_refused(today, finance):
    invoice = wrong_amount(1000)
    with pytest.raises(DomainError) as refused:
        refund(invoice, finance, amount=1001)
    assert (refused.value.code, refused.value.attr, refused.value.status_code) == ("refund_exceeds_received", "amount", 400)
    assert "Rp1.000" in str(refused.value.detail)
    unchanged(invoice)
    assert not AuditLog.objects.exists()


def test_the_database_refuses_a_refund_above_the_money_received(today, finance):
    invoice = wrong_amount(1000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(refund_amount=1001)
    with pytest.raises(IntegrityError), transaction.atomic():
        # A refunded case without its amount.
        Invoice.objects.filter(pk=invoice.pk).update(review_outcome="refunded", refunded_at=timezone.now())


def test_a_second_refund_of_the_same_case_is_refused(today, finance):
    invoice = wrong_amount(1000)
    refund(invoice, finance)
    with pytest.raises(Conflict) as refused:
        refund(invoice, staff_in("finance"), amount=500, reference="other")
    assert refused.value.code == "invoice_not_refundable"
    invoice.refresh_from_db()
    assert (invoice.refund_amount, invoice.refund_reference, invoice.refunded_by) == (1000, "BCA-778812", finance)
    assert AuditLog.objects.count() == 1


def test_a_paid_or_pending_invoice_cannot_be_refunded(today, finance):
    paid = new_invoice()
    get_gateway("simulator").pay(order_id=paid.number)
    paid = services.invoice_sync(invoice=paid)
    assert paid.status == "paid"
    for invoice in (paid, new_invoice()):
        with pytest.raises(Conflict) as refused:
            refund(invoice, finance)
        assert refused.value.code == "invoice_not_refundable"
        invoice.refresh_from_db()
        assert invoice.review_outcome == "" and invoice.refund_amount is None
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("group", [None, "reviewer", "admin"])
def test_only_finance_closes_cases(today, group):
    invoice = late_money()
    actor = staff_in(group)
    for close in (lambda: refund(invoice, actor), lambda: services.invoice_credit_after_review(invoice=invoice, actor=actor)):
        with pytest.raises(DomainError) as refused:
            close()
        assert (refused.value.code, refused.value.status_code) == ("permission_denied", 403)
    unchanged(invoice)
    assert not AuditLog.objects.exists() and not CoverageMonth.objects.exists()


def test_a_superuser_may_close_a_case(today):
    invoice = wrong_amount(1000)
    refund(invoice, staff_in(None, is_superuser=True))
    invoice.refresh_from_db()
    assert invoice.review_outcome == "refunded"


@pytest.mark.parametrize("overrides, code, attr", [
    ({"amount": 0}, "refund_amount_invalid", "amount"),
    ({"amount": -5}, "refund_amount_invalid", "amount"),
    ({"amount": True}, "refund_amount_invalid", "amount"),
    ({"amount": 10.0}, "refund_amount_invalid", "amount"),
    ({"reference": "  "}, "refund_reference_required", "reference"),
    ({"transferred_on": D(2026, 12, 4)}, "refund_date_invalid", "transferred_on"),
    ({"transferred_on": None}, "refund_date_invalid", "transferred_on"),
])
def test_a_refund_needs_an_amount_a_reference_and_a_past_date(today, finance, overrides, code, attr):
    invoice = wrong_amount(1000)
    with pytest.raises(DomainError) as refused:
        refund(invoice, finance, **overrides)
    assert (refused.value.code, refused.value.attr, refused.value.status_code) == (code, attr, 400)
    unchanged(invoice)


# --- credit after a check -----------------------------------------------------------------------------


def test_late_money_is_credited_after_a_check_through_the_one_crediting_path(today, finance):
    invoice = late_money(months=3)
    worker = invoice.lines.first().enrollment
    services.invoice_credit_after_review(invoice=invoice, actor=finance, note="bank statement checked")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.review_outcome, invoice.credited_by) == ("paid", "credited", finance)
    assert invoice.paid_at is not None
    payment = Payment.objects.get(invoice=invoice)
    assert payment.credited and payment.receipt_number.startswith("RCP-")
    assert sorted(CoverageMonth.objects.filter(invoice=invoice).values_list("month", flat=True)) == [
        D(2026, 12, 1), D(2027, 1, 1), D(2027, 2, 1)
    ]
    assert Member.objects.get(pk=worker.member_id).paid_through == D(2027, 2, 1)
    [log] = AuditLog.objects.all()
    assert (log.actor, log.action, log.object_id, log.detail) == (
        finance, "invoice_credit_after_review", str(invoice.pk), "bank statement checked"
    )
    # The payer gets the receipt, as for any payment.
    assert invoice.sponsor.inbox.filter(kind="payment_received").exists()


@pytest.mark.parametrize("make", [lambda: wrong_amount(1000), lambda: wrong_amount(28_400 * 2)])
def test_money_of_the_wrong_amount_is_not_credited(today, finance, make):
    invoice = make()
    with pytest.raises(Conflict) as refused:
        services.invoice_credit_after_review(invoice=invoice, actor=finance)
    assert refused.value.code == "review_not_creditable"
    assert "expired or was cancelled" in str(refused.value.detail) or "Hanya uang" in str(refused.value.detail)
    unchanged(invoice)
    assert not CoverageMonth.objects.exists() and not AuditLog.objects.exists()


def test_late_money_for_months_covered_meanwhile_is_not_credited(today, finance):
    invoice = late_money()
    worker = invoice.lines.first().enrollment
    again = services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    get_gateway("simulator").pay(order_id=again.number)
    assert services.invoice_sync(invoice=again).status == "paid"  # December, paid by the new invoice

    with pytest.raises(Conflict) as refused:
        services.invoice_credit_after_review(invoice=invoice, actor=finance)
    assert refused.value.code == "review_not_creditable"
    unchanged(invoice)
    assert Payment.objects.get(invoice=invoice).credited is False
    assert list(CoverageMonth.objects.values_list("invoice_id", flat=True)) == [again.pk]
    assert not AuditLog.objects.exists()


def test_late_money_is_not_credited_while_another_invoice_awaits_payment_for_the_worker(today, finance):
    invoice = late_money()
    worker = invoice.lines.first().enrollment
    services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    with pytest.raises(Conflict) as refused:
        services.invoice_credit_after_review(invoice=invoice, actor=finance)
    assert refused.value.code == "review_not_creditable"
    unchanged(invoice)
    assert not CoverageMonth.objects.exists()


def test_late_money_of_a_lapsed_period_is_not_credited(pin_today, finance):
    pin_today(D(2026, 12, 10))  # paid through August: September to November are arrears
    worker = enrollment()
    Member.objects.filter(sponsorships=worker).update(paid_through=D(2026, 8, 1), coverage_started=D(2026, 1, 1))
    invoice = services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    invoice = services.invoice_expire_if_stale(invoice=Invoice.objects.get(pk=invoice.pk))
    SimulatorTransaction.objects.filter(order_id=invoice.number).update(
        transaction_status="settlement", updated_at=timezone.now()
    )
    invoice = services.invoice_sync(invoice=invoice)
    assert invoice.review_reason == "invoice_closed"

    pin_today(D(2026, 12, 16))  # more than 3 months unpaid: the membership lapsed
    with pytest.raises(Conflict) as refused:
        services.invoice_credit_after_review(invoice=invoice, actor=finance)
    assert refused.value.code == "review_not_creditable"
    unchanged(invoice)
    assert Member.objects.get(sponsorships=worker).paid_through == D(2026, 8, 1)


def test_a_refunded_case_cannot_be_credited_nor_a_credited_one_refunded(today, finance):
    refunded = late_money()
    refund(refunded, finance, amount=refunded.total)
    with pytest.raises(Conflict):
        services.invoice_credit_after_review(invoice=refunded, actor=finance)
    credited = late_money()
    services.invoice_credit_after_review(invoice=credited, actor=finance)
    with pytest.raises(Conflict):
        refund(credited, finance, amount=credited.total)
    with pytest.raises(Conflict):
        services.invoice_credit_after_review(invoice=credited, actor=finance)
    assert CoverageMonth.objects.filter(invoice=refunded).count() == 0
    assert CoverageMonth.objects.filter(invoice=credited).count() == 1
    assert AuditLog.objects.count() == 2


# --- two staff at once --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_staff_closing_one_case_at_once_close_it_once(reference, pin_today):
    pin_today(D(2026, 12, 3))
    # A transactional test's database is flushed: the groups of the data migrations may be gone.
    from django.contrib.auth.models import Permission

    close_cases = Permission.objects.get(content_type__app_label="contributions", codename="change_invoice")
    first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)
    for user in (first, second):
        user.user_permissions.add(close_cases)
    for closes in [("refund", "refund"), ("refund", "credit"), ("credit", "credit")]:
        invoice = late_money()

        def close(n: int) -> str:
            actor = (first, second)[n]
            try:
                if closes[n] == "refund":
                    refund(invoice, actor, amount=invoice.total, reference=f"REF-{n}")
                else:
                    services.invoice_credit_after_review(invoice=invoice, actor=actor)
            except Conflict:
                return "refused"
            return closes[n]

        results = run_together(close, 2)
        assert results.count("refused") == 1, (closes, results)
        invoice.refresh_from_db()
        won = next(result for result in results if result != "refused")
        assert invoice.review_outcome == ("refunded" if won == "refund" else "credited")
        assert AuditLog.objects.filter(object_id=str(invoice.pk)).count() == 1
        assert CoverageMonth.objects.filter(invoice=invoice).count() == (1 if won == "credit" else 0)


# --- the admin pages ----------------------------------------------------------------------------------


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


def listed(client, params: dict) -> list[int]:
    response = client.get(INVOICES, params)
    assert response.status_code == 200
    return [invoice.pk for invoice in response.context["cl"].result_list]


def test_finance_records_a_refund_from_the_invoice_page(today, finance, finance_client):
    invoice = wrong_amount(50_000)
    page = finance_client.get(f"{INVOICES}{invoice.pk}/change/")
    assert page.status_code == 200
    refund_url = f"{INVOICES}{invoice.pk}/refund/"
    assert refund_url in page.text
    assert f"{INVOICES}{invoice.pk}/credit/" not in page.text  # a wrong amount is refunded, not credited
    assert 'name="_save"' not in page.text  # nothing on the page is edited

    form = finance_client.get(refund_url)
    assert form.status_code == 200
    assert "Rp50.000" in form.text  # the money received, not only the invoice total
    assert "Rp28.400" in form.text
    assert 'name="reference"' in form.text and 'name="transferred_on"' in form.text

    too_much = finance_client.post(refund_url, {"amount": "50001", "reference": "BCA-1", "transferred_on": "2026-12-02"})
    assert too_much.status_code == 200
    unchanged(invoice)

    done = finance_client.post(refund_url, {"amount": "50000", "reference": "BCA-1", "transferred_on": "2026-12-02"})
    assert done.status_code == 302 and done["Location"].endswith(f"{INVOICES}{invoice.pk}/change/")
    invoice.refresh_from_db()
    assert (invoice.review_outcome, invoice.refund_amount, invoice.refund_reference) == ("refunded", 50_000, "BCA-1")
    assert AuditLog.objects.filter(action="invoice_refund", actor=finance).count() == 1

    # The case has left the queue and is found by its state.
    assert invoice.pk not in listed(finance_client, {"case": "open"})
    assert invoice.pk in listed(finance_client, {"case": "refunded"})
    assert invoice.pk not in listed(finance_client, {"case": "credited"})
    again = finance_client.post(refund_url, {"amount": "1", "reference": "X", "transferred_on": "2026-12-02"})
    assert again.status_code == 200  # the form again, saying why
    assert AuditLog.objects.count() == 1


def test_finance_credits_late_money_from_the_invoice_page(today, finance, finance_client):
    invoice = late_money()
    page = finance_client.get(f"{INVOICES}{invoice.pk}/change/")
    credit_url = f"{INVOICES}{invoice.pk}/credit/"
    assert credit_url in page.text
    assert finance_client.get(credit_url).status_code == 200
    done = finance_client.post(credit_url, {"note": "statement checked"})
    assert done.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.review_outcome) == ("paid", "credited")
    assert invoice.pk in listed(finance_client, {"case": "credited"})
    assert invoice.pk not in listed(finance_client, {"case": "open"})


def test_cases_are_filtered_by_how_long_they_have_waited(today, finance_client):
    fresh, week, old = wrong_amount(), wrong_amount(), wrong_amount()
    now = timezone.now()
    Invoice.objects.filter(pk=week.pk).update(needs_review_at=now - timedelta(days=3))
    Invoice.objects.filter(pk=old.pk).update(needs_review_at=now - timedelta(days=9))
    assert listed(finance_client, {"waiting": "lt1d"}) == [fresh.pk]
    assert listed(finance_client, {"waiting": "1to7d"}) == [week.pk]
    assert listed(finance_client, {"waiting": "gt7d"}) == [old.pk]
    assert listed(finance_client, {"case": "open"}) == [old.pk, week.pk, fresh.pk]


@pytest.mark.parametrize("group", ["admin", "reviewer"])
def test_other_roles_get_no_case_buttons_and_cannot_close(today, client, group):
    invoice = late_money()
    client.force_login(staff_in(group))
    page = client.get(f"{INVOICES}{invoice.pk}/change/")
    if group == "admin":  # sees invoices, read-only
        assert page.status_code == 200
        assert "/refund/" not in page.text and "/credit/" not in page.text
    else:
        assert page.status_code == 403
    for action in ("refund", "credit"):
        assert client.get(f"{INVOICES}{invoice.pk}/{action}/").status_code == 403
        assert client.post(f"{INVOICES}{invoice.pk}/{action}/", {"amount": "1", "reference": "x",
                                                                 "transferred_on": "2026-12-01"}).status_code == 403
    unchanged(invoice)


def test_the_open_queue_reads_the_index_of_invoices_that_need_review(today, finance_client):
    from django.db import connection

    wrong_amount()
    new_invoice()
    response = finance_client.get(INVOICES, {"case": "open"})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "contrib_invoice_review_q_idx" in response.context["cl"].queryset.explain()
    closed = finance_client.get(INVOICES, {"case": "refunded"})
    assert "contrib_invoice_case_idx" in closed.context["cl"].queryset.explain()


def test_the_desk_speaks_indonesian_by_default_and_english_on_request(today, finance_client):
    invoice = wrong_amount(1000)
    page = finance_client.get(f"{INVOICES}{invoice.pk}/change/")
    assert "Catat pengembalian dana" in page.text and "Record a refund" not in page.text
    form = finance_client.get(f"{INVOICES}{invoice.pk}/refund/")
    assert "Nomor referensi transfer bank" in form.text and "Uang diterima" in form.text
    listed_page = finance_client.get(INVOICES)
    assert "Perlu ditinjau" in listed_page.text and "kurang dari 1 hari" in listed_page.text
    english = finance_client.get(f"{INVOICES}{invoice.pk}/refund/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Bank transfer reference" in english.text and "Money received" in english.text
