"""registration 0010-0012 and contributions 0014-0016: every enrollment becomes a member plus a sponsorship, on a
copy built with the old schema (the enrollment was the membership)."""

import datetime
import importlib

import pytest

from contributions.models import CoverageMonth, Invoice, Payment
from core.crypto import blind_index, decrypt_text, encrypt_text
from registration.models import Enrollment, Member
from tests.api import client_for
from tests.contributions.test_migrations import _schema_at
from tests.factories import UserFactory, make_nik

BEFORE_MEMBERS = [
    ("registration", "0009_drop_nik_first4_and_province"),
    ("contributions", "0013_drop_invoice_pending_sponsor_index"),
]
D = datetime.date
UTC = datetime.timezone.utc


def _old_enrollment(old, *, sponsor, nik, phone, status, kpj=None, approved_at=None, paid_through=None,
                    coverage_started=None, relationship="household_helper", ended_at=None):
    OldEnrollment = old.get_model("registration", "Enrollment")
    return OldEnrollment.objects.create(
        sponsor_id=sponsor.pk, relationship=relationship, status=status, nik_encrypted=encrypt_text(nik),
        nik_hash=blind_index(nik), nik_last4=nik[-4:], full_name="Siti Aminah", birth_date=D(1990, 7, 5),
        gender="F", phone=phone, occupation_id="household_assistant", income_level_id=1_000_000, jht=True,
        approved_at=approved_at, kpj_number=kpj, paid_through=paid_through, coverage_started=coverage_started,
        ended_at=ended_at, consent_method="sms_otp" if approved_at else "",
    )


def _old_paid_invoice(old, *, sponsor, number, months_by_enrollment, paid_at):
    """A paid invoice of the old schema, its lines and payment, and its ledger rows (by enrollment)."""
    OldInvoice = old.get_model("contributions", "Invoice")
    OldLine = old.get_model("contributions", "InvoiceMonth")
    OldPayment = old.get_model("contributions", "Payment")
    OldCoverage = old.get_model("contributions", "CoverageMonth")
    total = 36_800 * sum(len(months) for months in months_by_enrollment.values())
    invoice = OldInvoice.objects.create(sponsor_id=sponsor.pk, number=number, total=total, gateway="simulator",
                                        status="paid", paid_at=paid_at, expires_at=paid_at)
    payment = OldPayment.objects.create(invoice=invoice, gateway="simulator", transaction_id=f"txn-{number}",
                                        gross_amount=total, receipt_number=f"RCP-{number[4:]}", credited=True,
                                        confirmed_at=paid_at)
    for enrollment, months in months_by_enrollment.items():
        for month in months:
            OldLine.objects.create(invoice=invoice, enrollment_id=enrollment.pk, month=month, jkk=10_000, jkm=6_800,
                                   jht=20_000, total=36_800)
            row = OldCoverage.objects.create(enrollment_id=enrollment.pk, month=month, invoice=invoice,
                                             payment=payment, total=36_800)
            OldCoverage.objects.filter(pk=row.pk).update(created_at=paid_at)
    return invoice


@pytest.mark.django_db(transaction=True)
def test_every_enrollment_becomes_a_member_and_a_sponsorship(reference, pin_today):
    pin_today(D(2026, 12, 20))
    first_sponsor, second_sponsor, worker = UserFactory(), UserFactory(), UserFactory()
    shared, single, unconsented = make_nik(), make_nik(female=False), make_nik()
    first_approval = datetime.datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # 1 Dec 01:30 WIB
    with _schema_at(BEFORE_MEMBERS) as old:
        # The defect: sponsor A paid Dec-Feb and ended; the worker enrolled themselves with the same NIK,
        # got a new KPJ and paid December again.
        ended = _old_enrollment(
            old, sponsor=first_sponsor, nik=shared, phone="+6281300000001", status="ended", kpj="43138849575",
            approved_at=first_approval, paid_through=D(2027, 2, 1), coverage_started=D(2026, 12, 1),
            ended_at=datetime.datetime(2026, 12, 10, tzinfo=UTC),
        )
        again = _old_enrollment(
            old, sponsor=worker, nik=shared, phone=worker.phone, status="approved", kpj="51031331922",
            approved_at=datetime.datetime(2026, 12, 12, tzinfo=UTC), paid_through=D(2026, 12, 1),
            coverage_started=D(2026, 12, 1), relationship="self",
        )
        other = _old_enrollment(
            old, sponsor=second_sponsor, nik=single, phone="+6281300000003", status="approved", kpj="26000000018",
            approved_at=datetime.datetime(2026, 10, 1, 3, tzinfo=UTC), paid_through=D(2026, 11, 1),
            coverage_started=D(2026, 10, 1),
        )
        waiting = _old_enrollment(old, sponsor=second_sponsor, nik=unconsented, phone="+6281300000004",
                                  status="awaiting_consent")
        paid_by_a = _old_paid_invoice(old, sponsor=first_sponsor, number="INV-202612-000001",
                                      months_by_enrollment={ended: [D(2026, 12, 1), D(2027, 1, 1), D(2027, 2, 1)]},
                                      paid_at=datetime.datetime(2026, 12, 3, tzinfo=UTC))
        paid_twice = _old_paid_invoice(old, sponsor=worker, number="INV-202612-000002",
                                       months_by_enrollment={again: [D(2026, 12, 1)]},
                                       paid_at=datetime.datetime(2026, 12, 13, tzinfo=UTC))
        paid_by_b = _old_paid_invoice(old, sponsor=second_sponsor, number="INV-202612-000003",
                                      months_by_enrollment={other: [D(2026, 10, 1), D(2026, 11, 1)]},
                                      paid_at=datetime.datetime(2026, 10, 5, tzinfo=UTC))

    assert Member.objects.count() == 3
    person = Member.objects.get(nik_hash=blind_index(shared))
    # One person, one member: the KPJ issued first, the day of the first approval (WIB), the phone of
    # the latest approved sponsorship, both sponsorships counted, every paid month.
    assert [ended.pk, again.pk] == sorted(person.sponsorships.values_list("pk", flat=True))
    assert person.kpj_number == "43138849575"
    assert person.registered_at == D(2026, 12, 1)
    assert person.phone == worker.phone
    assert person.approved_sponsorships == 2
    assert (person.paid_through, person.coverage_started) == (D(2027, 2, 1), D(2026, 12, 1))
    assert decrypt_text(person.nik_encrypted) == shared and person.nik_last4 == shared[-4:]
    assert (person.birth_date, person.gender) == (D(1990, 7, 5), "F")
    # The ended sponsorship keeps what it showed; the open one shows the member's.
    ended_now, again_now = Enrollment.objects.get(pk=ended.pk), Enrollment.objects.get(pk=again.pk)
    assert (ended_now.ended_paid_through, ended_now.ended_coverage_started) == (D(2027, 2, 1), D(2026, 12, 1))
    assert (again_now.ended_paid_through, again_now.ended_coverage_started) == (None, None)
    assert again_now.kpj_number == "51031331922"  # history: what that sponsorship was issued
    shown = client_for(worker).get(f"/api/v1/workers/{again.pk}").json()
    assert shown["kpj_number"] == "43138849575"
    assert shown["coverage"]["paid_through"] == "2027-02" and shown["coverage"]["status"] == "active"
    assert shown["member"] == {"registered_at": "2026-12-01", "coverage_started": "2026-12", "sponsorships": 2}

    # Every ledger row is kept on its member, except the month paid twice: covered once, by the first
    # payment; the second invoice goes to finance for a refund and covers nothing.
    ledger = set(CoverageMonth.objects.values_list("member_id", "month", "invoice_id"))
    second = Member.objects.get(nik_hash=blind_index(single))
    assert ledger == {
        (person.pk, D(2026, 12, 1), paid_by_a.pk), (person.pk, D(2027, 1, 1), paid_by_a.pk),
        (person.pk, D(2027, 2, 1), paid_by_a.pk),
        (second.pk, D(2026, 10, 1), paid_by_b.pk), (second.pk, D(2026, 11, 1), paid_by_b.pk),
    }
    refund = Invoice.objects.get(pk=paid_twice.pk)
    assert (refund.status, refund.review_reason) == ("needs_review", "months_already_covered")
    assert not Payment.objects.get(invoice=refund).credited
    assert Invoice.objects.get(pk=paid_by_a.pk).status == "paid"

    assert (second.kpj_number, second.registered_at, second.phone, second.approved_sponsorships) == (
        "26000000018", D(2026, 10, 1), "+6281300000003", 1
    )
    assert (second.paid_through, second.coverage_started) == (D(2026, 11, 1), D(2026, 10, 1))
    assert Enrollment.objects.get(pk=other.pk).member == second
    nobody_yet = Enrollment.objects.get(pk=waiting.pk).member
    assert (nobody_yet.kpj_number, nobody_yet.registered_at, nobody_yet.phone, nobody_yet.paid_through) == (
        None, None, "", None
    )
    assert nobody_yet.approved_sponsorships == 0


def test_merged_coverage_joins_periods_that_continue_one_another():
    merged_coverage = importlib.import_module("registration.migrations.0011_members_from_enrollments").merged_coverage

    assert merged_coverage([]) == (None, None)
    assert merged_coverage([(None, None)]) == (None, None)
    assert merged_coverage([(D(2026, 12, 1), D(2027, 2, 1))]) == (D(2027, 2, 1), D(2026, 12, 1))
    # B continued the month after A's last: one period.
    assert merged_coverage([(D(2026, 12, 1), D(2027, 2, 1)), (D(2027, 3, 1), D(2027, 5, 1))]) == (
        D(2027, 5, 1), D(2026, 12, 1)
    )
    # Overlapping (a month paid twice): still one period, ending at the later end.
    assert merged_coverage([(D(2026, 12, 1), D(2027, 2, 1)), (D(2026, 12, 1), D(2026, 12, 1))]) == (
        D(2027, 2, 1), D(2026, 12, 1)
    )
    # A gap (a lapse) starts a new period.
    assert merged_coverage([(D(2026, 1, 1), D(2026, 3, 1)), (D(2026, 9, 1), D(2026, 10, 1))]) == (
        D(2026, 10, 1), D(2026, 9, 1)
    )

