"""The daily reminder pass must not hold up the app (QUALITY.md "Performance"; docs/benchmarks.md).

The pass is one INSERT … SELECT of up to millions of rows. Its foreign-key checks run at its commit
(Django's foreign keys are deferred) and lock every referenced enrollment and payer `FOR KEY SHARE`
until the commit ends: about half of the pass, tens of seconds at 1 M enrollments. A
`SELECT … FOR UPDATE` of one of those rows waits all that time. So every row lock the app takes is
`FOR NO KEY UPDATE` (tests/test_row_locks.py keeps it so), which still serialises the app's own
writers but does not conflict with a foreign-key check.

Each test holds a finished pass uncommitted, as a pass in progress would, and runs one of the app's
writes on that day's due worker with a 2-second lock timeout: the write must not wait at all.
"""

import datetime

import pytest
from django.db import connection

from contributions import reminders
from contributions.models import Reminder
from registration import services as registration
from registration.models import Enrollment
from tests.concurrency import while_held
from tests.factories import enrollment as make_enrollment
from tests.reminders.helpers import invoice_for, month, pay_invoice, worker

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime.date(2026, 12, 8)  # due_d7 for December: workers paid through November


def _during_a_pass(write) -> None:
    """Run `write()` while another connection holds a reminder pass on DAY open (not committed)."""

    def reminder_pass():
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: a pass in autocommit checks them at
        # its commit, the long tail of its run. Checking them now and holding the transaction open
        # freezes the pass in that tail.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        planned = reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
        assert planned > 0  # the pass locked the due worker's row and the payer's
        return planned

    while_held(reminder_pass, write)


@pytest.fixture
def due(reference, pin_today):
    pin_today(DAY)
    return worker(paid_through=month(2026, 11))


def test_an_invoice_for_a_worker_being_reminded_is_made_at_once(due):
    made = {}
    _during_a_pass(lambda: made.update(invoice=invoice_for(due, 1)))

    assert made["invoice"].status == "pending"
    assert [line.month for line in made["invoice"].lines.all()] == [month(2026, 12)]
    assert Reminder.objects.filter(enrollment=due).exists()


def test_a_payment_for_a_worker_being_reminded_is_credited_at_once(due):
    invoice = invoice_for(due, 1)

    _during_a_pass(lambda: pay_invoice(invoice))

    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Enrollment.objects.get(pk=due.pk).member.paid_through == month(2026, 12)


def test_a_sponsor_being_reminded_registers_another_worker_at_once(due):
    made = {}
    _during_a_pass(lambda: made.update(enrollment=make_enrollment(sponsor=due.sponsor, full_name="Budi Santoso")))

    assert made["enrollment"].sponsor_id == due.sponsor_id
    assert Enrollment.objects.filter(sponsor=due.sponsor).count() == 2


def test_a_worker_being_reminded_is_updated_and_ended_at_once(due):
    def change_then_end():
        registration.enrollment_update(enrollment=due, address="Jl. Melati 5, Bandung")
        registration.enrollment_end(enrollment=due)

    _during_a_pass(change_then_end)

    ended = Enrollment.objects.get(pk=due.pk)
    assert (ended.status, ended.address) == ("ended", "Jl. Melati 5, Bandung")
