"""`YYYY-MM` months in the API, first-of-month dates inside."""

import datetime
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.messages import message

# Years 1900 to 2999: anything the business can mean, and far enough from datetime's year 9999 that
# month arithmetic on the value (a 12-month quote from 9999-11) never leaves the calendar (a 500).
_MONTH = re.compile(r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])$")


@extend_schema_field({"type": "string", "pattern": _MONTH.pattern, "example": "2026-12"})
class MonthField(serializers.Field):
    def to_internal_value(self, data):
        match = _MONTH.fullmatch(data) if isinstance(data, str) else None
        if match is None:
            raise serializers.ValidationError(message("month_invalid"), code="month_invalid")
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)

    def to_representation(self, value):
        return value.strftime("%Y-%m")


__all__ = ["MonthField", "OpenApiTypes"]
