"""`YYYY-MM` months in the API, first-of-month dates inside."""

import datetime
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.messages import message

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-12"})
class MonthField(serializers.Field):
    def to_internal_value(self, data):
        match = _MONTH.match(data) if isinstance(data, str) else None
        if match is None or int(match.group(1)) < 1900:
            raise serializers.ValidationError(message("month_invalid"), code="month_invalid")
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)

    def to_representation(self, value):
        return value.strftime("%Y-%m")


__all__ = ["MonthField", "OpenApiTypes"]
