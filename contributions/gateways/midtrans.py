"""Midtrans Core API: bank-transfer VA charges, status lookups and cancellation.

Docs: Core API `POST /v2/charge`, `GET /v2/{order_id}/status`, `POST /v2/{order_id}/cancel`; HTTP
Basic auth with the server key as user name. The base URL is a setting (MIDTRANS_BASE_URL), so tests
run against a local fake server.
"""

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from django.conf import settings

from contributions.gateways import Charge, GatewayError, GatewayStatus

TIMEOUT = (3.05, 10)  # connect, read (seconds)


class MidtransGateway:
    name = "midtrans"

    def __init__(self, *, base_url: str | None = None, server_key: str | None = None, bank: str = "bca"):
        self.base_url = (base_url or settings.MIDTRANS_BASE_URL).rstrip("/")
        self._server_key = server_key if server_key is not None else settings.MIDTRANS_SERVER_KEY
        self.bank = bank

    def server_key(self) -> str:
        return self._server_key

    def _headers(self) -> dict:
        token = base64.b64encode(f"{self._server_key}:".encode()).decode()
        return {"Accept": "application/json", "Content-Type": "application/json", "Authorization": f"Basic {token}"}

    def _call(self, method: str, path: str, json: dict | None = None) -> dict:
        try:
            response = requests.request(method, f"{self.base_url}{path}", json=json, headers=self._headers(), timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise GatewayError(f"midtrans unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise GatewayError(f"midtrans answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise GatewayError("midtrans answered with non-JSON") from exc

    def create_charge(self, *, order_id: str, gross_amount: int, expires_at: datetime) -> Charge:
        body = {
            "payment_type": "bank_transfer",
            "transaction_details": {"order_id": order_id, "gross_amount": gross_amount},
            "bank_transfer": {"bank": self.bank},
            "custom_expiry": {"expiry_duration": 24, "unit": "hour"},
        }
        data = self._call("POST", "/v2/charge", body)
        if str(data.get("status_code")) not in ("200", "201") or not data.get("va_numbers"):
            raise GatewayError(f"midtrans refused the charge: {data.get('status_code')}")
        return Charge(va_number=data["va_numbers"][0]["va_number"], reference=data.get("transaction_id", ""), expires_at=expires_at)

    def get_status(self, *, order_id: str) -> GatewayStatus | None:
        data = self._call("GET", f"/v2/{order_id}/status")
        if str(data.get("status_code")) == "404":
            return None
        if "transaction_status" not in data:
            raise GatewayError(f"midtrans status lookup failed: {data.get('status_code')}")
        return GatewayStatus(
            order_id=str(data.get("order_id", order_id)),
            transaction_status=str(data["transaction_status"]),
            gross_amount=str(data.get("gross_amount", "")),
            transaction_id=str(data.get("transaction_id", "")),
            fraud_status=str(data.get("fraud_status", "")),
            raw=data,
            settled_at=_midtrans_time(data.get("settlement_time")),
        )

    def cancel(self, *, order_id: str) -> None:
        self._call("POST", f"/v2/{order_id}/cancel")


def _midtrans_time(value) -> datetime | None:
    """Midtrans writes times as `YYYY-MM-DD HH:MM:SS` in WIB (GMT+7)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=ZoneInfo("Asia/Jakarta"))
