"""Factories. Enrollments are made through the registration services so they obey the same rules."""

import datetime
import random

import factory
from django.utils import timezone

from core.nik import PROVINCES
from registration import services as registration
from registration.choices import ConsentMethod
from registration.models import IncomeLevel, Occupation
from sponsors.models import User

PASSWORD = "Sertakan#2026-test"


def random_mobile() -> str:
    return f"+62812{random.randint(10_000_000, 99_999_999)}"


def make_nik(*, birth_date: datetime.date = datetime.date(1990, 7, 5), female: bool = True,
             province: str = "31", serial: int | None = None) -> str:
    assert province in PROVINCES
    day = birth_date.day + (40 if female else 0)
    serial = serial if serial is not None else random.randint(1, 9999)
    return f"{province}{random.randint(1, 99):02d}{random.randint(1, 99):02d}{day:02d}{birth_date:%m%y}{serial:04d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.LazyFunction(random_mobile)
    full_name = factory.Faker("name")
    phone_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


def staff_in(group: str | None, **extra) -> User:
    """A back-office account (is_staff) in one of the staff groups the migrations make (reviewer,
    finance, admin), or in none."""
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def reference_data() -> None:
    """The occupations and income level the tests use (tests never depend on the seed command)."""
    for code, sector in [
        ("household_assistant", "non_transport"),
        ("private_driver", "transport"),
        ("gardener", "non_transport"),
        ("caregiver", "non_transport"),
        ("security_guard", "non_transport"),
        ("other", "non_transport"),
    ]:
        Occupation.objects.get_or_create(code=code, defaults={"name_id": code, "name_en": code, "sector": sector})
    IncomeLevel.objects.get_or_create(amount=1_000_000)


def normal_rates() -> None:
    from decimal import Decimal

    from contributions.models import ContributionRate

    ContributionRate.objects.get_or_create(
        kind="normal", sector="", valid_from=datetime.date(2015, 7, 1),
        defaults=dict(regulation="PP 44/2015", jkk_percent=Decimal("1"), jkm_amount=6800, jht_percent=Decimal("2")),
    )
    ContributionRate.objects.get_or_create(
        kind="adjustment", sector="transport", valid_from=datetime.date(2026, 1, 1),
        defaults=dict(regulation="PP 50/2025", valid_to=datetime.date(2027, 3, 31), jkk_percent=Decimal("0.5"),
                      jkm_amount=3400, jht_percent=Decimal("2")),
    )
    ContributionRate.objects.get_or_create(
        kind="adjustment", sector="non_transport", valid_from=datetime.date(2026, 4, 1),
        defaults=dict(regulation="PP 50/2025", valid_to=datetime.date(2026, 12, 31), jkk_percent=Decimal("0.5"),
                      jkm_amount=3400, jht_percent=Decimal("2")),
    )


def worker_payload(**overrides) -> dict:
    birth_date = overrides.pop("birth_date_obj", datetime.date(1990, 7, 5))
    payload = {
        "nik": make_nik(birth_date=birth_date),
        "full_name": "Siti Aminah",
        "birth_date": birth_date.isoformat(),
        "phone": random_mobile(),
        "occupation": "household_assistant",
        "relationship": "household_helper",
        "income_level": 1_000_000,
        "programmes": ["JKK", "JKM", "JHT"],
        "address": "Jl. Melati 5, Jakarta",
    }
    payload.update(overrides)
    return payload


def enrollment(*, sponsor: User | None = None, consent: bool = True, **overrides):
    """An enrollment made through the services; with `consent`, consented (and so checked)."""
    sponsor = sponsor or UserFactory()
    data = worker_payload(**overrides)
    data["birth_date"] = datetime.date.fromisoformat(data["birth_date"])
    made = registration.enrollment_create(sponsor=sponsor, **data)
    if consent and made.status == "awaiting_consent":
        made = registration.enrollment_consent_record(enrollment=made, method=ConsentMethod.SMS_OTP)
    return made
