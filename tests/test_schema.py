"""The OpenAPI schema describes the API of API.md, validly and without generator warnings."""

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

API_PATHS = [
    "/api/v1/auth/signup",
    "/api/v1/auth/verify-phone",
    "/api/v1/auth/resend-code",
    "/api/v1/auth/token",
    "/api/v1/auth/token/refresh",
    "/api/v1/auth/logout",
    "/api/v1/me",
    "/api/v1/me/devices",
    "/api/v1/occupations",
    "/api/v1/income-levels",
    "/api/v1/quotes",
    "/api/v1/workers",
    "/api/v1/workers/{id}",
    "/api/v1/workers/{id}/consent",
    "/api/v1/workers/{id}/resend-consent-code",
    "/api/v1/workers/{id}/end",
    "/api/v1/notifications",
    "/api/v1/notifications/{id}/read",
]


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    # Warnings are counted process-wide: start from zero so that only this generation counts.
    GENERATOR_STATS.reset()
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_is_valid_without_warnings(schema):
    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize("path", API_PATHS)
def test_schema_has_every_path_of_the_contract(schema, path):
    assert path in schema["paths"]


def test_no_path_has_a_trailing_slash(schema):
    assert not [path for path in schema["paths"] if path.endswith("/")]


@pytest.mark.parametrize(
    "path, methods",
    [
        ("/api/v1/workers", {"get", "post"}),
        ("/api/v1/workers/{id}", {"get", "patch"}),
        ("/api/v1/workers/{id}/consent", {"post"}),
        ("/api/v1/workers/{id}/resend-consent-code", {"post"}),
        ("/api/v1/workers/{id}/end", {"post"}),
        ("/api/v1/occupations", {"get"}),
    ],
)
def test_worker_operations(schema, path, methods):
    assert methods <= set(schema["paths"][path])


def test_worker_schema_has_the_contract_fields(schema):
    response = schema["paths"]["/api/v1/workers/{id}"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][ref]["properties"]
    assert {
        "id", "full_name", "nik_masked", "gender", "birth_date", "phone", "occupation", "relationship",
        "income_level", "programmes", "status", "kpj_number", "monthly_contribution", "coverage", "created_at",
    } <= set(properties)
    assert "nik" not in properties


def test_public_and_authenticated_operations(schema):
    assert not schema.get("security")
    assert not schema["paths"]["/api/v1/occupations"]["get"].get("security")
    for method in ("get", "post"):
        assert schema["paths"]["/api/v1/workers"][method].get("security"), method


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_are_served(client, url):
    response = client.get(url)
    assert response.status_code == 200


def test_token_operation_documents_the_login_step_up(schema):
    """API.md `POST /auth/token`: `{phone, password, code?}`; 401 `otp_required` after repeated failures."""
    operation = schema["paths"]["/api/v1/auth/token"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = schema["components"]["schemas"][body]
    assert "code" in fields["properties"] and "code" not in fields["required"]
    unauthorized = operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    errors = schema["components"]["schemas"][unauthorized]["properties"]["errors"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][errors]["properties"]["code"]["enum"]) == {
        "invalid_credentials", "otp_required"}
    assert "otp_required" in operation["responses"]["401"]["description"]
    bad_request = str(schema["components"]["schemas"]["AuthTokenCreateCodeErrorComponent"])
    assert all(code in bad_request for code in ("otp_invalid", "otp_expired", "otp_locked"))


def test_an_item_error_attr_is_documented_as_the_items_position(schema):
    """POST /invoices answers an item's error as `items.1.months`; drf-standardized-errors documented
    the one value `items.INDEX.months` (with a discriminator mapping on it), which no answer matches."""
    import re

    components = schema["components"]["schemas"]
    months = components["InvoicesCreateItemsINDEXMonthsErrorComponent"]["properties"]
    assert {"months_not_allowed", "prepay_limit_exceeded", "required"} <= set(months["code"]["enum"])
    pattern = re.compile(months["attr"]["pattern"])
    assert pattern.fullmatch("items.0.months") and pattern.fullmatch("items.12.months")
    assert not pattern.fullmatch("items.INDEX.months") and not pattern.fullmatch("items.01.months")
    worker = re.compile(components["InvoicesCreateItemsINDEXWorkerErrorComponent"]["properties"]["attr"]["pattern"])
    assert worker.fullmatch("items.1.worker")
    assert "discriminator" not in components["InvoicesCreateError"]
    assert not [name for name, component in components.items() if "INDEX" in str(component.get("properties", {}).get("attr", {}).get("enum"))]
