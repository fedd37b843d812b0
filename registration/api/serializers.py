"""Shapes of the worker resource. Rules live in registration.services."""

from rest_framework import serializers

from core.api.fields import (
    CodedIntegerField,
    CodedListField,
    NameField,
    NikField,
    OccupationField,
    OtpCodeField,
    PhoneField,
    StrictCharField,
    datetime_representation,
)
from registration.choices import EndReason, EnrollmentStatus, Programme, Relationship
from registration.coverage import Coverage, coverage_for
from registration.selectors import COVERAGE_STATUSES, membership_shown_by
from registration.models import Occupation
from registration import services as registration_services


class WorkerCreateSerializer(serializers.Serializer):
    nik = NikField()
    full_name = NameField()
    birth_date = serializers.DateField()
    phone = PhoneField()
    occupation = OccupationField()
    relationship = serializers.ChoiceField(
        choices=Relationship.choices,
        help_text="Who the worker is to the caller. `self`: the caller enrolls themselves (at most one per "
        "account): `phone` must be the account's own verified phone, and no consent step follows.",
    )
    income_level = CodedIntegerField(domain_code="income_level_invalid", min_value=1)
    programmes = CodedListField(
        domain_code="programmes_invalid",
        child=serializers.ChoiceField(choices=Programme.choices),
        min_length=2,
        max_length=3,
    )
    address = StrictCharField(max_length=255, required=False, allow_blank=True, default="")


class WorkerUpdateSerializer(serializers.Serializer):
    phone = PhoneField(required=False)
    occupation = OccupationField(required=False)
    income_level = CodedIntegerField(domain_code="income_level_invalid", min_value=1, required=False)
    programmes = CodedListField(
        domain_code="programmes_invalid",
        child=serializers.ChoiceField(choices=Programme.choices),
        min_length=2,
        max_length=3,
        required=False,
    )
    address = StrictCharField(max_length=255, required=False, allow_blank=True)
    # Issue 22: whether the payer's autopay pays this worker (default true).
    autopay = serializers.BooleanField(required=False)


class ConsentSerializer(serializers.Serializer):
    code = OtpCodeField()


class CoverageSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=COVERAGE_STATUSES)
    paid_through = serializers.CharField(allow_null=True, help_text="Last paid month, YYYY-MM.")
    next_due_date = serializers.DateField(allow_null=True)
    arrears_months = serializers.IntegerField(min_value=0)


class MemberSummarySerializer(serializers.Serializer):
    registered_at = serializers.DateField(help_text="The day of the member's first approval.")
    coverage_started = serializers.CharField(
        allow_null=True, help_text="First month of the current coverage period, YYYY-MM."
    )
    sponsorships = serializers.IntegerField(min_value=1, help_text="The member's sponsorships that were ever approved.")


class WorkerSerializer(serializers.Serializer):
    """A worker registered by the caller, with its coverage."""

    # Expects `monthly_contributions` ({id: amount}) in the context. The fields below are the
    # schema; `worker_data` renders them (a list renders many workers, and DRF's field-by-field walk
    # cost more than the list's query).

    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    nik_masked = serializers.CharField(read_only=True)
    gender = serializers.ChoiceField(choices=[("M", "Male"), ("F", "Female")], read_only=True)
    birth_date = serializers.DateField(read_only=True)
    phone = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    occupation = serializers.CharField(source="occupation_id", read_only=True)
    relationship = serializers.ChoiceField(choices=Relationship.choices, read_only=True)
    income_level = serializers.IntegerField(source="income_level_id", read_only=True)
    programmes = serializers.ListField(child=serializers.ChoiceField(choices=Programme.choices), read_only=True)
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, read_only=True)
    kpj_number = serializers.CharField(read_only=True, allow_null=True)
    rejection_reason = serializers.CharField(read_only=True)
    monthly_contribution = serializers.IntegerField(read_only=True)
    coverage = CoverageSerializer(read_only=True)
    member = MemberSummarySerializer(
        read_only=True, allow_null=True, help_text="The person's membership; null until this sponsorship is approved."
    )
    consented_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    ended_at = serializers.DateTimeField(read_only=True, allow_null=True)
    end_reason = serializers.ChoiceField(choices=EndReason.choices, read_only=True, allow_null=True)

    def to_representation(self, instance) -> dict:
        if "today" not in self.context:
            self.context["today"] = registration_services.today_wib()
        monthly = self.context["monthly_contributions"][instance.pk]
        return worker_data(instance, monthly=monthly, today=self.context["today"])


def shown_membership(obj, *, today) -> tuple[str | None, Coverage, dict | None]:
    """The KPJ, coverage and member summary a sponsorship shows (API.md "Members"; the rule is
    registration.selectors.membership_shown_by, which the member's documents share)."""
    shown = membership_shown_by(obj)
    if shown is None:
        return None, coverage_for(paid_through=None, today=today, payable=False), None
    member = obj.member
    summary = {
        "registered_at": member.registered_at.isoformat() if member.registered_at else None,
        "coverage_started": shown.coverage_started.strftime("%Y-%m") if shown.coverage_started else None,
        "sponsorships": member.approved_sponsorships,
    }
    cover = coverage_for(paid_through=shown.paid_through, today=today, payable=shown.payable)
    return shown.kpj_number, cover, summary


def coverage_data(cover: Coverage) -> dict:
    return {
        "status": cover.status,
        "paid_through": cover.paid_through.strftime("%Y-%m") if cover.paid_through else None,
        "next_due_date": cover.next_due_date.isoformat() if cover.next_due_date else None,
        "arrears_months": cover.arrears_months,
    }


def worker_data(obj, *, monthly: int, today) -> dict:
    """The worker object of API.md, as WorkerSerializer declares it."""
    kpj, cover, summary = shown_membership(obj, today=today)
    member = obj.member
    return {
        "id": obj.pk,
        "full_name": obj.full_name,
        "nik_masked": member.nik_masked,
        "gender": member.gender,
        "birth_date": member.birth_date.isoformat(),
        "phone": obj.phone,
        "address": obj.address,
        "occupation": obj.occupation_id,
        "relationship": obj.relationship,
        "income_level": obj.income_level_id,
        "programmes": obj.programmes,
        "status": obj.status,
        "kpj_number": kpj,
        "rejection_reason": obj.rejection_reason,
        "monthly_contribution": monthly,
        "coverage": coverage_data(cover),
        "member": summary,
        "consented_at": datetime_representation(obj.consented_at),
        "created_at": datetime_representation(obj.created_at),
        "ended_at": datetime_representation(obj.ended_at),
        "end_reason": obj.end_reason or None,
    }


class SponsorshipSerializer(serializers.Serializer):
    """A sponsorship of the caller by another account, as the worker sees it (GET /me/sponsorships)."""

    id = serializers.IntegerField(help_text="The sponsorship's id (the sponsor's /workers/{id}).")
    sponsor_name = serializers.CharField()
    relationship = serializers.ChoiceField(choices=Relationship.choices)
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    kpj_number = serializers.CharField(allow_null=True)
    coverage = CoverageSerializer()
    created_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.ChoiceField(choices=EndReason.choices, allow_null=True)

    def to_representation(self, instance) -> dict:
        return sponsorship_data(instance, today=self.context["today"])


def sponsorship_data(obj, *, today) -> dict:
    kpj, cover, _ = shown_membership(obj, today=today)
    return {
        "id": obj.pk,
        "sponsor_name": obj.sponsor.full_name,
        "relationship": obj.relationship,
        "status": obj.status,
        "kpj_number": kpj,
        "coverage": coverage_data(cover),
        "created_at": datetime_representation(obj.created_at),
        "ended_at": datetime_representation(obj.ended_at),
        "end_reason": obj.end_reason or None,
    }


class OccupationSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Occupation
        fields = ["code", "name", "sector"]

    def get_name(self, obj) -> str:
        from django.utils import translation

        return obj.name_for((translation.get_language() or "id")[:2])


def _month(value) -> str | None:
    return value.strftime("%Y-%m") if value else None


class CardSerializer(serializers.Serializer):
    """The member's card (e-KTA): what the printable card shows, and the text of its QR code."""

    kpj_number = serializers.CharField()
    full_name = serializers.CharField()
    nik_masked = serializers.CharField()
    birth_date = serializers.DateField()
    programmes = serializers.ListField(child=serializers.ChoiceField(choices=Programme.choices))
    occupation = serializers.CharField()
    coverage = CoverageSerializer()
    member_since = serializers.CharField(allow_null=True, help_text="YYYY-MM: the member's coverage_started.")
    verify_url = serializers.URLField(help_text="The public page that checks this card live.")
    qr_payload = serializers.CharField(help_text="The exact text in the QR code: the verify_url.")

    def to_representation(self, card) -> dict:
        member = card.member
        return {
            "kpj_number": member.kpj_number,
            "full_name": member.full_name,
            "nik_masked": member.nik_masked,
            "birth_date": member.birth_date.isoformat(),
            "programmes": member.programmes,
            "occupation": member.occupation,
            "coverage": coverage_data(card.coverage),
            "member_since": _month(card.member_since),
            "verify_url": card.verify_url,
            "qr_payload": card.verify_url,
        }


class BenefitSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable key of the benefit, e.g. jkm_death.")
    programme = serializers.ChoiceField(choices=Programme.choices)
    title = serializers.CharField()
    amount = serializers.IntegerField(allow_null=True, help_text="Whole rupiah; null when not a fixed sum.")
    description = serializers.CharField()
    eligible = serializers.BooleanField(help_text="The member is protected for this today.")
    eligible_from = serializers.DateField(allow_null=True, help_text="The day it applies (from).")


class VerificationSerializer(serializers.Serializer):
    """The public answer for a membership card: masked, computed when asked."""

    valid = serializers.BooleanField()
    name = serializers.CharField(help_text="Each name part keeps its first letter: S*** A*****.")
    kpj_masked = serializers.CharField(help_text="The last 4 digits: *******0009.")
    programmes = serializers.ListField(child=serializers.ChoiceField(choices=Programme.choices))
    coverage_status = serializers.ChoiceField(choices=["not_started", "active", "arrears", "lapsed"])
    paid_through = serializers.CharField(allow_null=True, help_text="Last paid month, YYYY-MM.")
    checked_at = serializers.DateTimeField()

    def to_representation(self, answer) -> dict:
        return {
            **answer,
            "paid_through": _month(answer["paid_through"]),
            "checked_at": datetime_representation(answer["checked_at"]),
        }
