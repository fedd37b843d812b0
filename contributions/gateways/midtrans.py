"""Midtrans Core API: a charge for every method, status lookups, cancel and expire.

Docs (Core API): `POST /v2/charge` (docs.midtrans.com/reference/charge-api), `GET /v2/{order_id}/status`,
`POST /v2/{order_id}/cancel`, `POST /v2/{order_id}/expire`; HTTP Basic auth with the server key as user
name. The base URL is a setting (MIDTRANS_BASE_URL), so tests run against a local fake server
(tests/contributions/fakes.py).

Each method is one `payment_type` with its own object and answers with its own fields:
- VA: `bank_transfer` + `{"bank": "bca"|"bni"|"bri"|"permata"|"cimb"}` → `va_numbers[0].va_number`, but
  Permata answers `permata_va_number` (docs.midtrans.com/reference/charge-api, the Permata example);
- Mandiri bill: `echannel` + `{"bill_info1", "bill_info2"}` → `bill_key`, `biller_code`
  (docs.midtrans.com/reference/mandiri-bill-payment-1);
- QRIS: `qris` + `{"acquirer": "gopay"}` → `qr_string`, and `actions[generate-qr-code]`
  (docs.midtrans.com/reference-link/qris);
- GoPay: `gopay` → `actions[deeplink-redirect]` (and `generate-qr-code`) (docs.midtrans.com/reference/gopay-1);
- ShopeePay: `shopeepay` → `actions[deeplink-redirect]` (docs.midtrans.com/reference/shopeepay-1);
- Indomaret, Alfamart: `cstore` + `{"store": …}` → `payment_code`, `store`
  (docs.midtrans.com/reference/indomaret-1, docs.midtrans.com/reference/alfamart-1).
Every charge carries `custom_expiry` in minutes: the method's lifetime (gateways/methods.py).

Autopay through GoPay tokenization (docs.midtrans.com/reference/gopay-tokenization): `POST /v2/pay/account`
links the payer's GoPay account (docs.midtrans.com/reference/create-pay-account), `GET /v2/pay/account/
{account_id}` says whether it is ENABLED and gives the wallet's `payment_option_token`
(docs.midtrans.com/reference/get-pay-account), `POST /v2/pay/account/{account_id}/unbind` unlinks it
(docs.midtrans.com/reference/partner-unbind-pay-account-gopay-tokenizations), and a `gopay` charge with
`account_id`, `payment_option_token` and `recurring: true` charges it without the payer
(docs.midtrans.com/reference-link/gopay-object). Saved cards need the card entered in the app through
Midtrans' client-side tokenization first; not done here (`card` is the simulator's only).
"""

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils import timezone

from contributions.gateways import (
    Charge,
    GatewayError,
    GatewayRefused,
    GatewayStatus,
    LinkStart,
    LinkStatus,
    NotificationInfo,
    midtrans_notification_read,
)
from contributions.gateways.methods import METHODS, ONE_OFF_CODES, Kind, Method

TIMEOUT = (3.05, 10)  # connect, read (seconds)

def charge_body(*, order_id: str, gross_amount: int, expires_at: datetime, method: Method) -> dict:
    """The Core API charge request for `method` (the docs above)."""
    minutes = max(1, round((expires_at - timezone.now()).total_seconds() / 60))
    body: dict = {
        "transaction_details": {"order_id": order_id, "gross_amount": gross_amount},
        "custom_expiry": {"expiry_duration": minutes, "unit": "minute"},
    }
    if method.kind == Kind.VA:
        body.update(payment_type="bank_transfer", bank_transfer={"bank": method.bank})
    elif method.kind == Kind.BILL:
        body.update(payment_type="echannel", echannel={"bill_info1": "Iuran:", "bill_info2": "BPJSTK BPU"})
    elif method.kind == Kind.QRIS:
        body.update(payment_type="qris", qris={"acquirer": "gopay"})
    elif method.kind == Kind.EWALLET:
        body["payment_type"] = method.code  # gopay, shopeepay: Midtrans' own names
        if settings.PAYMENT_RETURN_URL:
            body[body["payment_type"]] = {"enable_callback": True, "callback_url": settings.PAYMENT_RETURN_URL}
    elif method.kind == Kind.RETAIL:
        body.update(payment_type="cstore", cstore={"store": method.store, "message": "Iuran BPJSTK BPU"})
    return body


def _action(data: dict, name: str) -> str:
    for action in data.get("actions") or ():
        if isinstance(action, dict) and action.get("name") == name and isinstance(action.get("url"), str):
            return action["url"]
    return ""


def charge_read(data: dict, method: Method) -> tuple[str, dict]:
    """What the payer needs from a charge's answer: (the code they quote, the kind's other fields).
    Raises GatewayError when the answer lacks it."""
    code, details = "", {}
    if method.kind == Kind.VA:
        numbers = data.get("va_numbers") or [{}]
        code = data.get("permata_va_number") or (numbers[0].get("va_number") if isinstance(numbers[0], dict) else "")
        needed = code
    elif method.kind == Kind.BILL:
        code, details = data.get("bill_key"), {"biller_code": data.get("biller_code")}
        needed = code and details["biller_code"]
    elif method.kind == Kind.QRIS:
        details = {"qr_string": data.get("qr_string")}
        needed = details["qr_string"]
    elif method.kind == Kind.EWALLET:
        details = {"deeplink_url": _action(data, "deeplink-redirect")}
        if data.get("qr_string"):
            details["qr_string"] = data["qr_string"]
        needed = details["deeplink_url"]
    else:  # Kind.RETAIL
        code = data.get("payment_code")
        needed = code
    if not needed or not all(isinstance(value, str) for value in [code or "", *details.values()]):
        raise GatewayError(f"midtrans answered a {method.code} charge without what the payer needs")
    return code or "", details


class MidtransGateway:
    name = "midtrans"
    methods = {code: None for code in ONE_OFF_CODES}  # every method, at the catalogue's bounds
    # Midtrans repeats a notification that was not answered 200, a timed-out one included.
    repeats_timed_out_notifications = True

    def __init__(self, *, base_url: str | None = None, server_key: str | None = None):
        self.base_url = (base_url or settings.MIDTRANS_BASE_URL).rstrip("/")
        self._server_key = server_key if server_key is not None else settings.MIDTRANS_SERVER_KEY

    @classmethod
    def configured(cls) -> bool:
        return bool(settings.MIDTRANS_SERVER_KEY)

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
            data = response.json()
        except ValueError as exc:
            raise GatewayError("midtrans answered with non-JSON") from exc
        if not isinstance(data, dict):
            raise GatewayError("midtrans answered with something else than an object")
        return data

    def create_charge(self, *, order_id: str, gross_amount: int, expires_at: datetime, method: Method) -> Charge:
        data = self._call("POST", "/v2/charge", charge_body(order_id=order_id, gross_amount=gross_amount, expires_at=expires_at, method=method))
        if str(data.get("status_code")) not in ("200", "201"):
            raise GatewayError(f"midtrans refused the charge: {data.get('status_code')}")
        code, details = charge_read(data, method)
        return Charge(va_number=code, reference=str(data.get("transaction_id", "")), expires_at=expires_at, details=details)

    def get_status(self, *, order_id: str, reference: str = "") -> GatewayStatus | None:
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

    def cancel(self, *, order_id: str, reference: str = "") -> None:
        """Void a pending payment (`POST /v2/{order_id}/cancel`). Success is status_code 200 with
        transaction_status `cancel` (docs.midtrans.com/reference/cancel-transaction); anything else, e.g.
        412 "Merchant cannot modify the status of the transaction", raises GatewayRefused."""
        self._close(order_id, "cancel", "200")

    def expire(self, *, order_id: str, reference: str = "") -> None:
        """Close a pending payment now, so it can no longer be paid (`POST /v2/{order_id}/expire`). Success
        is status_code 407 with transaction_status `expire` (docs.midtrans.com/reference-link/
        expire-transaction); anything else, e.g. 412, raises GatewayRefused."""
        self._close(order_id, "expire", "407")

    def _close(self, order_id: str, action: str, success_code: str) -> None:
        data = self._call("POST", f"/v2/{order_id}/{action}")
        if str(data.get("status_code")) != success_code or data.get("transaction_status") != action:
            raise GatewayRefused(f"midtrans refused to {action} {order_id}: {data.get('status_code')} {data.get('status_message', '')}"[:255])

    def notification_read(self, *, payload, headers) -> NotificationInfo:
        return midtrans_notification_read(payload, self._server_key)

    # --- autopay: GoPay tokenization ---------------------------------------------------------------

    autopay_methods = frozenset({"gopay"})

    def link_start(self, *, method: str, phone: str) -> LinkStart:
        partner = {"phone_number": phone.removeprefix("+62"), "country_code": "62"}
        if settings.PAYMENT_RETURN_URL:
            partner["redirect_url"] = settings.PAYMENT_RETURN_URL
        data = self._call("POST", "/v2/pay/account", {"payment_type": "gopay", "gopay_partner": partner})
        actions = {a.get("name"): a.get("url") for a in data.get("actions") or () if isinstance(a, dict)}
        url = actions.get("activation-link-app") or actions.get("activation-deeplink") or actions.get("activation-link-url")
        if str(data.get("status_code")) != "201" or not isinstance(data.get("account_id"), str) or not isinstance(url, str):
            raise GatewayError(f"midtrans refused the account link: {data.get('status_code')}")
        return LinkStart(account_id=data["account_id"], activation_url=url)

    def link_status(self, *, account_id: str) -> LinkStatus:
        data = self._call("GET", f"/v2/pay/account/{account_id}")
        state = str(data.get("account_status", "")).lower()
        if state not in ("pending", "enabled", "expired", "disabled"):
            raise GatewayError(f"midtrans account lookup failed: {data.get('status_code')}")
        token = ""
        for option in (data.get("metadata") or {}).get("payment_options") or ():
            if isinstance(option, dict) and option.get("name") == "GOPAY_WALLET" and option.get("active"):
                token = str(option.get("token") or "")
        return LinkStatus(state=state, payment_token=token, raw=data)

    def link_remove(self, *, account_id: str) -> None:
        self._call("POST", f"/v2/pay/account/{account_id}/unbind")

    def charge_linked(
        self, *, order_id: str, gross_amount: int, method: str, account_id: str, payment_token: str
    ) -> GatewayStatus:
        body = {
            "payment_type": "gopay",
            "transaction_details": {"order_id": order_id, "gross_amount": gross_amount},
            "gopay": {"account_id": account_id, "payment_option_token": payment_token, "recurring": True},
        }
        data = self._call("POST", "/v2/charge", body)
        refused = str(data.get("status_code", "")).startswith("4")  # e.g. a token no longer valid: declined
        if "transaction_status" not in data and not refused:
            raise GatewayError(f"midtrans answered the charge without a status: {data.get('status_code')}")
        return GatewayStatus(
            order_id=order_id,
            transaction_status=str(data.get("transaction_status") or "deny"),
            gross_amount=str(data.get("gross_amount", "")),
            transaction_id=str(data.get("transaction_id", "")),
            fraud_status=str(data.get("fraud_status", "")),
            raw=data,
            settled_at=_midtrans_time(data.get("settlement_time")),
        )


def _midtrans_time(value) -> datetime | None:
    """Midtrans writes times as `YYYY-MM-DD HH:MM:SS` in WIB (GMT+7)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=ZoneInfo("Asia/Jakarta"))
