"""Helpers for the contributions tests: pinned business dates, signed gateway notifications, invoices."""

import datetime

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from contributions.gateways import signature_for

PROJECT_PACKAGES = ("registration", "contributions", "notifications", "sponsors", "core")


@pytest.fixture
def pin_today(monkeypatch):
    """pin_today(date) makes every business-date reader answer `date` (WIB): the function on
    `registration.services`, and any project module that imported it by name."""
    import sys

    import registration.services

    known = [registration.services.today_wib]  # the real function, then each fake we installed

    def pin(day: datetime.date) -> datetime.date:
        fake = lambda: day  # noqa: E731
        monkeypatch.setattr(registration.services, "today_wib", fake)
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] in PROJECT_PACKAGES and any(
                getattr(module, "today_wib", None) is f for f in known
            ):
                monkeypatch.setattr(module, "today_wib", fake)
        known.append(fake)
        return day

    return pin


@pytest.fixture
def december(pin_today):
    """Today is 3 Dec 2026: the last month of the non-transport PP 50/2025 discount."""
    return pin_today(datetime.date(2026, 12, 3))


@pytest.fixture
def no_throttle(settings):
    settings.API_THROTTLING = False


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
    return error["code"], error["attr"]


STATUS_CODES = {"settlement": "200", "capture": "200", "pending": "201"}


def signed(
    order_id: str,
    transaction_status: str,
    gross_amount: int | str,
    *,
    server_key: str | None = None,
    transaction_id: str = "txn-test",
    **extra,
) -> dict:
    """A Midtrans-style HTTP notification signed with `server_key` (default: the simulator's)."""
    status_code = STATUS_CODES.get(transaction_status, "202")
    amount = gross_amount if isinstance(gross_amount, str) else f"{gross_amount}.00"
    key = django_settings.PAYMENT_SIMULATOR_SERVER_KEY if server_key is None else server_key
    body = {
        "order_id": order_id,
        "status_code": status_code,
        "gross_amount": amount,
        "transaction_status": transaction_status,
        "transaction_id": transaction_id,
        "fraud_status": "accept",
        "payment_type": "bank_transfer",
        "signature_key": signature_for(order_id=order_id, status_code=status_code, gross_amount=amount, server_key=key),
    }
    body.update(extra)
    return body


def notify(client: APIClient, payload, gateway: str = "simulator"):
    return client.post(f"/api/v1/payments/notifications/{gateway}", payload, format="json")


def invoice_post(client: APIClient, items: list[dict], key: str = "key-1", **extra):
    return client.post("/api/v1/invoices", {"items": items, **extra}, format="json", HTTP_IDEMPOTENCY_KEY=key)
