"""`manage.py seed [--demo]`: reference data and demo data, idempotent (API.md, Operations)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from contributions.models import ContributionRate
from registration.models import Enrollment, IncomeLevel, Occupation
from sponsors.models import User

pytestmark = pytest.mark.django_db

DEMO_SPONSOR = "+6281100000001"
DEMO_REVIEWER = "+6281100000002"
DEMO_ADMIN = "+6281100000003"


def counts() -> dict[str, int]:
    return {
        "occupations": Occupation.objects.count(),
        "income_levels": IncomeLevel.objects.count(),
        "rates": ContributionRate.objects.count(),
        "users": User.objects.count(),
        "enrollments": Enrollment.objects.count(),
    }


def test_seed_loads_reference_data_once():
    call_command("seed")
    first = counts()
    assert first["occupations"] == 6
    assert first["income_levels"] == 1
    assert first["rates"] == 3
    assert first["users"] == 0 and first["enrollments"] == 0
    call_command("seed")
    assert counts() == first

    assert set(Occupation.objects.values_list("code", flat=True)) == {
        "household_assistant", "private_driver", "gardener", "caregiver", "security_guard", "other"
    }
    assert Occupation.objects.get(code="private_driver").sector == "transport"
    assert Occupation.objects.get(code="household_assistant").sector == "non_transport"
    assert list(IncomeLevel.objects.values_list("amount", flat=True)) == [1_000_000]


def test_seed_keeps_back_office_changes_to_rates_stable():
    """A second run does not duplicate a rate row, even after its data was loaded once."""
    call_command("seed")
    ids = sorted(ContributionRate.objects.values_list("pk", flat=True))
    call_command("seed")
    assert sorted(ContributionRate.objects.values_list("pk", flat=True)) == ids


def test_seed_demo_is_idempotent_and_covers_every_status():
    call_command("seed", "--demo")
    first = counts()
    assert first["users"] > 0 and first["enrollments"] > 0
    call_command("seed", "--demo")
    assert counts() == first

    sponsor = User.objects.get(phone=DEMO_SPONSOR)
    statuses = set(Enrollment.objects.filter(sponsor=sponsor).values_list("status", flat=True))
    assert statuses >= {"approved", "pending_review", "awaiting_consent", "rejected", "ended"}

    reviewer = User.objects.get(phone=DEMO_REVIEWER)
    assert reviewer.is_staff
    assert reviewer.groups.filter(name="reviewer").exists()
    assert User.objects.get(phone=DEMO_ADMIN).groups.filter(name="admin").exists()
    assert User.objects.get(phone="+6281100000005").groups.filter(name="finance").exists()
    assert Group.objects.filter(name__in=["reviewer", "admin", "finance"]).count() == 3


def test_seed_demo_pays_a_first_month_through_the_simulator_once():
    from contributions.models import CoverageMonth, Invoice, Payment

    call_command("seed", "--demo")
    call_command("seed", "--demo")
    invoice = Invoice.objects.get()
    assert invoice.status == "paid"
    assert Payment.objects.filter(invoice=invoice, credited=True).count() == 1
    siti = Enrollment.objects.get(full_name="Siti Aminah")
    assert list(CoverageMonth.objects.values_list("member_id", flat=True)) == [siti.member_id]
    assert siti.member.paid_through is not None


def test_seed_demo_data_obeys_the_rules():
    """Demo data goes through the services: approved ones have valid KPJs, rejected ones a reason."""
    from registration.kpj import kpj_is_valid

    call_command("seed", "--demo")
    for row in Enrollment.objects.all():
        if row.status == "approved":
            assert kpj_is_valid(row.kpj_number)
        elif row.status in ("awaiting_consent", "pending_review", "rejected"):
            assert row.kpj_number is None
        if row.status == "rejected":
            assert row.rejection_reason
        assert row.member.nik_encrypted and len(row.member.nik_hash) == 64
    assert User.objects.get(phone=DEMO_SPONSOR).check_password("demo-sponsor-2026")


def test_the_demo_sponsor_can_still_register_a_worker_after_seeding(settings):
    """The demo workers go through the registration service (and its daily cap); they are dated as
    registered before today, so the demo sponsor's daily registrations are free for trying the API."""
    from tests.api import client_for
    from tests.factories import worker_payload

    settings.API_THROTTLING = False
    call_command("seed", "--demo")
    sponsor = User.objects.get(phone=DEMO_SPONSOR)
    assert Enrollment.objects.filter(sponsor=sponsor).count() > settings.SPONSOR_DAILY_REGISTRATIONS

    response = client_for(sponsor).post("/api/v1/workers", worker_payload(), format="json")
    assert response.status_code == 201, response.content
