"""The API's JSON parser: DRF's, refusing with a 400 `parse_error` what would otherwise reach the code
behind it and end in a 500 (API.md "General rules", QUALITY.md Security 16).

- Nesting deeper than MAX_DEPTH. Python's json recurses (50,000 `[` raise RecursionError), and so
  does everything that walks the data later (serializers, json.dumps into a JSONField). The API's
  bodies are three levels deep at most, a gateway's notification a few more.
- Text that cannot be stored or sent back: NUL (PostgreSQL text and jsonb refuse it) and unpaired
  surrogates (`"\\ud800"` is valid JSON but no UTF-8 encoder takes it, so the response that quotes
  it fails too).
"""

import codecs
import io
import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import get_encoding

from core.messages import message

MAX_DEPTH = 20


def _text_ok(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check(data, *, depth: bool = True, text: bool = True) -> None:
    """Raise ParseError when `data` (parsed JSON) nests deeper than MAX_DEPTH (with `depth`) or holds
    text that is not allowed (with `text`). Iterative, so any depth json could parse is walked safely."""
    if isinstance(data, str):
        if text and not _text_ok(data):
            raise ParseError(message("body_text_invalid"))
        return
    if not isinstance(data, (dict, list)):
        return
    stack = [(data, 0)]
    while stack:
        value, level = stack.pop()
        if depth and level >= MAX_DEPTH:
            raise ParseError(message("body_too_deep", depth=MAX_DEPTH))
        if isinstance(value, dict):
            if text and not all(_text_ok(key) for key in value):
                raise ParseError(message("body_text_invalid"))
            value = value.values()
        for item in value:
            if isinstance(item, str):
                if text and not _text_ok(item):
                    raise ParseError(message("body_text_invalid"))
            elif isinstance(item, (dict, list)):
                stack.append((item, level + 1))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(message("body_too_deep", depth=MAX_DEPTH)) from exc
        except ParseError as exc:
            # DRF's detail quotes Python's json error ("JSON parse error - Expecting value: line 1
            # column 1 (char 0)"), in English whatever the request's language: say it in ours.
            cause = exc.__context__
            if isinstance(cause, json.JSONDecodeError):
                raise ParseError(message("json_invalid_at", line=cause.lineno, column=cause.colno)) from cause
            raise ParseError(message("json_invalid")) from cause  # not UTF-8, NaN, Infinity
        # Cheap tests on UTF-8 bytes first: nesting needs brackets, and in JSON text a NUL or a
        # surrogate can only be written as a \u escape. Most bodies skip the walk.
        utf8 = codecs.lookup(get_encoding(parser_context or {})).name == "utf-8"
        deep = not utf8 or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
        escaped = not utf8 or b"\\u" in raw
        if deep or escaped:
            check(data, depth=deep, text=escaped)
        return data
