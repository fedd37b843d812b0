"""OpenAPI helpers: document the domain error codes each endpoint can answer (API.md), so the served
schema and the responses agree (Schemathesis checks them)."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from drf_standardized_errors.settings import package_settings as errors_settings
from rest_framework import serializers

_made: dict[str, type] = {}


def _error_response_serializer(name: str, codes: list[str], error_type=None) -> type:
    if name in _made:
        return _made[name]
    error = type(
        f"{name}ErrorComponent",
        (serializers.Serializer,),
        {
            "code": serializers.ChoiceField(choices=[(c, c) for c in codes]),
            "detail": serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
        },
    )
    response = type(
        f"{name}ErrorResponse",
        (serializers.Serializer,),
        {"type": serializers.ChoiceField(choices=(error_type or ClientErrorEnum).choices), "errors": error(many=True)},
    )
    _made[name] = response
    return response


def client_error(name: str, codes: list[str], description: str = "") -> OpenApiResponse:
    """A 401/403/409/422 response whose `code` is one of `codes`."""
    return OpenApiResponse(response=_error_response_serializer(name, codes), description=description)


def domain_validation_errors(fields: dict[str | None, list[str]], methods: list[str] | None = None):
    """Class decorator: add domain codes to the documented 400 of `methods` (None: every method)."""

    def decorate(view):
        for field_name, codes in fields.items():
            view = extend_validation_errors(codes, field_name=field_name, methods=methods)(view)
        return view

    return decorate


def server_error_response(name: str, codes: list[str], description: str = "") -> OpenApiResponse:
    """A 5xx the API answers on purpose (an outside system is down), with its stable code."""
    return OpenApiResponse(response=_error_response_serializer(name, codes, ServerErrorEnum), description=description)


# A body over DATA_UPLOAD_MAX_MEMORY_SIZE (core.api.errors.ExceptionHandler).
RequestTooLargeErrorResponse = _error_response_serializer("RequestTooLarge", ["request_too_large"])
# What an authenticated operation answers without a valid access token (simplejwt's JWTAuthentication):
# none, an expired or forged one, a malformed header, or the token of a deleted or deactivated account.
# drf-standardized-errors' own 401 names DRF's `authentication_failed` instead, which nothing here raises.
UnauthorizedErrorResponse = _error_response_serializer(
    "Unauthorized", ["not_authenticated", "token_not_valid", "bad_authorization_header", "user_not_found", "user_inactive"]
)


def binary_response(media_type: str, description: str) -> dict:
    """The 200 of a view that answers a document (core.api.documents): `{(200, media_type): …}`."""
    return {(200, media_type): OpenApiResponse(response=OpenApiTypes.BINARY, description=description)}


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' schema, with a malformed body documented as the `validation_error`
    (`parse_error`, attr null) that API.md's "every 400 is a validation_error" makes it, every error
    documented as JSON, also where the success is a PDF or an image (core.api.documents), and the
    `Accept-Language` header on every operation (core.api.openapi)."""

    def get_override_parameters(self):
        from core.api.openapi import ACCEPT_LANGUAGE

        return [*super().get_override_parameters(), ACCEPT_LANGUAGE]

    def _get_error_response_examples(self):
        # drf-standardized-errors' own examples carry its texts, not the API's: core.api.openapi.error_examples
        # writes one per documented code instead.
        return []

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if not media_types and str(status_code)[0] in "45":
            media_types = ["application/json"]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _should_add_parse_error_response(self) -> bool:
        return False

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code == "413" and self.method not in ("POST", "PUT", "PATCH"):
            return False
        return super()._should_add_error_response(responses, status_code)

    def _get_extra_validation_errors(self):
        extra = super()._get_extra_validation_errors()
        if self.method in ("POST", "PUT", "PATCH"):
            extra = {**extra, None: {*extra.get(None, set()), "parse_error"}}
        return extra


def item_attrs_as_patterns(result, generator, request, public):
    """Postprocessing hook (SPECTACULAR_SETTINGS, after drf-standardized-errors' own): the error of a
    list's item names the item and its field, `items.1.months`, which drf-standardized-errors documents as
    the one-value enum `items.INDEX.months`. Such an `attr` becomes a pattern that the real answers
    match, and the oneOf that holds it loses its discriminator (whose mapping keys are literal attrs);
    the alternatives stay mutually exclusive by their `attr`.

    So does a oneOf with an error whose `attr` is null (`parse_error`): a discriminator's value must be
    a string, and its mapping key `null` read as YAML is no key at all (openapi-python-client refuses
    the schema; tests/test_generated_client.py)."""
    marker = errors_settings.LIST_INDEX_IN_API_SCHEMA
    separator = errors_settings.NESTED_FIELD_SEPARATOR
    schemas = result.get("components", {}).get("schemas", {})
    for component in schemas.values():
        attr = component.get("properties", {}).get("attr", {})
        values = attr.get("enum") or []
        if len(values) == 1 and isinstance(values[0], str) and marker in values[0].split(separator):
            parts = values[0].split(separator)
            pattern = re.escape(separator).join("(0|[1-9][0-9]*)" if part == marker else re.escape(part) for part in parts)
            component["properties"]["attr"] = {
                "type": "string",
                "pattern": f"^{pattern}$",
                "description": f"`{values[0]}`: {marker} is the item's position in the list, from 0 "
                f"(`{separator.join('1' if part == marker else part for part in parts)}`).",
            }
    for component in schemas.values():
        mapping = (component.get("discriminator") or {}).get("mapping") or {}
        if any(key is None or marker in key.split(separator) for key in mapping):
            del component["discriminator"]
    return result
