"""Xendit, the second gateway (PAYMENT_GATEWAY=xendit): VAs, QRIS, ShopeePay and Indomaret/Alfamart
through its Payments API v3, the one request type Xendit's current docs direct integrations to.

One payment request per invoice, whatever the channel, so opening, the status lookup and cancelling are
one path, as with Midtrans:
- `POST /v3/payment_requests` (header `api-version: 2024-11-11`) with `reference_id` = the invoice number,
  `type: "PAY"`, `request_amount`, `channel_code` and `channel_properties`; the answer's `actions` hold
  what the payer needs: `VIRTUAL_ACCOUNT_NUMBER`, `PAYMENT_CODE`, `QR_STRING`, `DEEPLINK_URL`/`WEB_URL`
  (docs.xendit.co/apidocs/create-payment-request, docs.xendit.co/docs/reusable-payment-codes);
- `GET /v3/payment_requests/{payment_request_id}`: `status` is `REQUIRES_ACTION`, `ACCEPTING_PAYMENTS`,
  `SUCCEEDED`, `FAILED`, `EXPIRED` or `CANCELED` (docs.xendit.co/apidocs/get-payment-request);
- `POST /v3/payment_requests/{payment_request_id}/cancel` (docs.xendit.co/apidocs/cancel-payment-request).
HTTP Basic auth with the secret key as user name. Callbacks (`payment.capture`, `payment.failure`, …)
carry the account's fixed `x-callback-token` header, compared in constant time with
XENDIT_CALLBACK_TOKEN (docs.xendit.co/apidocs/payment-webhook-notification); their body is a hint
only: we credit on the status lookup. Xendit retries a failed callback but never a timed-out one, so
the reconciliation job polls pending Xendit invoices (services.invoices_reconcile).

Not offered here: GoPay, and the Mandiri *bill* (Xendit's Mandiri channel is a VA number, not the
biller code and bill key a `bill` method shows). Asking for them with Xendit is `payment_method_invalid`.
"""

import base64
import hmac
from datetime import datetime, timezone as dt_timezone

import requests
from django.conf import settings

from contributions.gateways import Charge, GatewayError, GatewayStatus, NotificationInfo
from contributions.gateways.methods import Kind, Limits, Method
from core.exceptions import DomainError

TIMEOUT = (3.05, 10)  # connect, read (seconds)
API_VERSION = "2024-11-11"

# Our method → Xendit's channel code (docs.xendit.co/docs/bca-virtual-account, …/qris, …/indomaret).
CHANNELS = {
    "va_bca": "BCA_VIRTUAL_ACCOUNT",
    "va_bni": "BNI_VIRTUAL_ACCOUNT",
    "va_bri": "BRI_VIRTUAL_ACCOUNT",
    "va_permata": "PERMATA_VIRTUAL_ACCOUNT",
    "va_cimb": "CIMB_VIRTUAL_ACCOUNT",
    "qris": "QRIS",
    "shopeepay": "SHOPEEPAY",
    "indomaret": "INDOMARET",
    "alfamart": "ALFAMART",
}

# Xendit's payment request status in Midtrans' words (GatewayStatus), so settlement is one path.
STATUSES = {"SUCCEEDED": "settlement", "EXPIRED": "expire", "CANCELED": "cancel", "FAILED": "deny"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value) -> datetime | None:
    """Xendit writes times in ISO 8601, UTC (`2026-12-05T03:31:02.123Z`)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def request_body(*, order_id: str, gross_amount: int, expires_at: datetime, method: Method) -> dict:
    properties: dict = {}
    if method.kind == Kind.VA:
        properties = {"display_name": "BPJSTK BPU", "expires_at": _iso(expires_at)}
    elif method.kind == Kind.RETAIL:
        properties = {"payer_name": "BPJSTK BPU", "expires_at": _iso(expires_at)}
    elif method.kind == Kind.EWALLET and settings.PAYMENT_RETURN_URL:
        properties = {"success_return_url": settings.PAYMENT_RETURN_URL, "failure_return_url": settings.PAYMENT_RETURN_URL}
    # QRIS: Xendit sets its own expiry (48 h); ours is shorter, and reconciliation cancels it then.
    return {
        "reference_id": order_id,
        "type": "PAY",
        "country": "ID",
        "currency": "IDR",
        "request_amount": gross_amount,
        "capture_method": "AUTOMATIC",
        "channel_code": CHANNELS[method.code],
        "channel_properties": properties,
        "description": f"Iuran BPJSTK BPU {order_id}",
    }


def _actions(data: dict) -> dict[str, str]:
    found = {}
    for action in data.get("actions") or ():
        if isinstance(action, dict) and isinstance(action.get("descriptor"), str) and isinstance(action.get("value"), str):
            found.setdefault(action["descriptor"], action["value"])
    return found


def answer_read(data: dict, method: Method) -> tuple[str, dict]:
    """(the code the payer quotes, the kind's other fields) from a payment request's `actions`."""
    actions = _actions(data)
    code, details = "", {}
    if method.kind == Kind.VA:
        code = needed = actions.get("VIRTUAL_ACCOUNT_NUMBER", "")
    elif method.kind == Kind.RETAIL:
        code = needed = actions.get("PAYMENT_CODE", "")
    elif method.kind == Kind.QRIS:
        details = {"qr_string": actions.get("QR_STRING", "")}
        needed = details["qr_string"]
    else:  # Kind.EWALLET
        details = {"deeplink_url": actions.get("DEEPLINK_URL") or actions.get("WEB_URL", "")}
        if actions.get("QR_STRING"):
            details["qr_string"] = actions["QR_STRING"]
        needed = details["deeplink_url"]
    if not needed:
        raise GatewayError(f"xendit answered a {method.code} payment request without what the payer needs")
    return code, details


class XenditGateway:
    name = "xendit"
    methods = {code: None for code in CHANNELS} | {"va_bca": Limits(10_000, 50_000_000)}  # docs.xendit.co/docs/bca-virtual-account
    # Xendit retries a failed callback but never a timed-out one: reconciliation polls (services).
    repeats_timed_out_notifications = False
    # Autopay is not offered through Xendit here (its linked accounts are another API, not built).
    autopay_methods = frozenset()
    card_link_needs_token = False

    def __init__(self, *, base_url: str | None = None, secret_key: str | None = None):
        self.base_url = (base_url or settings.XENDIT_BASE_URL).rstrip("/")
        self._secret_key = secret_key if secret_key is not None else settings.XENDIT_SECRET_KEY

    @classmethod
    def configured(cls) -> bool:
        return bool(settings.XENDIT_SECRET_KEY and settings.XENDIT_CALLBACK_TOKEN)

    def _headers(self) -> dict:
        token = base64.b64encode(f"{self._secret_key}:".encode()).decode()
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": f"Basic {token}",
            "api-version": API_VERSION,
        }

    def _call(self, method: str, path: str, json: dict | None = None) -> tuple[int, dict]:
        try:
            response = requests.request(method, f"{self.base_url}{path}", json=json, headers=self._headers(), timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise GatewayError(f"xendit unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise GatewayError(f"xendit answered HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise GatewayError("xendit answered with non-JSON") from exc
        if not isinstance(data, dict):
            raise GatewayError("xendit answered with something else than an object")
        return response.status_code, data

    def create_charge(self, *, order_id: str, gross_amount: int, expires_at: datetime, method: Method) -> Charge:
        body = request_body(order_id=order_id, gross_amount=gross_amount, expires_at=expires_at, method=method)
        status, data = self._call("POST", "/v3/payment_requests", body)
        if status not in (200, 201) or not isinstance(data.get("payment_request_id"), str):
            raise GatewayError(f"xendit refused the payment request: HTTP {status} {data.get('error_code', '')}")
        code, details = answer_read(data, method)
        return Charge(va_number=code, reference=data["payment_request_id"], expires_at=expires_at, details=details)

    def get_status(self, *, order_id: str, reference: str = "") -> GatewayStatus | None:
        if not reference:
            return None
        status, data = self._call("GET", f"/v3/payment_requests/{reference}")
        if status == 404:
            return None
        if status != 200 or not isinstance(data.get("status"), str) or data.get("reference_id") != order_id:
            raise GatewayError(f"xendit status lookup failed: HTTP {status} {data.get('error_code', '')}")
        return GatewayStatus(
            order_id=order_id,
            transaction_status=STATUSES.get(data["status"], "pending"),
            gross_amount=str(data.get("request_amount", "")),
            transaction_id=reference,
            fraud_status="accept",
            raw=data,
            # A succeeded request changes no more: its last change is when the money came.
            settled_at=_time(data.get("updated")) if data["status"] == "SUCCEEDED" else None,
        )

    def cancel(self, *, order_id: str, reference: str = "") -> None:
        # A 4xx (already paid, expired or cancelled) leaves nothing to cancel; a 5xx raises.
        if reference:
            self._call("POST", f"/v3/payment_requests/{reference}/cancel")

    def expire(self, *, order_id: str, reference: str = "") -> None:
        """Xendit has no "expire now": a cancelled payment request can no longer be paid either."""
        self.cancel(order_id=order_id, reference=reference)

    def notification_read(self, *, payload, headers) -> NotificationInfo:
        token = headers.get("x-callback-token") or ""
        expected = settings.XENDIT_CALLBACK_TOKEN
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            raise DomainError("signature_invalid", status_code=401)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict) or not all(
            isinstance(data.get(name), str) and data[name] for name in ("reference_id", "status")
        ):
            raise DomainError("notification_malformed")
        transaction_id = data.get("payment_id") or data.get("payment_request_id") or ""
        return NotificationInfo(
            order_id=data["reference_id"][:64],
            transaction_status=data["status"][:32],
            transaction_id=str(transaction_id)[:100],
        )
