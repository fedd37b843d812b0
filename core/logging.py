"""A logging filter that removes NIKs and phone numbers from every log record (UU PDP 27/2022)."""

import logging
import re

# 16 digits standing alone: a NIK (or a KPJ-like id long enough to be one; redacting it costs nothing).
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
# Indonesian mobile numbers in every form normalize_phone accepts: +62 8…, 62 8…, 08…, with spaces,
# dashes, dots or brackets.
_PHONE = re.compile(r"(?<![\d+])\(?(?:\+?62|0)\)?[\s\-.()]*8(?:[\s\-.()]*\d){7,11}(?!\d)")


def redact(text: str) -> str:
    text = _NIK.sub("[NIK]", text)
    return _PHONE.sub("[PHONE]", text)


class RedactPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RedactingFormatter(logging.Formatter):
    """Also redacts what only the formatter produces: tracebacks and stack text."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
