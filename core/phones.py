"""Indonesian mobile numbers, normalised to E.164 with `phonenumbers`.

Accepted: `0812…`, `62812…`, `+62812…`, with spaces, dashes, dots or brackets. Anything that is not a
valid Indonesian *mobile* number is refused: SMS codes and reminders must reach a handset.
"""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_SEPARATORS = re.compile(r"[\s\-.()]")
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: object) -> str:
    """Return the E.164 form (`+6281234567890`) or raise InvalidPhone."""
    if not isinstance(raw, str):
        raise InvalidPhone("not a string")
    compact = _SEPARATORS.sub("", raw.strip())
    if not compact or len(compact) > 20:
        raise InvalidPhone("empty or too long")
    if compact.startswith("62"):
        compact = "+" + compact
    if not re.fullmatch(r"\+?[0-9]+", compact):
        raise InvalidPhone("not digits")
    try:
        number = phonenumbers.parse(compact, "ID")
    except NumberParseException as exc:
        raise InvalidPhone(str(exc)) from exc
    if number.country_code != 62 or not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid Indonesian number")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhone("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone_or_none(raw: object) -> str | None:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return None


def mask_phone(e164: str) -> str:
    """`+6281234567890` → `+62812****7890`, for staff screens and logs."""
    if len(e164) < 9:
        return "*" * len(e164)
    return e164[:6] + "*" * (len(e164) - 10) + e164[-4:]
