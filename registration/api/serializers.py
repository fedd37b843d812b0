"""Shapes of the worker resource. Rules live in registration.services."""

from rest_framework import serializers

from core.api.fields import (
    CodedCharField,
    CodedIntegerField,
    CodedListField,
    NameField,
    NikField,
    OtpCodeField,
    PhoneField,
    StrictCharField,
    datetime_representation,
)
from registration.choices import EnrollmentStatus, Programme, Relationship
from registration.coverage import coverage_for
from registration.models import Occupation
from registration import services as registration_services


class WorkerCreateSerializer(serializers.Serializer):
    nik = NikField()
    full_name = NameField()
    birth_date = serializers.DateField()
    phone = PhoneField()
    occupation = CodedCharField(domain_code="occupation_invalid", max_length=40)
    relationship = serializers.ChoiceField(choices=Relationship.choices)
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
    occupation = CodedCharField(domain_code="occupation_invalid", max_length=40, required=False)
    income_level = CodedIntegerField(domain_code="income_level_invalid", min_value=1, required=False)
    programmes = CodedListField(
        domain_code="programmes_invalid",
        child=serializers.ChoiceField(choices=Programme.choices),
        min_length=2,
        max_length=3,
        required=False,
    )
    address = StrictCharField(max_length=255, required=False, allow_blank=True)


class ConsentSerializer(serializers.Serializer):
    code = OtpCodeField()


class CoverageSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["not_started", "active", "arrears", "lapsed"])
    paid_through = serializers.CharField(allow_null=True, help_text="Last paid month, YYYY-MM.")
    next_due_date = serializers.DateField(allow_null=True)
    arrears_months = serializers.IntegerField(min_value=0)


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
    consented_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance) -> dict:
        if "today" not in self.context:
            self.context["today"] = registration_services.today_wib()
        monthly = self.context["monthly_contributions"][instance.pk]
        return worker_data(instance, monthly=monthly, today=self.context["today"])


def worker_data(obj, *, monthly: int, today) -> dict:
    """The worker object of API.md, as WorkerSerializer declares it."""
    cover = coverage_for(paid_through=obj.paid_through, today=today, payable=obj.status == EnrollmentStatus.APPROVED)
    return {
        "id": obj.pk,
        "full_name": obj.full_name,
        "nik_masked": obj.nik_masked,
        "gender": obj.gender,
        "birth_date": obj.birth_date.isoformat(),
        "phone": obj.phone,
        "address": obj.address,
        "occupation": obj.occupation_id,
        "relationship": obj.relationship,
        "income_level": obj.income_level_id,
        "programmes": obj.programmes,
        "status": obj.status,
        "kpj_number": obj.kpj_number,
        "rejection_reason": obj.rejection_reason,
        "monthly_contribution": monthly,
        "coverage": {
            "status": cover.status,
            "paid_through": cover.paid_through.strftime("%Y-%m") if cover.paid_through else None,
            "next_due_date": cover.next_due_date.isoformat() if cover.next_due_date else None,
            "arrears_months": cover.arrears_months,
        },
        "consented_at": datetime_representation(obj.consented_at),
        "created_at": datetime_representation(obj.created_at),
    }


class OccupationSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Occupation
        fields = ["code", "name", "sector"]

    def get_name(self, obj) -> str:
        from django.utils import translation

        return obj.name_for((translation.get_language() or "id")[:2])
