"""`manage.py seed [--demo]`: reference data, and demo accounts and workers. Running it twice changes nothing.

Everything goes through the same services and validation as the API (CONVENTIONS.md), so demo data
obeys the same rules as real data.
"""

import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from contributions.models import ContributionRate
from core.phones import normalize_phone
from registration import services as registration
from registration.choices import ConsentMethod, EnrollmentStatus
from registration.models import Enrollment, IncomeLevel, Occupation
from sponsors import services as accounts
from sponsors.models import User

SEEDS = Path(__file__).resolve().parents[2]
DEMO_REGISTERED_AGO = datetime.timedelta(hours=25)


def _load(name: str):
    return json.loads((SEEDS / name).read_text(encoding="utf-8"))


class Command(BaseCommand):
    help = "Load reference data (occupations, income levels, rates); --demo adds demo accounts and workers."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Also create demo sponsors, workers and staff.")

    @transaction.atomic
    def handle(self, *args, demo: bool = False, **options):
        self.seed_reference()
        if demo:
            self.seed_demo()

    def seed_reference(self) -> None:
        for row in _load("occupations.json"):
            Occupation.objects.update_or_create(code=row.pop("code"), defaults=row)
        for row in _load("income_levels.json"):
            IncomeLevel.objects.get_or_create(amount=row["amount"])
        for row in _load("contribution_rates.json"):
            rate = ContributionRate.objects.filter(
                kind=row["kind"], sector=row["sector"], valid_from=row["valid_from"]
            ).first() or ContributionRate(kind=row["kind"], sector=row["sector"])
            rate.regulation = row["regulation"]
            rate.source = row["source"]
            rate.valid_from = datetime.date.fromisoformat(row["valid_from"])
            rate.valid_to = datetime.date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
            rate.jkk_percent = Decimal(row["jkk_percent"])
            rate.jkm_amount = row["jkm_amount"]
            rate.jht_percent = Decimal(row["jht_percent"])
            rate.full_clean()
            rate.save()
        self.stdout.write("Reference data: occupations, income levels and contribution rates are loaded.")

    def seed_demo(self) -> None:
        demo = _load("demo.json")
        for row in demo["staff"]:
            user = User.objects.filter(phone=row["phone"]).first()
            if user is None:
                user = User.objects.create_user(
                    row["phone"], row["password"], full_name=row["full_name"], is_staff=True,
                    phone_verified_at=timezone.now(),
                )
            user.groups.add(Group.objects.get(name=row["group"]))
        reviewer = User.objects.get(phone=demo["staff"][0]["phone"])
        for row in demo["sponsors"]:
            if User.objects.filter(phone=row["phone"]).exists():
                continue
            sponsor = User.objects.create_user(
                row["phone"], row["password"], full_name=row["full_name"], email=row["email"],
                phone_verified_at=timezone.now(),
            )
            sponsor = accounts.user_update(user=sponsor, reminder_channels=row["reminder_channels"])
            made = [self.seed_worker(sponsor, worker, reviewer) for worker in row["workers"]]
            if row.get("pays_first_month_for") and settings.PAYMENT_GATEWAY == "simulator":
                self.seed_payment(sponsor, [e for e in made if e.full_name in row["pays_first_month_for"]])
        self.stdout.write("Demo data: sponsors, workers in each status, and staff accounts are in place.")

    def seed_payment(self, sponsor: User, enrollments: list[Enrollment]) -> None:
        """A paid invoice through the simulator, exactly as the app and the gateway would do it."""
        from contributions import services as contributions
        from contributions.gateways import get_gateway

        invoice = contributions.invoice_create(
            sponsor=sponsor, items=[{"worker": e.pk, "months": 1} for e in enrollments]
        )
        payload = get_gateway("simulator").pay(order_id=invoice.number)
        notification = contributions.notification_receive(gateway_name="simulator", payload=payload)
        contributions.notification_process(notification_id=notification.pk)

    def seed_worker(self, sponsor: User, worker: dict, reviewer: User) -> Enrollment:
        outcome = worker.pop("outcome")
        reason = worker.pop("rejection_reason", "")
        enrollment = registration.enrollment_create(
            sponsor=sponsor,
            income_level=1_000_000,
            birth_date=datetime.date.fromisoformat(worker.pop("birth_date")),
            phone=normalize_phone(worker.pop("phone")),
            **worker,
        )
        # Demo history: registered 25 h ago, so the demo sponsor's daily registrations
        # (SPONSOR_DAILY_REGISTRATIONS) are free for trying the API by hand, and the next demo worker's
        # registration is not refused by the ones before it. Still within CONSENT_TTL_HOURS.
        enrollment.created_at -= DEMO_REGISTERED_AGO
        Enrollment.objects.filter(pk=enrollment.pk).update(created_at=enrollment.created_at)
        if outcome != EnrollmentStatus.AWAITING_CONSENT and enrollment.status == EnrollmentStatus.AWAITING_CONSENT:
            enrollment = registration.enrollment_consent_record(enrollment=enrollment, method=ConsentMethod.DEMO)
        if outcome == EnrollmentStatus.REJECTED:
            enrollment = registration.enrollment_reject(enrollment=enrollment, actor=reviewer, reason=reason)
        if outcome == EnrollmentStatus.ENDED:
            enrollment = registration.enrollment_end(enrollment=enrollment)
        if enrollment.status != outcome:
            raise RuntimeError(f"demo worker {enrollment.full_name} ended as {enrollment.status}, not {outcome}")
        return enrollment

