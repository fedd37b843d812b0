from rest_framework import serializers

from core.api.fields import CodedCharField, CodedIntegerField, CodedListField
from core.api.months import MonthField
from registration.choices import Programme


class IncomeLevelSerializer(serializers.Serializer):
    income = serializers.IntegerField()
    jkk = serializers.IntegerField()
    jkm = serializers.IntegerField()
    jht = serializers.IntegerField()


class QuoteInputSerializer(serializers.Serializer):
    income_level = CodedIntegerField(domain_code="income_level_invalid", min_value=1)
    programmes = CodedListField(
        domain_code="programmes_invalid",
        child=serializers.ChoiceField(choices=Programme.choices),
        min_length=2,
        max_length=3,
    )
    occupation = CodedCharField(domain_code="occupation_invalid", max_length=40)
    start_month = MonthField(required=False, allow_null=True, default=None)
    months = CodedIntegerField(domain_code="months_not_allowed")


class MonthPriceSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    jkk = serializers.IntegerField()
    jkm = serializers.IntegerField()
    jht = serializers.IntegerField()
    total = serializers.IntegerField()
    adjustment = serializers.CharField(allow_null=True, help_text="The regulation that changed this month's rates.")


class QuoteSerializer(serializers.Serializer):
    months = MonthPriceSerializer(many=True)
    total = serializers.IntegerField()
