"""Shapes of the worker resource. Rules live in registration.services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import (
    CodedCharField,
    CodedIntegerField,
    CodedListField,
    OtpCodeField,
    PhoneField,
    StrictCharField,
)
from registration.choices import EnrollmentStatus, Programme, Relationship
from registration.coverage import coverage_for
from registration.models import Occupation
from registration import services as registration_services


class WorkerCreateSerializer(serializers.Serializer):
    nik = CodedCharField(domain_code="nik_invalid", max_length=16, min_length=16, trim_whitespace=True)
    full_name = StrictCharField(max_length=150)
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
    """The worker object of API.md. Expects `monthly_contributions` ({id: amount}) in the context.

    A plain Serializer with its fields spelled out: lists render many of them, and a ModelSerializer
    would rebuild its fields from the model on every request."""

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
    monthly_contribution = serializers.SerializerMethodField()
    coverage = serializers.SerializerMethodField()
    consented_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_monthly_contribution(self, obj) -> int:
        return self.context["monthly_contributions"][obj.pk]

    @extend_schema_field(CoverageSerializer)
    def get_coverage(self, obj) -> dict:
        if "today" not in self.context:
            self.context["today"] = registration_services.today_wib()
        cover = coverage_for(
            paid_through=obj.paid_through,
            today=self.context["today"],
            payable=obj.status == EnrollmentStatus.APPROVED,
        )
        return {
            "status": cover.status,
            "paid_through": cover.paid_through.strftime("%Y-%m") if cover.paid_through else None,
            "next_due_date": cover.next_due_date.isoformat() if cover.next_due_date else None,
            "arrears_months": cover.arrears_months,
        }


class OccupationSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Occupation
        fields = ["code", "name", "sector"]

    def get_name(self, obj) -> str:
        from django.utils import translation

        return obj.name_for((translation.get_language() or "id")[:2])
