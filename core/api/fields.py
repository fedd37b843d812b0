"""Serializer fields for the project's value types."""

from rest_framework import serializers

from core.messages import message
from core.phones import InvalidPhone, normalize_phone


class PhoneField(serializers.CharField):
    """Accepts `0812…`, `62812…`, `+62812…` with spaces or dashes; yields and renders E.164.
    Any unusable value (blank, not a string, not an Indonesian mobile) is `phone_invalid`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            if exc.get_codes() in (["required"], ["null"]):
                raise
            raise serializers.ValidationError(message("phone_invalid"), code="phone_invalid") from exc

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(message("phone_invalid"), code="phone_invalid")
        value = super().to_internal_value(data)
        try:
            return normalize_phone(value)
        except InvalidPhone as exc:
            raise serializers.ValidationError(message("phone_invalid"), code="phone_invalid") from exc


class OtpCodeField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("min_length", 1)
        super().__init__(**kwargs)


class DomainCodeMixin:
    """Report any shape error of this field with one domain code (e.g. `nik_invalid`), except a
    missing or null value, which keeps DRF's `required` / `null`."""

    domain_code = "invalid"

    def __init__(self, *args, domain_code: str | None = None, **kwargs):
        if domain_code:
            self.domain_code = domain_code
        super().__init__(*args, **kwargs)

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            if exc.get_codes() in (["required"], ["null"]):
                raise
            raise serializers.ValidationError(message(self.domain_code), code=self.domain_code) from exc


class CodedCharField(DomainCodeMixin, serializers.CharField):
    pass


class CodedIntegerField(DomainCodeMixin, serializers.IntegerField):
    pass


class CodedListField(DomainCodeMixin, serializers.ListField):
    pass
