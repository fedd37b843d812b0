"""API helpers shared by the test packages: an authenticated client, and the error envelope of API.md."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def first_error(response) -> tuple[str, str | None]:
    """(code, attr) of the first error, after checking the error envelope of API.md."""
    body = response.json()
    assert set(body) >= {"type", "errors"}, body
    status = response.status_code
    expected_type = "validation_error" if status == 400 else "server_error" if status >= 500 else "client_error"
    assert body["type"] == expected_type, body
    assert body["errors"], body
    error = body["errors"][0]
    assert set(error) >= {"code", "detail", "attr"}, error
    assert isinstance(error["detail"], str) and error["detail"], error
    return error["code"], error["attr"]
