"""Keeping personal data out of every log line (UU PDP 27/2022, QUALITY.md Security 2 and 15).

`redact` removes NIKs and phone numbers from a text, and the values of every query string in it (a
query can carry a NIK or a phone in any encoding, or a one-time code, and a search or a Referer header
brings one into a log line). The filter applies it to every record of the loggers and handlers it is
attached to: Django's (config/settings/base.py LOGGING) and gunicorn's (core/serving.py).
"""

import logging
import re

# Digits right after "<digit>." are the fraction of a number (a task's duration `0.004738214000099106s`,
# an epoch `1765778400.0812345`) or a group of a rupiah amount (`Rp12.081.234.567`): never a NIK or a
# phone number, however many digits they have or how they begin.
_NOT_A_FRACTION = r"(?<!\d\.)"
# 16 digits standing alone: a NIK (or a KPJ-like id long enough to be one; redacting it costs nothing).
_NIK = re.compile(r"(?<!\d)" + _NOT_A_FRACTION + r"\d{16}(?!\d)")
# Indonesian mobile numbers in every form normalize_phone accepts: +62 8…, 62 8…, 08…, with spaces,
# dashes, dots or brackets (`0.812 3456 7890` too: normalize_phone takes it, so it stays redacted).
_PHONE = re.compile(r"(?<![\d+])" + _NOT_A_FRACTION + r"\(?(?:\+?62|0)\)?[\s\-.()]*8(?:[\s\-.()]*\d){7,11}(?!\d)")
# A query string inside a URL: after a character a URL can hold, up to whitespace or a quote.
_QUERY = re.compile(r"(?<=[\w/.~%\-])\?([^\s\"'<>]+)")
# Ids written in hex: a UUID (Celery's task ids, `b9e24f62-8123-4567-b3dd-b5e2249a2353`, whose groups
# read as a phone number `62-8123-4567`) or a digest of 32 or more hex digits. Random, never personal:
# left whole.
_HEX_ID = re.compile(r"(?<![\w-])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32,})(?![\w-])")


def scrub_query(query: str) -> str:
    """A query string with its parameter names kept and every value left out (`q=…&page_size=…`).

    A value can hold anything: a NIK, a phone number percent-encoded so no pattern sees it, a one-time
    code that looks like any other six digits. What was asked for stays readable; what was sent, not."""
    if not query:
        return query
    kept = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        kept.append(f"{name}=…" if sep else "…")
    return "&".join(kept)


def _redact_numbers(text: str) -> str:
    return _PHONE.sub("[PHONE]", _NIK.sub("[NIK]", text))


def redact(text: str) -> str:
    text = _QUERY.sub(lambda match: "?" + scrub_query(match.group(1)), text)
    parts, start = [], 0
    for hex_id in _HEX_ID.finditer(text):
        parts += [_redact_numbers(text[start : hex_id.start()]), hex_id.group()]
        start = hex_id.end()
    parts.append(_redact_numbers(text[start:]))
    return "".join(parts)


class RedactPersonalDataFilter(logging.Filter):
    """Rewrites the record itself, so every handler after it (and any formatter) sees it redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            # What the formatter would write for the traceback, made now so that it can be redacted:
            # formatters keep an exc_text they find.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """Also redacts what only the formatter produces: tracebacks and stack text."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
