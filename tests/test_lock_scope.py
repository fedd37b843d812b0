"""A row lock on a worker locks that worker, nothing else.

`SELECT … FOR NO KEY UPDATE` without `OF` locks a row of every table in the query, joined ones
included. Loading the worker with its occupation (and its sponsor) that way also locked the
occupation's row, which every worker of that occupation in the country shares, and the sponsor's
account. Invoices, approvals and changes for unrelated workers of the same occupation then queued
behind one another, each for the whole of the other's transaction (with Midtrans, its HTTP call too);
and a sponsor could not change their own account while one of their workers was being changed.

Each test holds one write open in another connection and runs a second, unrelated one with a
2-second lock timeout: the second must not wait at all.
"""

import pytest

from registration import services as registration
from registration.models import Enrollment
from sponsors import services as accounts
from sponsors.models import User
from tests.concurrency import while_held
from tests.reminders.helpers import invoice_for, worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_helpers(reference):
    """Two approved household helpers of two different sponsors: the same occupation, nothing else."""
    first = worker(occupation="household_assistant")
    second = worker(occupation="household_assistant", full_name="Budi Santoso")
    assert first.sponsor_id != second.sponsor_id
    return first, second


def test_invoices_for_two_workers_of_the_same_occupation_do_not_wait_for_each_other(two_helpers):
    first, second = two_helpers
    made = {}

    while_held(lambda: invoice_for(first, 1), lambda: made.update(invoice=invoice_for(second, 1)))

    assert made["invoice"].sponsor_id == second.sponsor_id
    assert made["invoice"].status == "pending"


def test_changing_a_worker_does_not_hold_other_workers_of_its_occupation(two_helpers):
    first, second = two_helpers

    while_held(
        lambda: registration.enrollment_update(enrollment=first, address="Jl. Mawar 1, Depok"),
        lambda: registration.enrollment_end(enrollment=second),
    )

    assert Enrollment.objects.get(pk=first.pk).address == "Jl. Mawar 1, Depok"
    assert Enrollment.objects.get(pk=second.pk).status == "ended"


def test_changing_a_worker_does_not_hold_the_sponsors_account(two_helpers):
    first, _ = two_helpers
    sponsor = User.objects.get(pk=first.sponsor_id)

    while_held(
        lambda: registration.enrollment_update(enrollment=first, address="Jl. Mawar 1, Depok"),
        lambda: accounts.user_update(user=sponsor, language="en"),
    )

    assert User.objects.get(pk=sponsor.pk).language == "en"
