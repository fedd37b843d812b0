"""Serializer fields for the project's value types."""

from rest_framework import serializers
from rest_framework.settings import api_settings

from core import names
from core.messages import message
from core.nik import invalid_nik_reason
from core.phones import InvalidPhone, normalize_phone


class StrictCharField(serializers.CharField):
    """A string, and only a string: DRF would otherwise turn `0` or `true` into "0" / "True".
    Its length is checked as sent (the documented maxLength), before whitespace is trimmed."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer, and only an integer: not "12", 12.0 or true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


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


class OtpCodeField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("min_length", 1)
        super().__init__(**kwargs)


class DomainCodeMixin:
    """Report any shape error of this field with one domain code (e.g. `nik_invalid`), except a
    missing or null value, which keeps DRF's `required` / `null`.

    `item_errors` (a list of objects): the errors of an item keep their own codes and name the item and
    its field (`items.1.months`); only the list's own errors (not a list, empty, too long) become the
    domain code."""

    domain_code = "invalid"

    def __init__(self, *args, domain_code: str | None = None, item_errors: bool = False, **kwargs):
        if domain_code:
            self.domain_code = domain_code
        self.item_errors = item_errors
        super().__init__(*args, **kwargs)

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            if exc.get_codes() in (["required"], ["null"]):
                raise
            if self.item_errors and isinstance(exc.detail, dict):  # {index: the item's errors}
                # An item that is not an object at all (null, a number) is named as its
                # `items.1.non_field_errors`, the way a serializer names errors of a whole object.
                raise serializers.ValidationError(
                    {
                        index: errors if isinstance(errors, dict) else {api_settings.NON_FIELD_ERRORS_KEY: errors}
                        for index, errors in exc.detail.items()
                    }
                ) from exc
            raise serializers.ValidationError(message(self.domain_code), code=self.domain_code) from exc


class CodedCharField(DomainCodeMixin, StrictCharField):
    pass


class OccupationField(CodedCharField):
    """An occupation's code, as GET /occupations lists them; anything else is `occupation_invalid`.
    registration/api/openapi.py documents its values (the seeded occupations) as the schema's enum."""

    def __init__(self, **kwargs):
        kwargs.setdefault("domain_code", "occupation_invalid")
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)


class NikField(StrictCharField):
    """16 ASCII digits, as a string. A wrong shape is `nik_invalid` with its reason (a number, not 16
    digits, other characters); the province, date and serial are the service's to check."""

    def __init__(self, **kwargs):
        kwargs.update(max_length=16, min_length=16)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        try:
            value = super().run_validation(data)
        except serializers.ValidationError as exc:
            if exc.get_codes() in (["required"], ["null"]):
                raise
            self._invalid(data)
        if not value.isascii() or not value.isdigit():
            self._invalid(value)
        return value

    @staticmethod
    def _invalid(raw):
        reason = invalid_nik_reason(raw, "format")
        raise serializers.ValidationError(message("nik_invalid", reason=reason), code="nik_invalid")


class NameField(DomainCodeMixin, StrictCharField):
    """A person's name (core.names): returned in canonical form; anything else is `name_invalid`."""

    domain_code = "name_invalid"

    def __init__(self, **kwargs):
        kwargs.update(max_length=names.MAX_LENGTH, min_length=names.MIN_LENGTH)
        kwargs.setdefault("help_text", "2 to 100 characters of letters, spaces and . ' - , (no digits, no links).")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return names.name_normalize(value)
        except names.InvalidName as exc:
            raise serializers.ValidationError(message("name_invalid"), code="name_invalid") from exc


class CodedIntegerField(DomainCodeMixin, StrictIntegerField):
    pass


class CodedListField(DomainCodeMixin, serializers.ListField):
    pass


_DATETIME = serializers.DateTimeField()


def datetime_representation(value) -> str | None:
    """A datetime as DRF renders it (ISO 8601 in the current time zone), for plain rendering functions."""
    return None if value is None else _DATETIME.to_representation(value)
