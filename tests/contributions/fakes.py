"""Local fake payment gateways: real HTTP servers on 127.0.0.1 that check requests and answer with the
shapes the gateways document (the addresses are beside each part). The tests drive them from outside
(`set_status`, `pay`) the way a payer and the gateway would."""

import base64
import hashlib
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from tests.fakeserver import LocalHttpServer, QuietHandler, reply_json

# Midtrans' status_code of each transaction_status (docs.midtrans.com/reference/code-2xx,
# docs.midtrans.com/reference/code-4xx: 407 "expired").
MIDTRANS_STATUS_CODES = {"settlement": "200", "capture": "200", "pending": "201", "deny": "202", "cancel": "200", "expire": "407"}


class FakeHandlerBase(QuietHandler):
    fake = None  # set by the subclass

    def _answer(self, status: int, body: dict):
        try:
            reply_json(self, body, status)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout)

    def _record(self, method: str) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = {"method": method, "path": self.path, "headers": dict(self.headers), "json": json.loads(raw) if raw else None}
        self.fake.requests.append(request)
        return request

    def _mode(self, is_status: bool) -> str:
        return self.fake.status_mode if is_status and self.fake.status_mode else self.fake.mode

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")


class FakeGateway(LocalHttpServer):
    """`mode` is "ok", "500", "404" or "slow" (sleeps `slow_seconds` before answering); `status_mode`
    applies to the status lookup only (default: `mode`)."""

    def __init__(self):
        self.mode = "ok"
        self.status_mode = None
        self.slow_seconds = 1.5
        self.requests: list[dict] = []

    def calls(self, method: str, suffix: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(suffix)]

    def outage(self, handler, is_status: bool) -> bool:
        """Answers an outage if the mode says so; True when it did."""
        mode = handler._mode(is_status)
        if mode == "slow":
            time.sleep(self.slow_seconds)
        elif mode == "500":
            handler._answer(500, {"status_code": "500", "status_message": "Internal error", "error_code": "SERVER_ERROR"})
            return True
        elif mode == "404":
            handler._answer(404, {"status_code": "404", "status_message": "Not found", "error_code": "DATA_NOT_FOUND"})
            return True
        return False


# --- Midtrans Core API --------------------------------------------------------------------------------
# Charge: docs.midtrans.com/reference/charge-api and each method's page (bni-virtual-account,
# mandiri-bill-payment-1, reference-link/qris, gopay-1, shopeepay-1, indomaret-1, alfamart-1).
# Status: GET /v2/{order_id}/status; cancel and expire: POST /v2/{order_id}/cancel|expire
# (docs.midtrans.com/reference/get-transaction-status, …/cancel-transaction, …/expire-transaction).

MIDTRANS_BANKS = {"bca", "bni", "bri", "permata", "cimb"}
MIDTRANS_STORES = {"indomaret", "alfamart"}


class FakeMidtrans(FakeGateway):
    """POST /v2/charge for every payment type we use, GET /v2/{order_id}/status, POST …/cancel, …/expire.
    A charge whose shape Midtrans would refuse answers 400 with `validation_messages`, as Midtrans does."""

    def __init__(self, server_key: str = "SB-test", client_key: str = "SB-client-test"):
        super().__init__()
        self.server_key = server_key
        self.client_key = client_key
        self.orders: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}  # GoPay tokenization: linked accounts
        self.decline_linked = False  # a linked wallet without balance: every charge denied
        self.hang_after_charge = False  # charge, then answer after `slow_seconds` (a timeout)
        # Cards (see "Cards" below): one-time tokens from Get Card Token, saved tokens from One Click.
        self.card_tokens: dict[str, dict] = {}
        self.saved_tokens: dict[str, dict] = {}
        self.three_ds: dict[str, dict] = {}  # card charges waiting for the payer's 3DS page
        self.decline_cards = False  # the issuing bank declines every charge ("Do not honor")
        self.challenge_cards = False  # the fraud check holds every charge (capture, `challenge`)
        fake = self

        class Handler(FakeHandlerBase):
            def _handle(self, method: str):
                request = self._record(method)
                if method == "GET" and self.path.startswith("/v2/token?"):
                    # What the app's Midtrans SDK calls with the client key, not the server key.
                    status, body = fake.card_token(parse_qs(urlsplit(self.path).query))
                    return self._answer(status, body)
                is_status = method == "GET" and self.path.endswith("/status")
                if fake.outage(self, is_status):
                    return
                expected = "Basic " + base64.b64encode(f"{fake.server_key}:".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, {"status_code": "401", "status_message": "Access denied"})
                parts = self.path.strip("/").split("/")
                if parts[:3] == ["v2", "pay", "account"]:
                    status, body = fake.pay_account(method, parts[3:], request["json"])
                    return self._answer(status, body)
                if method == "POST" and parts == ["v2", "charge"]:
                    status, body = fake.charge(request["json"])
                    if fake.hang_after_charge:
                        time.sleep(fake.slow_seconds)  # charged, but the answer comes too late
                    return self._answer(status, body)
                if len(parts) == 3 and parts[0] == "v2":
                    order = fake.orders.get(parts[1])
                    if order is None:
                        return self._answer(404, {"status_code": "404", "status_message": "Transaction doesn't exist."})
                    if method == "GET" and parts[2] == "status":
                        return self._answer(200, order)
                    if method == "POST" and parts[2] in ("cancel", "expire"):
                        # Only a pending payment can be closed, and a card's capture not settled yet
                        # cancelled (voided); the answer is the transaction with status_code 200
                        # (cancel) or 407 (expire), else 412 "Merchant cannot modify the status of the
                        # transaction" (docs.midtrans.com/reference/cancel-transaction,
                        # docs.midtrans.com/reference/cancel-transaction-card,
                        # docs.midtrans.com/reference-link/expire-transaction).
                        voidable = parts[2] == "cancel" and order["transaction_status"] in ("capture", "authorize")
                        if order["transaction_status"] != "pending" and not voidable:
                            return self._answer(412, {"status_code": "412", "status_message": "Merchant cannot modify the status of the transaction"})
                        fake.set_status(parts[1], "cancel" if parts[2] == "cancel" else "expire")
                        return self._answer(200, order)
                return self._answer(404, {"status_code": "404"})

        Handler.fake = fake
        self.serve(Handler)
        self.url = self.base_url

    def charge(self, body: dict) -> tuple[int, dict]:
        problems = self._problems(body)
        if problems:
            return 400, {"status_code": "400", "status_message": "One or more parameters in the payload is invalid.", "validation_messages": problems}
        order_id = body["transaction_details"]["order_id"]
        if order_id in self.orders:
            return 406, {"status_code": "406", "status_message": "The request could not be completed due to a conflict with the current state of the target resource, please try again"}
        amount = body["transaction_details"]["gross_amount"]
        transaction_id = str(uuid.uuid4())
        payment_type = body["payment_type"]
        answer = {
            "status_code": "201",
            "transaction_id": transaction_id,
            "order_id": order_id,
            "merchant_id": "G490526303",
            "gross_amount": f"{amount}.00",
            "currency": "IDR",
            "payment_type": payment_type,
            "transaction_time": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "transaction_status": "pending",
            "fraud_status": "accept",
        }
        n = len(self.orders) + 1
        if payment_type == "bank_transfer":
            bank = body["bank_transfer"]["bank"]
            answer["status_message"] = f"Success, {bank.upper()} VA transaction is successful"
            if bank == "permata":
                answer["permata_va_number"] = f"8778{n:012d}"
            else:
                answer["va_numbers"] = [{"bank": bank, "va_number": f"{n:011d}"}]
        elif payment_type == "echannel":
            answer.update(status_message="OK, Mandiri Bill transaction is successful", bill_key=f"{n:012d}", biller_code="70012")
        elif payment_type == "qris":
            answer.update(
                status_message="QRIS transaction is created",
                actions=[{"name": "generate-qr-code", "method": "GET", "url": f"{self.url}/v2/qris/{transaction_id}/qr-code"}],
                qr_string=f"00020101021226620014COM.GO-JEK.WWW011893600914{n:010d}5204481253033605405{amount}6304ABCD",
                acquirer="gopay",
            )
        elif payment_type == "gopay" and (body.get("gopay") or {}).get("account_id"):
            self._linked_charge(body, answer)
            if answer["transaction_status"] == "deny":
                self.orders[order_id] = dict(answer)
                return 200, answer
        elif payment_type == "gopay":
            answer.update(
                status_message="GoPay transaction is created",
                actions=[
                    {"name": "generate-qr-code", "method": "GET", "url": f"{self.url}/v2/gopay/{transaction_id}/qr-code"},
                    {"name": "deeplink-redirect", "method": "GET", "url": f"https://simulator.sandbox.midtrans.com/gopay/partner/app/payment-pin?id={transaction_id}"},
                    {"name": "get-status", "method": "GET", "url": f"{self.url}/v2/{transaction_id}/status"},
                    {"name": "cancel", "method": "POST", "url": f"{self.url}/v2/{transaction_id}/cancel"},
                ],
            )
        elif payment_type == "shopeepay":
            answer.update(
                status_message="ShopeePay transaction is created",
                actions=[{"name": "deeplink-redirect", "method": "GET", "url": f"https://wsa.uat.wallet.airpay.co.id/universal-link/wallet/pay?deep_and_deferred=1&token={transaction_id}"}],
            )
        elif payment_type == "cstore":
            answer.update(status_message="Success, cstore transaction is successful", payment_code=f"{n:016d}", store=body["cstore"]["store"])
        elif payment_type == "credit_card":
            status, answer = self._card_charge(body, answer)
            if answer.get("transaction_status") != "pending":
                if "transaction_id" in answer:
                    self.orders[order_id] = dict(answer)
                return status, answer
        self.orders[order_id] = dict(answer)
        return (200 if answer["status_code"] == "200" else 201), answer

    # GoPay tokenization: docs.midtrans.com/reference/create-pay-account, …/get-pay-account,
    # …/partner-unbind-pay-account-gopay-tokenizations; the charge: docs.midtrans.com/reference-link/gopay-object.

    def pay_account(self, method: str, rest: list[str], body: dict | None) -> tuple[int, dict]:
        if method == "POST" and not rest:
            partner = (body or {}).get("gopay_partner") or {}
            phone = str(partner.get("phone_number", ""))
            if (body or {}).get("payment_type") != "gopay" or not phone.isdigit() or not 9 <= len(phone) <= 12 or partner.get("country_code") != "62":
                return 400, {"status_code": "400", "status_message": "One or more parameters in the payload is invalid."}
            account_id = str(uuid.uuid4())
            self.accounts[account_id] = {"account_status": "PENDING", "phone": phone, "token": ""}
            return 201, {
                "status_code": "201",
                "payment_type": "gopay",
                "account_id": account_id,
                "account_status": "PENDING",
                "actions": [
                    {"name": "activation-link-url", "method": "GET", "url": f"{self.url}/v2/gopay/redirect/gpar_{account_id}/link"},
                    {"name": "activation-link-app", "method": "GET", "url": f"{self.url}/v2/gopay/redirect/gpad_{account_id}/link"},
                ],
            }
        account = self.accounts.get(rest[0]) if rest else None
        if account is None:
            return 404, {"status_code": "404", "status_message": "Account doesn't exist."}
        if method == "POST" and rest[1:] == ["unbind"]:
            account["account_status"] = "DISABLED"
            return 200, {"status_code": "204", "payment_type": "gopay", "account_id": rest[0], "account_status": "DISABLED"}
        if method == "GET" and len(rest) == 1:
            answer = {"payment_type": "gopay", "account_id": rest[0], "account_status": account["account_status"]}
            if account["account_status"] == "ENABLED":
                answer.update(status_code="200", metadata={"payment_options": [
                    {"name": "GOPAY_WALLET", "active": True, "balance": {"value": "1000000.00", "currency": "IDR"},
                     "metadata": {}, "token": account["token"]},
                    {"name": "PAY_LATER", "active": True, "balance": {"value": "350000.00", "currency": "IDR"},
                     "metadata": {}, "token": "eyJ0eXBlIjogIlBBWV9MQVRFUiIsICJpZCI6ICIifQ=="},
                ]})
            else:
                answer["status_code"] = "201" if account["account_status"] == "PENDING" else "204"
            return 200, answer
        return 404, {"status_code": "404"}

    def enable_account(self, account_id: str) -> dict:
        """The payer approved the link in the Gojek app. Returns the notification Midtrans sends."""
        account = self.accounts[account_id]
        account.update(account_status="ENABLED", token=base64.b64encode(f'{{"type": "GOPAY_WALLET", "id": "{account_id}"}}'.encode()).decode())
        return {"account_id": account_id, "merchant_id": "G490526303", "payment_type": "gopay",
                "signature_key": "not-checked-the-lookup-decides", "status_code": "200", "account_status": "ENABLED"}

    def _linked_charge(self, body: dict, answer: dict) -> None:
        gopay = body.get("gopay") or {}
        account = self.accounts.get(gopay.get("account_id"))
        if account is None or account["account_status"] != "ENABLED" or gopay.get("payment_option_token") != account["token"]:
            answer.update(status_code="202", status_message="Payment option token is invalid", transaction_status="deny")
        elif self.decline_linked:
            answer.update(status_code="202", status_message="Insufficient balance", transaction_status="deny",
                          channel_response_code="1101", channel_response_message="Insufficient balance")
        else:
            answer.update(status_code="200", status_message="Success, GoPay transaction is successful", transaction_status="settlement")

    # --- Cards ---------------------------------------------------------------------------------------
    # Get Card Token (the app, with the client key): docs.midtrans.com/reference/get-token. A 3DS charge:
    # docs.midtrans.com/reference/card-feature-3d-secure-3ds (201 pending + redirect_url; the
    # notification after 3DS). One Click: docs.midtrans.com/reference/card-feature-one-click
    # (`save_token_id` → `saved_token_id` in the notification; later charges with the saved token, MIT
    # `initiated_by: merchant`). A card charge's answers: docs.midtrans.com/reference/charge-transactions-on-card
    # (capture/accept 200, deny 202 "Do not honor", 411 "Token id is missing, invalid, or timed out").
    # The status lookup of a card (docs.midtrans.com/reference/get-transaction-status-card) shows the
    # masked card, not the saved token.

    def card_token(self, query: dict) -> tuple[int, dict]:
        """GET /v2/token: a one-time token of the card (the card number stays here, as at Midtrans)."""
        get = lambda name: (query.get(name) or [""])[0]  # noqa: E731
        number = get("card_number").replace(" ", "")
        if get("client_key") != self.client_key:
            return 401, {"status_code": "401", "status_message": "Access denied, please check client or server key"}
        if not number.isdigit() or not 13 <= len(number) <= 19 or not get("card_cvv").isdigit() or not get("card_exp_year").isdigit():
            return 200, {"status_code": "400", "status_message": "One or more parameters in the payload is invalid.",
                         "validation_messages": ["card_number does not match with luhn algorithm"], "id": str(uuid.uuid4())}
        token_id = f"{number[:8]}-{number[-4:]}-{uuid.uuid4()}"
        self.card_tokens[token_id] = {"number": number, "used": False}
        return 200, {"status_code": "200", "status_message": "Credit card token is created as Token ID.", "token_id": token_id,
                     "hash": f"{number[:8]}-{number[-4:]}-mami"}

    @staticmethod
    def masked(number: str) -> str:
        return f"{number[:8]}-{number[-4:]}"

    def _card_charge(self, body: dict, answer: dict) -> tuple[int, dict]:
        card = body.get("credit_card") or {}
        token_id = card.get("token_id")
        one_time = self.card_tokens.get(token_id)
        saved = self.saved_tokens.get(token_id)
        if (one_time is None or one_time["used"]) and saved is None:
            return 200, {"status_code": "411", "status_message": "Token id is missing, invalid, or timed out"}
        answer.update(masked_card=self.masked((one_time or saved)["number"]), bank="bni", card_type="credit", on_us=True)
        if one_time is not None:
            one_time["used"] = True  # a token from Get Card Token is good for one charge
            if card.get("authentication") is True:
                answer.update(
                    status_code="201",
                    status_message="Success, Credit Card transaction is successful",
                    redirect_url=f"{self.url}/v2/3ds/redirect/451249-2595-{answer['transaction_id']}",
                    transaction_status="pending",
                    three_ds_version="2",
                )
                answer.pop("fraud_status")
                self.three_ds[answer["order_id"]] = {"number": one_time["number"], "save": card.get("save_token_id") is True}
                return 201, answer
            number = one_time["number"]
        else:
            number = saved["number"]
        if self.decline_cards:
            answer.update(status_code="202", status_message="Deny by Bank [BNI] with code [05] and message [Do not honor]",
                          transaction_status="deny", channel_response_code="05", channel_response_message="Do not honor")
        elif self.challenge_cards:
            answer.update(status_code="201", status_message="Challenge by FDS", transaction_status="capture",
                          fraud_status="challenge", channel_response_code="00", channel_response_message="Approved")
        else:
            answer.update(status_code="200", status_message="Success, Credit Card transaction is successful",
                          transaction_status="capture", fraud_status="accept", approval_code=f"{secrets.randbelow(10**13):013d}",
                          channel_response_code="00", channel_response_message="Approved")
        answer["masked_card"] = self.masked(number)
        return 200, answer

    def complete_3ds(self, order_id: str, *, passed: bool = True) -> dict:
        """The payer finishes the 3DS page of a card charge. Returns the notification Midtrans then
        posts (signed; a One Click initial charge's carries `saved_token_id`)."""
        pending = self.three_ds.pop(order_id)
        order = self.orders[order_id]
        if passed:
            order.update(transaction_status="capture", fraud_status="accept", status_code="200", approval_code="T58755",
                         channel_response_code="00", channel_response_message="Approved", eci="05",
                         status_message="Success, Credit Card transaction is successful")
        else:
            order.update(transaction_status="deny", fraud_status="accept", status_code="202", eci="06",
                         channel_response_code="05", channel_response_message="Do not honor")
        notification = {
            key: order[key] for key in (
                "masked_card", "bank", "transaction_time", "gross_amount", "order_id", "payment_type", "status_code",
                "transaction_id", "transaction_status", "fraud_status", "card_type", "three_ds_version",
            )
        }
        notification.update(status_message="midtrans payment notification", eci=order["eci"],
                             channel_response_code=order["channel_response_code"], channel_response_message=order["channel_response_message"])
        if passed and pending["save"]:
            number = pending["number"]
            saved_token_id = number[:8] + secrets.token_urlsafe(15).replace("-", "a").replace("_", "b")[:20] + number[-4:]
            self.saved_tokens[saved_token_id] = {"number": number}
            expires = (datetime.now() + timedelta(days=365 * 3)).strftime("%Y-%m-%d %H:%M:%S")
            notification.update(saved_token_id=saved_token_id, saved_token_id_expired_at=expires)
        notification["signature_key"] = hashlib.sha512(
            f"{order_id}{notification['status_code']}{notification['gross_amount']}{self.server_key}".encode()
        ).hexdigest()
        return notification

    @staticmethod
    def _problems(body: dict) -> list[str]:
        details = body.get("transaction_details") or {}
        problems = []
        if not isinstance(details.get("order_id"), str) or not details["order_id"]:
            problems.append("transaction_details.order_id is required")
        if not isinstance(details.get("gross_amount"), int) or details["gross_amount"] < 1:
            problems.append("transaction_details.gross_amount must be an integer of at least 1")
        expiry = body.get("custom_expiry")
        if expiry is not None and (not isinstance(expiry.get("expiry_duration"), int) or expiry.get("unit") not in ("second", "minute", "hour", "day")):
            problems.append("custom_expiry is invalid")
        payment_type = body.get("payment_type")
        if payment_type == "bank_transfer":
            if (body.get("bank_transfer") or {}).get("bank") not in MIDTRANS_BANKS:
                problems.append("bank_transfer.bank must be one of " + ", ".join(sorted(MIDTRANS_BANKS)))
        elif payment_type == "echannel":
            echannel = body.get("echannel") or {}
            if not echannel.get("bill_info1") or not echannel.get("bill_info2"):
                problems.append("echannel.bill_info1 and echannel.bill_info2 are required")
        elif payment_type == "cstore":
            if str((body.get("cstore") or {}).get("store", "")).lower() not in MIDTRANS_STORES:
                problems.append("cstore.store must be indomaret or alfamart")
        elif payment_type == "credit_card":
            card = body.get("credit_card") or {}
            if not isinstance(card.get("token_id"), str) or not card["token_id"]:
                problems.append("credit_card.token_id is required")
            if card.get("initiated_by", "customer") not in ("customer", "merchant"):
                problems.append("credit_card.initiated_by must be customer or merchant")
            if expiry is not None:
                problems.append("custom_expiry is not supported for credit_card")
        elif payment_type not in ("qris", "gopay", "shopeepay"):
            problems.append("payment_type is not supported")
        return problems

    def set_status(self, order_id: str, transaction_status: str, **fields):
        self.orders[order_id].update(
            transaction_status=transaction_status, status_code=MIDTRANS_STATUS_CODES.get(transaction_status, "201"), **fields
        )


# --- Xendit Payments API v3 ---------------------------------------------------------------------------
# Create: POST /v3/payment_requests (docs.xendit.co/apidocs/create-payment-request); get:
# GET /v3/payment_requests/{id} (docs.xendit.co/apidocs/get-payment-request); cancel:
# POST /v3/payment_requests/{id}/cancel (docs.xendit.co/apidocs/cancel-payment-request); the
# `payment.capture` callback body (docs.xendit.co/docs/reusable-payment-codes, "Receive a payment event
# webhook"; docs.xendit.co/apidocs/payment-webhook-notification). Channels: docs.xendit.co/docs/
# bca-virtual-account, …/qris, …/shopeepay, …/indomaret, …/alfamart.

XENDIT_CHANNELS = {
    "BCA_VIRTUAL_ACCOUNT", "BNI_VIRTUAL_ACCOUNT", "BRI_VIRTUAL_ACCOUNT", "PERMATA_VIRTUAL_ACCOUNT",
    "CIMB_VIRTUAL_ACCOUNT", "MANDIRI_VIRTUAL_ACCOUNT", "QRIS", "SHOPEEPAY", "DANA", "OVO", "INDOMARET", "ALFAMART",
}
XENDIT_BUSINESS_ID = "5f27a14a9bf05c73dd040bc8"


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeXendit(FakeGateway):
    def __init__(self, secret_key: str = "xnd_development_test"):
        super().__init__()
        self.secret_key = secret_key
        self.payment_requests: dict[str, dict] = {}
        fake = self

        class Handler(FakeHandlerBase):
            def _handle(self, method: str):
                request = self._record(method)
                parts = self.path.strip("/").split("/")
                is_status = method == "GET" and len(parts) == 3
                if fake.outage(self, is_status):
                    return
                expected = "Basic " + base64.b64encode(f"{fake.secret_key}:".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, {"error_code": "INVALID_API_KEY", "message": "API key is not authorized for this API service"})
                if parts[:2] != ["v3", "payment_requests"]:
                    return self._answer(404, {"error_code": "NOT_FOUND", "message": "Not found"})
                if method == "POST" and len(parts) == 2:
                    status, body = fake.create(request["json"], self.headers)
                    return self._answer(status, body)
                found = fake.payment_requests.get(parts[2]) if len(parts) >= 3 else None
                if found is None:
                    return self._answer(404, {"error_code": "DATA_NOT_FOUND", "message": "Payment request not found"})
                if method == "GET" and len(parts) == 3:
                    return self._answer(200, found)
                if method == "POST" and parts[3:] == ["cancel"]:
                    if found["status"] not in ("REQUIRES_ACTION", "ACCEPTING_PAYMENTS"):
                        return self._answer(400, {"error_code": "INVALID_PAYMENT_REQUEST_STATUS", "message": "Payment request cannot be canceled"})
                    found.update(status="CANCELED", updated=_now_iso())
                    return self._answer(200, found)
                return self._answer(404, {"error_code": "NOT_FOUND", "message": "Not found"})

        Handler.fake = fake
        self.serve(Handler)
        self.url = self.base_url

    def create(self, body: dict, headers) -> tuple[int, dict]:
        problems = []
        if headers.get("api-version") != "2024-11-11":
            problems.append("api-version header")
        for name, ok in [
            ("reference_id", isinstance(body.get("reference_id"), str) and body["reference_id"]),
            ("type", body.get("type") == "PAY"),
            ("country", body.get("country") == "ID"),
            ("currency", body.get("currency") == "IDR"),
            ("request_amount", isinstance(body.get("request_amount"), int) and body["request_amount"] > 0),
            ("channel_code", body.get("channel_code") in XENDIT_CHANNELS),
            ("capture_method", body.get("capture_method") in (None, "AUTOMATIC")),
            ("channel_properties", isinstance(body.get("channel_properties", {}), dict)),
        ]:
            if not ok:
                problems.append(name)
        if problems:
            return 400, {"error_code": "API_VALIDATION_ERROR", "message": f"Invalid: {', '.join(problems)}"}
        payment_request_id = f"pr-{uuid.uuid4()}"
        channel = body["channel_code"]
        digits = f"{secrets.randbelow(10**12):012d}"
        if channel.endswith("_VIRTUAL_ACCOUNT"):
            actions = [{"type": "PRESENT_TO_CUSTOMER", "descriptor": "VIRTUAL_ACCOUNT_NUMBER", "value": "8808" + digits}]
        elif channel == "QRIS":
            actions = [{"type": "PRESENT_TO_CUSTOMER", "descriptor": "QR_STRING", "value": f"00020101021226660014ID.CO.QRIS.WWW0215ID{digits}5303360540{len(str(body['request_amount']))}{body['request_amount']}6304C696"}]
        elif channel in ("INDOMARET", "ALFAMART"):
            actions = [{"type": "PRESENT_TO_CUSTOMER", "descriptor": "PAYMENT_CODE", "value": "TEST" + digits}]
        else:
            actions = [
                {"type": "REDIRECT_CUSTOMER", "descriptor": "DEEPLINK_URL", "value": f"shopeeid://main?apprl=%2Frn%2FTRANSACTION_CHECKOUT%3Ftoken%3D{digits}"},
                {"type": "REDIRECT_CUSTOMER", "descriptor": "WEB_URL", "value": f"https://checkout-staging.xendit.co/web/{payment_request_id}"},
            ]
        created = _now_iso()
        answer = {
            "business_id": XENDIT_BUSINESS_ID,
            "reference_id": body["reference_id"],
            "payment_request_id": payment_request_id,
            "type": "PAY",
            "country": "ID",
            "currency": "IDR",
            "request_amount": body["request_amount"],
            "capture_method": "AUTOMATIC",
            "channel_code": channel,
            "channel_properties": body.get("channel_properties", {}),
            "actions": actions,
            "status": "REQUIRES_ACTION",
            "description": body.get("description", ""),
            "created": created,
            "updated": created,
        }
        self.payment_requests[payment_request_id] = dict(answer)
        return 201, answer

    def find(self, reference_id: str) -> dict:
        return next(pr for pr in self.payment_requests.values() if pr["reference_id"] == reference_id)

    def set_status(self, reference_id: str, status: str) -> dict:
        found = self.find(reference_id)
        found.update(status=status, updated=_now_iso())
        return found

    def callback(self, reference_id: str, *, event: str = "payment.capture", status: str = "SUCCEEDED", amount: int | None = None) -> dict:
        """The webhook body Xendit posts for a payment of this payment request."""
        found = self.find(reference_id)
        amount = found["request_amount"] if amount is None else amount
        return {
            "created": _now_iso(),
            "business_id": XENDIT_BUSINESS_ID,
            "event": event,
            "data": {
                "type": "PAY",
                "status": status,
                "country": "ID",
                "created": found["created"],
                "updated": _now_iso(),
                "captures": [{"capture_id": f"cptr-{uuid.uuid4()}", "capture_amount": amount, "capture_timestamp": _now_iso()}]
                if status == "SUCCEEDED" else [],
                "currency": "IDR",
                "payment_id": f"py-{uuid.uuid5(uuid.NAMESPACE_URL, found['payment_request_id'])}",
                "business_id": XENDIT_BUSINESS_ID,
                "channel_code": found["channel_code"],
                "reference_id": reference_id,
                "capture_method": "AUTOMATIC",
                "request_amount": amount,
                "payment_details": {},
                "payment_request_id": found["payment_request_id"],
            },
            "api_version": "v3",
        }

    def pay(self, reference_id: str) -> dict:
        """The payer pays: the payment request succeeds; returns the callback Xendit then posts."""
        self.set_status(reference_id, "SUCCEEDED")
        return self.callback(reference_id)
