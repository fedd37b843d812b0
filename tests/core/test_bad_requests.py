"""Requests refused before an endpoint reads them, in the error shape (API.md "General rules",
QUALITY.md Security 16): a body over the limit is a 413, a body nested too deep or holding text
PostgreSQL cannot store a 400 `parse_error`. Each once answered 500. (Unknown hosts: below; what
gunicorn refuses by itself: tests/test_gunicorn.py; every endpoint with every odd input:
test_bad_input_sweep.py.)"""

import json

import pytest
from django.conf import settings
from django.test import Client

from core.api.parsers import MAX_DEPTH
from core.messages import message
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC_BODY_ENDPOINTS = ["/api/v1/quotes", "/api/v1/auth/signup", "/api/v1/payments/notifications/simulator"]


@pytest.fixture
def client(settings) -> Client:
    settings.API_THROTTLING = False
    return Client(raise_request_exception=False)


@pytest.fixture
def sponsor_client(client) -> Client:
    from rest_framework_simplejwt.tokens import RefreshToken

    user = UserFactory()
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")


def post(client, path, raw: bytes, **headers):
    return client.generic("POST", path, raw, content_type="application/json", **headers)


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"type", "errors"} and len(body["errors"]) == 1, body
    return {"type": body["type"], **body["errors"][0]}


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


# --- nesting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PUBLIC_BODY_ENDPOINTS, "/api/v1/workers"])
@pytest.mark.parametrize("raw", [b"[" * 50_000, b'{"a":' * 50_000, b"[" * 500 + b"]" * 500], ids=["open", "objects", "closed"])
def test_a_body_nested_too_deep_is_a_400_parse_error(client, sponsor_client, path, raw):
    response = post(sponsor_client if path == "/api/v1/workers" else client, path, raw)
    assert response.status_code == 400, response.content[:300]
    assert error(response) == {
        "type": "validation_error",
        "code": "parse_error",
        "detail": message("body_too_deep", language="id", depth=MAX_DEPTH),
        "attr": None,
    }


def test_nesting_deeper_than_the_limit_inside_a_field_is_refused_in_english_too(client):
    raw = json.dumps({"income_level": 1_000_000, "programmes": [[[[[[[[[[[[[[[[[[[[["JKK"]]]]]]]]]]]]]]]]]]]]]}).encode()
    response = post(client, "/api/v1/quotes", raw, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert error(response)["detail"] == f"The request body is nested too deeply (at most {MAX_DEPTH} levels)."


def test_nesting_up_to_the_limit_reaches_the_endpoint(client):
    """A body MAX_DEPTH levels deep is parsed; the endpoint's own validation answers."""
    nested = "x"
    for _ in range(MAX_DEPTH - 1):
        nested = [nested]
    response = post(client, "/api/v1/quotes", json.dumps({"programmes": nested}).encode())
    assert response.status_code == 400
    assert "programmes_invalid" in codes(response), response.content


# --- text PostgreSQL cannot store -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"phone": "0812", "full_name": "\\ud800", "password": "x"}',
        b'{"phone": "0812", "full_name": "Siti \\udc00\\ud800", "password": "x"}',
        b'{"phone": "0812", "\\udfff": 1}',
        b'{"phone": "0812", "full_name": "Siti\\u0000", "password": "x"}',
        b'{"phone": "0812", "nested": [{"x": ["\\u0000"]}]}',
    ],
)
@pytest.mark.parametrize("path", PUBLIC_BODY_ENDPOINTS)
def test_unpaired_surrogates_and_nul_are_a_400_parse_error(client, path, raw):
    response = post(client, path, raw)
    assert response.status_code == 400, response.content[:300]
    assert error(response) == {
        "type": "validation_error",
        "code": "parse_error",
        "detail": message("body_text_invalid", language="id"),
        "attr": None,
    }


def test_escaped_surrogate_pairs_and_other_scripts_are_ordinary_text(client, reference):
    raw = json.dumps({"income_level": 1_000_000, "programmes": ["JKK", "JKM"], "months": 1,
                      "occupation": "😀 سائق"}).encode()
    assert b"\\ud83d\\ude00" in raw
    response = post(client, "/api/v1/quotes", raw)
    assert response.status_code == 400
    assert error(response)["code"] == "occupation_invalid"


def test_text_checks_apply_whatever_the_charset(client):
    raw = '{"phone": "0812", "full_name": "Siti\\u0000"}'.encode("utf-16")
    response = client.generic("POST", "/api/v1/auth/signup", raw, content_type="application/json; charset=utf-16")
    assert response.status_code == 400
    assert error(response)["detail"] == message("body_text_invalid", language="id")


# --- size -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PUBLIC_BODY_ENDPOINTS, "/api/v1/workers", "/api/v1/auth/token"])
def test_a_body_over_the_limit_is_a_413(client, sponsor_client, path):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = json.dumps({"phone": "0812", "full_name": "x" * limit, "password": PASSWORD}).encode()
    response = post(sponsor_client if path == "/api/v1/workers" else client, path, raw)
    assert response.status_code == 413, response.content[:300]
    assert error(response) == {
        "type": "client_error",
        "code": "request_too_large",
        "detail": message("request_too_large", language="id", limit=limit),
        "attr": None,
    }
    english = post(client, "/api/v1/quotes", raw, HTTP_ACCEPT_LANGUAGE="en")
    assert error(english)["detail"] == f"The request body is too large (at most {limit} bytes)."


def test_a_body_at_the_limit_is_read(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = json.dumps({"occupation": "x" * 900}).encode()
    raw = raw[:-2] + b" " * (1000 - len(raw)) + raw[-2:]
    assert len(raw) == 1000
    response = post(client, "/api/v1/quotes", raw)
    assert response.status_code == 400
    assert "occupation_invalid" in codes(response), response.content
    response = post(client, "/api/v1/quotes", raw + b" ")
    assert response.status_code == 413
    assert error(response)["detail"] == message("request_too_large", language="id", limit=1000)


def test_the_schema_documents_the_413_on_operations_with_a_body():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert ("413" in operation["responses"]) == (method in ("post", "put", "patch")), (method, path)


# --- unknown hosts --------------------------------------------------------------------------------------

UNKNOWN_HOSTS = ["10.0.2.2:8000", "192.168.1.20", "evil.example.com", "[fe80::1]:8000", "bad host!"]


@pytest.mark.parametrize("host", UNKNOWN_HOSTS)
@pytest.mark.parametrize(
    "method, path",
    [("GET", "/api/v1/occupations"), ("POST", "/api/v1/auth/token"), ("GET", "/api/v1/nothing-here"),
     ("GET", "/healthz"), ("GET", "/api/schema/")],
)
def test_an_unknown_host_is_a_400_bad_host_in_the_error_shape(client, method, path, host):
    response = client.generic(method, path, b"{}", content_type="application/json", HTTP_HOST=host)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert error(response) == {
        "type": "validation_error",
        "code": "bad_host",
        "detail": message("bad_host", language="id"),
        "attr": None,
    }


def test_bad_host_speaks_english_and_is_logged_once(client, caplog):
    with caplog.at_level("INFO"):
        response = client.get("/api/v1/occupations", HTTP_HOST="10.0.2.2:8000", HTTP_ACCEPT_LANGUAGE="en")
    assert error(response)["detail"] == "This server does not serve the requested host. Use the server's registered address."
    records = caplog.records
    assert len(records) == 1, records
    assert "10.0.2.2" in records[0].getMessage()
    assert records[0].name == "django.security.DisallowedHost" and records[0].levelname == "WARNING"
    assert records[0].exc_info is None


@pytest.mark.parametrize("overrides", [{"DEBUG": True}, {"SECURE_SSL_REDIRECT": True}], ids=["debug", "https-redirect"])
def test_bad_host_is_json_under_debug_and_behind_the_https_redirect(client, settings, overrides):
    """`make run` serves with DEBUG on (Django would answer its technical HTML page); production
    redirects to HTTPS, which asks for the host first."""
    for name, value in overrides.items():
        setattr(settings, name, value)
    response = client.get("/api/v1/occupations", HTTP_HOST="10.0.2.2:8000")
    assert response.status_code == 400
    assert error(response)["code"] == "bad_host"


def test_the_admin_keeps_djangos_own_page_for_an_unknown_host(client):
    response = client.get("/admin/login/", HTTP_HOST="10.0.2.2:8000")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_allowed_hosts_are_served(client, reference):
    for host in ["localhost", "127.0.0.1:8000", "testserver"]:
        assert client.get("/api/v1/occupations", HTTP_HOST=host).status_code == 200
