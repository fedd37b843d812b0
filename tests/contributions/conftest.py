"""Helpers for the contributions tests: pinned business dates, signed gateway notifications, invoices."""

import datetime

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from contributions.gateways import signature_for
from tests.contributions.fakes import FakeMidtrans, FakeXendit

MIDTRANS_SERVER_KEY = "SB-test"
XENDIT_SECRET_KEY = "xnd_development_test"
XENDIT_CALLBACK_TOKEN = "xendit-callback-token-test"


@pytest.fixture
def december(pin_today):
    """Today is 3 Dec 2026: the last month of the non-transport PP 50/2025 discount."""
    return pin_today(datetime.date(2026, 12, 3))


@pytest.fixture
def no_throttle(settings):
    settings.API_THROTTLING = False


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


@pytest.fixture
def midtrans(settings, monkeypatch):
    """A local fake Midtrans, opening new payments (PAYMENT_GATEWAY=midtrans)."""
    with FakeMidtrans(MIDTRANS_SERVER_KEY) as fake:
        settings.PAYMENT_GATEWAY = "midtrans"
        settings.MIDTRANS_BASE_URL = fake.url
        settings.MIDTRANS_SERVER_KEY = MIDTRANS_SERVER_KEY
        monkeypatch.setattr("contributions.gateways.midtrans.TIMEOUT", (0.5, 0.5))
        yield fake


@pytest.fixture
def xendit(settings, monkeypatch):
    """A local fake Xendit, opening new payments (PAYMENT_GATEWAY=xendit)."""
    with FakeXendit(XENDIT_SECRET_KEY) as fake:
        settings.PAYMENT_GATEWAY = "xendit"
        settings.XENDIT_BASE_URL = fake.url
        settings.XENDIT_SECRET_KEY = XENDIT_SECRET_KEY
        settings.XENDIT_CALLBACK_TOKEN = XENDIT_CALLBACK_TOKEN
        monkeypatch.setattr("contributions.gateways.xendit.TIMEOUT", (0.5, 0.5))
        yield fake


def xendit_notify(client: APIClient, payload, token: str | None = XENDIT_CALLBACK_TOKEN):
    headers = {} if token is None else {"HTTP_X_CALLBACK_TOKEN": token}
    return client.post("/api/v1/payments/notifications/xendit", payload, format="json", **headers)
