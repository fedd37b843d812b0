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
(docs.midtrans.com/reference-link/gopay-object).

Autopay with a saved card, Core API "One Click" (docs.midtrans.com/reference/card-feature-one-click):
the app turns the card into a `token_id` with Midtrans' own SDK (Get Card Token,
docs.midtrans.com/reference/get-token: the card number goes from the phone to Midtrans, never to us)
and sends it in PUT /me/autopay. We charge a verification amount with it, `credit_card.authentication:
true` (3DS, docs.midtrans.com/reference/card-feature-3d-secure-3ds) and `save_token_id: true`: Midtrans
answers 201 `pending` with the 3DS `redirect_url` (the link's activation URL) and the `masked_card`.
After 3DS, its notification of that order carries `saved_token_id`; the status lookup
(docs.midtrans.com/reference/get-transaction-status-card) confirms the capture and gives the
`masked_card`, which the saved token must match (its first 6 or 8 and last 4 digits, get-token's "8
Digit Bin" note). Then the verification charge is voided (`POST /v2/{order_id}/cancel`, possible until
it settles: docs.midtrans.com/reference/cancel-transaction-card). Each month, `POST /v2/charge` with
`payment_type: credit_card` and `credit_card.token_id` = the saved token, `initiated_by: merchant` (a
merchant-initiated transaction, the One Click page's "MIT"), no 3DS: `capture` with `fraud_status:
accept` is paid, `deny` (status_code 202) declined, 411 "Token id is missing, invalid, or timed out" a
saved card no longer valid (charge-transactions-on-card). Only the masked card Midtrans returns is
kept or shown (`48111111-1114`); the saved token is kept to charge it.
"""

import base64
import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils import timezone

from contributions.gateways import (
    CardRefused,
    charge_each,
    Charge,
    GatewayError,
    GatewayRefused,
    LINK_ORDER_PREFIX,
    GatewayStatus,
    LinkedCharge,
    LinkStart,
    LinkStatus,
    NotificationInfo,
    midtrans_notification_read,
)
from contributions.gateways.methods import METHODS, ONE_OFF_CODES, Kind, Method

TIMEOUT = (3.05, 10)  # connect, read (seconds)

# Linking a card: the amount of its verification charge, voided once the card is saved (its order id
# starts with LINK_ORDER_PREFIX). Midtrans' examples charge cards Rp10.000.
CARD_LINK_AMOUNT = 10_000
# Midtrans' masked card: the first 6 (before 8-digit BINs) or 8 digits and the last 4.
MASKED_CARD = re.compile(r"(\d{6}|\d{8})-(\d{4})")

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

    # --- autopay: GoPay tokenization, and a saved card ----------------------------------------------

    autopay_methods = frozenset({"gopay", "card"})
    card_link_needs_token = True

    def link_start(self, *, method: str, phone: str, card_token: str = "") -> LinkStart:
        if method == "card":
            return self._card_link_start(card_token)
        partner = {"phone_number": phone.removeprefix("+62"), "country_code": "62"}
        if settings.PAYMENT_RETURN_URL:
            partner["redirect_url"] = settings.PAYMENT_RETURN_URL
        data = self._call("POST", "/v2/pay/account", {"payment_type": "gopay", "gopay_partner": partner})
        actions = {a.get("name"): a.get("url") for a in data.get("actions") or () if isinstance(a, dict)}
        url = actions.get("activation-link-app") or actions.get("activation-deeplink") or actions.get("activation-link-url")
        if str(data.get("status_code")) != "201" or not isinstance(data.get("account_id"), str) or not isinstance(url, str):
            raise GatewayError(f"midtrans refused the account link: {data.get('status_code')}")
        return LinkStart(account_id=data["account_id"], activation_url=url)

    def _card_link_start(self, card_token: str) -> LinkStart:
        order_id = f"{LINK_ORDER_PREFIX}{secrets.token_hex(12)}"
        data = self._call("POST", "/v2/charge", {
            "payment_type": "credit_card",
            "transaction_details": {"order_id": order_id, "gross_amount": CARD_LINK_AMOUNT},
            "credit_card": {"token_id": card_token, "authentication": True, "save_token_id": True},
        })
        status_code = str(data.get("status_code", ""))
        if status_code == "406" or not status_code.startswith(("2", "4")):
            raise GatewayError(f"midtrans answered the card link with {status_code}")
        if status_code.startswith("4") or data.get("transaction_status") == "deny":
            # 411 a token invalid or timed out, 400 a card Midtrans refuses; 202 deny: the bank or FDS.
            raise CardRefused(f"midtrans refused the card: {status_code}")
        url = data.get("redirect_url")
        if data.get("transaction_status") != "pending" or not isinstance(url, str) or not url:
            raise GatewayError(f"midtrans answered the card link without a 3DS page: {status_code}")
        return LinkStart(account_id=order_id, activation_url=url, account_masked=masked_card(data.get("masked_card")))

    def link_status(self, *, account_id: str, notified_token: str = "") -> LinkStatus:
        if account_id.startswith(LINK_ORDER_PREFIX):
            return self._card_link_status(account_id, notified_token)
        data = self._call("GET", f"/v2/pay/account/{account_id}")
        state = str(data.get("account_status", "")).lower()
        if state not in ("pending", "enabled", "expired", "disabled"):
            raise GatewayError(f"midtrans account lookup failed: {data.get('status_code')}")
        token = ""
        for option in (data.get("metadata") or {}).get("payment_options") or ():
            if isinstance(option, dict) and option.get("name") == "GOPAY_WALLET" and option.get("active"):
                token = str(option.get("token") or "")
        return LinkStatus(state=state, payment_token=token, raw=data)

    def _card_link_status(self, order_id: str, notified_token: str) -> LinkStatus:
        """The verification charge, looked up: captured (3DS passed, the card accepted) with a saved
        token for this very card is `enabled`; pending (3DS not done yet, or the fraud check's
        `challenge`) is `pending`; denied, cancelled or expired: `disabled`."""
        status = self.get_status(order_id=order_id)
        if status is None:
            return LinkStatus(state="pending")
        masked = masked_card((status.raw or {}).get("masked_card"))
        if status.transaction_status in ("deny", "cancel", "expire", "failure"):
            return LinkStatus(state="disabled", account_masked=masked, raw=status.raw)
        if not status.settled:
            return LinkStatus(state="pending", account_masked=masked, raw=status.raw)
        token = str((status.raw or {}).get("saved_token_id") or notified_token or "")
        if not saved_token_matches(token, masked):
            return LinkStatus(state="pending", account_masked=masked, raw=status.raw)  # wait for the notification
        return LinkStatus(state="enabled", payment_token=token, account_masked=masked, raw=status.raw)

    def link_enabled(self, *, account_id: str) -> None:
        """A card is saved: void its verification charge."""
        if account_id.startswith(LINK_ORDER_PREFIX):
            self._close(account_id, "cancel", "200")

    def link_remove(self, *, account_id: str) -> None:
        if account_id.startswith(LINK_ORDER_PREFIX):
            # Core API keeps no list of saved cards to delete from: forgetting the token is unlinking. A
            # verification charge still open (unlinked before it was voided) is voided.
            try:
                self._close(account_id, "cancel", "200")
            except GatewayRefused:
                pass  # voided already, or denied: nothing to undo
            return
        self._call("POST", f"/v2/pay/account/{account_id}/unbind")

    def charge_linked(
        self, *, order_id: str, gross_amount: int, method: str, account_id: str, payment_token: str
    ) -> GatewayStatus:
        details = {"order_id": order_id, "gross_amount": gross_amount}
        if method == "card":
            body = {
                "payment_type": "credit_card",
                "transaction_details": details,
                "credit_card": {"token_id": payment_token, "initiated_by": "merchant"},
            }
        else:
            body = {
                "payment_type": "gopay",
                "transaction_details": details,
                "gopay": {"account_id": account_id, "payment_option_token": payment_token, "recurring": True},
            }
        data = self._call("POST", "/v2/charge", body)
        status_code = str(data.get("status_code", ""))
        if status_code == "406":
            # "Duplicate order id": a charge of this order exists at Midtrans, its outcome unknown to us.
            raise GatewayError("midtrans already has a charge of this order")
        refused = status_code.startswith("4")  # e.g. 411, a token no longer valid: declined
        if "transaction_status" not in data and not refused:
            raise GatewayError(f"midtrans answered the charge without a status: {status_code}")
        return GatewayStatus(
            order_id=order_id,
            transaction_status=str(data.get("transaction_status") or "deny"),
            gross_amount=str(data.get("gross_amount", "")),
            transaction_id=str(data.get("transaction_id", "")),
            fraud_status=str(data.get("fraud_status", "")),
            raw=data,
            settled_at=_midtrans_time(data.get("settlement_time")),
        )


    def charge_linked_many(self, charges: list[LinkedCharge]) -> list:
        return charge_each(self, charges)  # Core API charges one order per request


def masked_card(value) -> str:
    """Midtrans' masked card (`48111111-1114`) if that is what `value` is, else "": nothing else a
    gateway answers is ever kept or shown as a card."""
    return value if isinstance(value, str) and MASKED_CARD.fullmatch(value) else ""


def saved_token_matches(token: str, masked: str) -> bool:
    """Whether a saved token is one of the card Midtrans confirmed: a `saved_token_id` starts with the
    card's first digits and ends with its last 4, as its masked number shows them (get-token)."""
    match = MASKED_CARD.fullmatch(masked)
    return bool(match and len(token) > 16 and token.startswith(match[1]) and token.endswith(match[2]))


def _midtrans_time(value) -> datetime | None:
    """Midtrans writes times as `YYYY-MM-DD HH:MM:SS` in WIB (GMT+7)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=ZoneInfo("Asia/Jakarta"))
