"""What every operation of the OpenAPI document shares (issue 25): the `Accept-Language` header, the
descriptions of the standard error answers, and the examples of every error answer.

Each app documents its own operations (summary, description, request and success examples) in its
`api/openapi.py`, next to its views; this module fills in what no operation spells out by hand:

- `ACCEPT_LANGUAGE`, added to every operation by core.api.schema.AutoSchema;
- `error_examples`, a postprocessing hook (SPECTACULAR_SETTINGS): every error answer of every operation
  gets one example per error code the schema documents for it (the codes come from the views'
  decorators, never from a second list here), with the `type` of that status and the `detail` the API
  writes, in Indonesian (the default language): the catalogue's text (core.messages) for a domain code,
  DRF's or simplejwt's own for theirs. An example an app wrote by hand for a code (one whose text or
  `attr` the catalogue cannot guess) is kept. DRF's generic field codes (`null`, `max_length`, ...)
  stay in the schema's enums; `required`, `invalid` and `invalid_choice` stand for them with one
  example each.
"""

import re

from django.conf import settings
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import exceptions, serializers

from core.api.pagination import CursorPagination
from core.messages import MESSAGES, duration, message

ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    # Not an enum: any value is accepted (and falls back to Indonesian), as HTTP clients send many.
    examples=[OpenApiExample("Indonesian", value="id"), OpenApiExample("English", value="en")],
    description="The language of every human-readable text of the answer (error `detail`s, payment "
    "instructions, benefits, notifications): `id` (Bahasa Indonesia, the default) or `en` (English). "
    "Quality values are honoured (`en-US,en;q=0.9` is English); any other language answers in Indonesian. "
    "The answer's `Content-Language` names the language used. Machine strings (`code`, `status`, enum "
    "values) never change with it.",
)



def request_example(value, name: str = "Request", summary: str | None = None, **kwargs) -> OpenApiExample:
    """An example of an operation's request body."""
    return OpenApiExample(name, value=value, summary=summary, request_only=True, **kwargs)


def answer_example(status: int, value, name: str | None = None, summary: str | None = None, **kwargs) -> OpenApiExample:
    """An example of one of an operation's answers (a success, or an error written by hand)."""
    return OpenApiExample(
        name or str(status), value=value, summary=summary, response_only=True, status_codes=[str(status)], **kwargs
    )


def error_example(status: int, code: str, *, attr=None, detail: str | None = None, name: str | None = None, **params):
    """An error answer written by hand, where the generated one cannot know the text or the `attr`:
    `detail` (default: the catalogue's text of `code` with `params`, in Indonesian)."""
    error_type = "validation_error" if status == 400 else "client_error" if status < 500 else "server_error"
    text = detail if detail is not None else message(code, "id", **params)
    value = {"type": error_type, "errors": [{"code": code, "detail": text, "attr": attr}]}
    return answer_example(status, value, name=name or code, summary=f"{status} {code}")


# Descriptions of the error statuses an operation did not describe itself.
STATUS_DESCRIPTIONS = {
    "400": "`validation_error`: the body, a query parameter or a header is invalid. Each error names its "
    "field in `attr` (`items.1.months` for a list's item; null for the request as a whole); "
    "`parse_error` when the body is not JSON.",
    "401": "No valid access token: send `Authorization: Bearer <access>` (POST /auth/token); an expired "
    "access token is renewed with POST /auth/token/refresh.",
    "403": "The caller may not do this.",
    "404": "Not found, or not the caller's: another user's object answers 404, never 403.",
    "405": "The path does not take this HTTP method.",
    "409": "The object's state does not allow this now; nothing changed.",
    "413": "The body is larger than the server accepts (`request_too_large`, "
    f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes); nothing was read or changed.",
    "415": "The body is not `application/json`.",
    "422": "The request cannot be processed as sent; nothing changed.",
    "429": "Too many requests: `Retry-After` gives the seconds to wait. Request rates are limited per "
    "client (and per phone for SMS codes); nothing was done.",
    "503": "An outside system (the payment gateway) is unavailable; nothing was stored. Retry later.",
}

# DRF's field codes that one example each stands for (on a field that answers them); the others are
# documented by the enums only.
GENERIC_FIELD_CODES_SHOWN = {"required", "invalid", "invalid_choice", "parse_error"}

# The parameters the catalogue's texts are filled with in examples: typical values, and the settings'.
# An app adds those of its own codes with `sample_params` (in its api/openapi.py).
_SAMPLE_PARAMS = {
    "age_not_eligible": lambda: {"min_age": settings.WORKER_MIN_AGE, "max_age": settings.WORKER_MAX_AGE},
    "nik_invalid": lambda: {"reason": message("nik_reason_length", "id", length=15)},
    "sponsor_limit_reached": lambda: {"limit": settings.SPONSOR_MAX_OPEN_ENROLLMENTS},
    "registration_limit_reached": lambda: {
        "limit": settings.SPONSOR_DAILY_REGISTRATIONS, "retry_in": duration(4 * 3600 + 1200, "id")
    },
    "sponsorship_not_open": lambda: {"status": "ended"},
    "invalid_status": lambda: {"status": "ended"},
    "reminder_channels_invalid": lambda: {
        "reason": message("reminder_channels_reason_unknown", "id", channel="email")
    },
    "rate_unavailable": lambda: {"month": "2031-01"},
    "worker_not_approved": lambda: {"name": "Siti Aminah"},
    "invoice_not_pending": lambda: {"status": "paid"},
    "amount_out_of_range": lambda: {"method": "QRIS", "min_amount": 1, "max_amount": 10000000},
    "autopay_not_linking": lambda: {"status": "off"},
    "throttled": lambda: {"wait": 60},
    "request_too_large": lambda: {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
}



def sample_params(**params_by_code) -> None:
    """Register `code=callable` giving the parameters of that code's text in examples."""
    _SAMPLE_PARAMS.update(params_by_code)


# Where a domain error's `attr` is not in the schema (a 401/409/422 documents `attr` as any string):
# what the API puts there (the `attr=` of the code's raise sites).
_KNOWN_ATTRS = {
    "phone_not_verified": "phone",
    "otp_required": "code",
    "nik_already_registered": "nik",
    "self_already_registered": "relationship",
    "worker_not_approved": "items.0.worker",
    "pending_invoice_exists": "items",
    "signature_invalid": "signature_key",
}


# DRF codes whose text on some attr is the API's own.
_FIELD_TEXTS = {
    ("non_field_errors", "invalid"): lambda: str(serializers.Serializer.default_error_messages["invalid"]).format(
        datatype="list"
    ),
    ("page_size", "invalid"): lambda: message("page_size_invalid", "id", max=CursorPagination.max_page_size),
}


# simplejwt's texts of its 401s (JWTAuthentication), as the API answers an authenticated operation.
_UNAUTHORIZED_TEXTS = {
    "token_not_valid": "Given token not valid for any token type",
    "bad_authorization_header": "Authorization header must contain two space-delimited values",
    "user_not_found": "User not found",
    "user_inactive": "User is inactive",
}


def _drf_text(code: str, method_not_allowed: str) -> str | None:
    """DRF's and simplejwt's own text for their codes, as the API answers them (in Indonesian)."""
    texts = {
        "required": serializers.Field.default_error_messages["required"],
        "invalid": serializers.CharField.default_error_messages["invalid"],
        "invalid_choice": serializers.ChoiceField.default_error_messages["invalid_choice"],
        "not_authenticated": exceptions.NotAuthenticated.default_detail,
        "authentication_failed": exceptions.AuthenticationFailed.default_detail,
        "permission_denied": exceptions.PermissionDenied.default_detail,
        "method_not_allowed": exceptions.MethodNotAllowed.default_detail,
        "not_acceptable": exceptions.NotAcceptable.default_detail,
        "unsupported_media_type": exceptions.UnsupportedMediaType.default_detail,
    }
    if code == "parse_error":
        return message("json_invalid_at", "id", line=1, column=11)
    if code == "error":
        return message("server_error", "id")
    text = texts.get(code)
    if text is None:
        return None
    return str(text).format(input="x", method=method_not_allowed, media_type="text/plain")


def _password_texts() -> dict[str, str]:
    """Django's password validators' own texts, keyed by their codes (as signup answers them)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import get_default_password_validators
    from django.core.exceptions import ValidationError

    user = get_user_model()(phone="+6281234567890", full_name="Siti Aminah", email="siti@example.id")
    texts: dict[str, str] = {}
    for validator in get_default_password_validators():
        for password in ("12", "12345678", "password", "siti@example.id"):
            try:
                validator.validate(password, user)
            except ValidationError as error:
                for item in error.error_list:
                    texts.setdefault(item.code, str(item.message % (item.params or {})))
    return texts


def error_detail(
    code: str, *, status: str = "400", attr=None, method_not_allowed: str = "DELETE", password_texts: dict | None = None
) -> str:
    """The `detail` the API writes for `code` (on `attr`), in Indonesian, with typical parameters."""
    with translation.override("id"):
        if (attr, code) in _FIELD_TEXTS:
            return _FIELD_TEXTS[attr, code]()
        if status == "401" and code in _UNAUTHORIZED_TEXTS:
            return translation.gettext(_UNAUTHORIZED_TEXTS[code])
        if code in MESSAGES:
            return message(code, "id", **_SAMPLE_PARAMS.get(code, dict)())
        text = _drf_text(code, method_not_allowed)
        if text is None:
            text = (password_texts if password_texts is not None else _password_texts()).get(code)
        return text if text is not None else code


# --- Reading the error schemas -----------------------------------------------------------------------


def _resolve(schemas: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schemas[node["$ref"].rsplit("/", 1)[1]]
    return node


def _alternatives(schemas: dict, node: dict):
    node = _resolve(schemas, node)
    for key in ("oneOf", "anyOf"):
        if key in node:
            for sub in node[key]:
                yield from _alternatives(schemas, sub)
            return
    yield node


def _enum(schemas: dict, node: dict) -> list:
    values = []
    for alternative in _alternatives(schemas, node):
        for part in alternative.get("allOf", [alternative]):
            values += [value for value in _resolve(schemas, part).get("enum", []) if value is not None]
    return values


def _sample_attr(schemas: dict, node: dict | None, code: str):
    """An `attr` the schema allows: its value, an item's position (`items.0.months`), or the known one."""
    node = _resolve(schemas, node or {})
    if node.get("enum"):
        return node["enum"][0]
    if "pattern" in node:
        sample = node["pattern"].strip("^$").replace("(0|[1-9][0-9]*)", "0")
        return re.sub(r"\\(.)", r"\1", sample)
    return _KNOWN_ATTRS.get(code)


def documented_errors(schemas: dict, response_schema: dict) -> list[dict]:
    """Each error an error response's schema allows: its `type`, `code`, a sample `attr`, and the codes
    documented for that same `attr` (a field with a domain code answers little else)."""
    found = []
    for answer in _alternatives(schemas, response_schema):
        properties = answer.get("properties", {})
        types = _enum(schemas, properties.get("type", {}))
        items = properties.get("errors", {}).get("items")
        if not types or not items:
            continue
        for error in _alternatives(schemas, items):
            fields = error.get("properties", {})
            codes = _enum(schemas, fields.get("code", {}))
            for code in codes:
                attr = _sample_attr(schemas, fields.get("attr"), code)
                item = "pattern" in _resolve(schemas, fields.get("attr") or {})
                found.append({"type": types[0], "code": code, "attr": attr, "attr_codes": set(codes), "item": item})
    return found


def _example_error(status: str, code: str, candidates: list[dict], required: set[str]) -> dict | None:
    """The error an example shows for `code`, or None when no documented `attr` makes a true one.

    A DRF field code stands for a plain field of the body: a field with a domain code turns its shape
    errors into that code (core.api.fields.DomainCodeMixin), except `required`, which only a required
    field answers; a list's item is left out (a coded list answers for its items)."""
    if status != "400" or code in MESSAGES or code == "parse_error" or code.startswith("password_"):
        return candidates[0]
    if code not in GENERIC_FIELD_CODES_SHOWN:
        return None
    for candidate in candidates:
        attr = candidate["attr"]
        if candidate["item"]:
            continue
        if code == "required":
            if attr in required:
                return candidate
        elif code == "invalid" and (attr, code) in _FIELD_TEXTS:
            return candidate
        elif not any(other in MESSAGES for other in candidate["attr_codes"]):
            return candidate
    return None


def error_examples(result, generator, request, public):
    """Postprocessing hook: see the module's docstring."""
    schemas = result.get("components", {}).get("schemas", {})
    password_texts = _password_texts()
    for path_item in result.get("paths", {}).values():
        refused = next((m for m in ("DELETE", "PUT", "PATCH", "POST", "GET") if m.lower() not in path_item), "TRACE")
        for operation in path_item.values():
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
            required = set(_resolve(schemas, body.get("schema", {})).get("required", []))
            for status, response in operation.get("responses", {}).items():
                if status[0] not in "45":
                    continue
                if not response.get("description"):
                    response["description"] = STATUS_DESCRIPTIONS.get(status, "")
                media = response.get("content", {}).get("application/json")
                if not media:
                    continue
                examples = media.setdefault("examples", {})
                exemplified = {
                    error["code"]
                    for example in examples.values()
                    for error in (example.get("value") or {}).get("errors", [])
                }
                by_code: dict[str, list[dict]] = {}
                for error in documented_errors(schemas, media["schema"]):
                    by_code.setdefault(error["code"], []).append(error)
                for code, candidates in by_code.items():
                    error = None if code in exemplified else _example_error(status, code, candidates, required)
                    if error is None:
                        continue
                    attr = error["attr"]
                    detail = error_detail(
                        code, status=status, attr=attr, method_not_allowed=refused, password_texts=password_texts
                    )
                    examples[code] = {
                        "summary": f"{status} {code}",
                        "value": {"type": error["type"], "errors": [{"code": code, "detail": detail, "attr": attr}]},
                    }
    return result
