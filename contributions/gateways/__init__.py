"""Payment gateways behind one small interface. PAYMENT_GATEWAY names the one that opens new payments;
every gateway whose keys are configured keeps answering for the payments it opened.

A gateway opens a payment for an invoice by one of the methods it offers (gateways/methods.py), reads
its own notifications (checks they come from it), and answers a status lookup: the only thing we
credit on. A notification is a hint, the lookup is the truth: Midtrans' signature covers neither
`transaction_status` nor a timestamp, and Xendit's callback token is the same on every call.

The lookup speaks one vocabulary, Midtrans' `transaction_status` (GatewayStatus), whichever gateway
answers, so crediting, closing and reconciling are one path for every gateway and method.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.conf import settings

from contributions.gateways.methods import METHODS, Limits, Method
from core.exceptions import DomainError


# An order id that names an account being linked (a card's verification charge), not an invoice: its
# notifications go to autopay (contributions/autopay.py), invoice numbers start with "INV-".
LINK_ORDER_PREFIX = "LINK-"


class GatewayError(Exception):
    """The gateway could not be reached or answered nonsense: retry later, change nothing."""


class GatewayRefused(GatewayError):
    """The gateway answered and refused what was asked (e.g. Midtrans' 412 "cannot modify the status":
    the payment is no longer pending there, perhaps paid). Not a success: the caller asks its status."""


class CardRefused(GatewayError):
    """Linking a card, the gateway refused the card itself (a card token invalid or timed out, or the
    bank declined it): asking again changes nothing, the payer enters another card."""


@dataclass(frozen=True)
class Charge:
    """A payment the gateway opened for an invoice."""

    # What the payer quotes: the VA number, the Mandiri bill key or the store's payment code (empty for
    # QRIS and e-wallets). Kept in Invoice.va_number, which finance searches by.
    va_number: str
    reference: str  # the gateway's id of the payment (Midtrans transaction_id, Xendit payment_request_id)
    expires_at: datetime
    # The rest of what the payer needs, by the method's kind: biller_code, qr_string, deeplink_url.
    details: dict = field(default_factory=dict)
    # A gateway that keeps its ledger in our database (the simulator) hands its new rows to the
    # caller, which writes them in the invoice's own INSERT: the charge exists exactly when the
    # invoice does, in one round trip. A remote gateway has none.
    ledger: tuple = ()


@dataclass(frozen=True)
class GatewayStatus:
    """What the gateway says about an order, in Midtrans' words (`transaction_status` as a string)."""

    order_id: str
    transaction_status: str
    gross_amount: str
    transaction_id: str
    fraud_status: str = ""
    raw: dict | None = None
    # When the money came, by the gateway's own clock (None when it does not say).
    settled_at: datetime | None = None

    @property
    def settled(self) -> bool:
        if self.transaction_status == "settlement":
            return True
        return self.transaction_status == "capture" and self.fraud_status == "accept"


@dataclass(frozen=True)
class NotificationInfo:
    """What a notification that passed its gateway's check says (not yet believed: see the module)."""

    order_id: str
    transaction_status: str
    transaction_id: str = ""


@dataclass(frozen=True)
class LinkStart:
    """An account link the gateway opened: the payer approves it at `activation_url`."""

    account_id: str
    activation_url: str
    account_masked: str = ""  # a card: the masked number the gateway returns (never more)


@dataclass(frozen=True)
class LinkStatus:
    """What the gateway says about a linked account: `pending`, `enabled`, `expired` or `disabled`."""

    state: str
    payment_token: str = ""
    account_masked: str = ""
    raw: dict | None = None


@dataclass(frozen=True)
class LinkedCharge:
    """A charge of a linked account (autopay): what charge_linked_many takes."""

    order_id: str
    gross_amount: int
    method: str
    account_id: str
    payment_token: str


def charge_each(gateway, charges: list[LinkedCharge]) -> list["GatewayStatus | GatewayError"]:
    """charge_linked_many of a gateway that charges one account per call (an HTTP request each)."""
    answers: list = []
    for charge in charges:
        try:
            answers.append(
                gateway.charge_linked(
                    order_id=charge.order_id, gross_amount=charge.gross_amount, method=charge.method,
                    account_id=charge.account_id, payment_token=charge.payment_token,
                )
            )
        except GatewayError as exc:
            answers.append(exc)
    return answers


class PaymentGateway(Protocol):
    name: str
    # The methods this gateway offers, each with the gateway's narrower bounds or None.
    methods: dict[str, Limits | None]
    # False: a callback lost to a timeout is never sent again, so reconciliation polls pending payments.
    repeats_timed_out_notifications: bool

    @classmethod
    def configured(cls) -> bool:
        """Whether its keys are set: only then are its notifications heard (and can it be asked)."""

    def create_charge(self, *, order_id: str, gross_amount: int, expires_at: datetime, method: Method) -> Charge: ...

    def get_status(self, *, order_id: str, reference: str = "") -> GatewayStatus | None:
        """None when the gateway does not know the order."""

    def cancel(self, *, order_id: str, reference: str = "") -> None: ...

    def expire(self, *, order_id: str, reference: str = "") -> None: ...

    def notification_read(self, *, payload, headers) -> NotificationInfo:
        """Check a notification's origin and shape: DomainError `signature_invalid` (401) or
        `notification_malformed` (400)."""

    # --- autopay: a linked account, charged without the payer present -----------------------------

    autopay_methods: frozenset  # of AutopayMethod values; empty: no autopay through this gateway
    # True: a card is linked from a card token the app got from the gateway (the card number never
    # reaches us); PUT /me/autopay needs `card_token`.
    card_link_needs_token: bool

    def link_start(self, *, method: str, phone: str, card_token: str = "") -> LinkStart:
        """Open a link; CardRefused when the gateway refuses the card itself."""

    def link_status(self, *, account_id: str, notified_token: str = "") -> LinkStatus:
        """The gateway's word on a link. `notified_token`: what its (signed) notification said the
        payment token is, for a gateway whose lookup does not repeat it (a saved card at Midtrans)."""

    def link_enabled(self, *, account_id: str) -> None:
        """The link is active here: close what linking left open at the gateway."""

    def link_remove(self, *, account_id: str) -> None: ...

    def charge_linked(
        self, *, order_id: str, gross_amount: int, method: str, account_id: str, payment_token: str
    ) -> GatewayStatus:
        """Charge the linked account now. The answer is the gateway's own word on this order (as a
        status lookup's); GatewayError when the outcome is unknown (a timeout): ask before retrying."""

    def charge_linked_many(self, charges: list[LinkedCharge]) -> list["GatewayStatus | GatewayError"]:
        """charge_linked for each, in order: its answer, or the GatewayError it raised."""


def signature_for(*, order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """Midtrans: SHA512(order_id + status_code + gross_amount + server_key), over the strings as sent."""
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def signature_valid(payload: dict, server_key: str) -> bool:
    fields = [payload.get(name) for name in ("order_id", "status_code", "gross_amount", "signature_key")]
    if not server_key or not all(isinstance(value, str) and value for value in fields):
        return False
    order_id, status_code, gross_amount, signature = fields
    expected = signature_for(order_id=order_id, status_code=status_code, gross_amount=gross_amount, server_key=server_key)
    return hmac.compare_digest(expected.encode(), signature.encode())


REQUIRED_NOTIFICATION_FIELDS = ("order_id", "status_code", "gross_amount", "transaction_status", "signature_key")


def midtrans_notification_read(payload, server_key: str) -> NotificationInfo:
    """A Midtrans HTTP notification (Midtrans, and the simulator that imitates it): signed with the
    server key. Unsigned: 401. Signed but incomplete: 400. Complete but the signature does not match: 401."""
    if not isinstance(payload, dict):
        raise DomainError("notification_malformed")
    if not isinstance(payload.get("signature_key"), str) or not payload["signature_key"]:
        raise DomainError("signature_invalid", status_code=401, attr="signature_key")
    if not all(isinstance(payload.get(name), str) and payload.get(name) for name in REQUIRED_NOTIFICATION_FIELDS):
        raise DomainError("notification_malformed")
    if not signature_valid(payload, server_key):
        raise DomainError("signature_invalid", status_code=401, attr="signature_key")
    return NotificationInfo(
        order_id=payload["order_id"],
        transaction_status=payload["transaction_status"][:32],
        transaction_id=str(payload.get("transaction_id", ""))[:100],
    )


def _registry() -> dict[str, type]:
    from contributions.gateways.midtrans import MidtransGateway
    from contributions.gateways.simulator import SimulatorGateway
    from contributions.gateways.xendit import XenditGateway

    return {"simulator": SimulatorGateway, "midtrans": MidtransGateway, "xendit": XenditGateway}


GATEWAY_NAMES = ("simulator", "midtrans", "xendit")


def get_gateway(name: str | None = None) -> PaymentGateway:
    return _registry()[name or settings.PAYMENT_GATEWAY]()


def gateway_configured(name: str) -> bool:
    """Whether `name` is a gateway whose keys are set (its notification endpoint answers)."""
    gateway = _registry().get(name)
    return gateway is not None and gateway.configured()


def gateways_polled() -> list[str]:
    """The gateways whose pending payments reconciliation asks about (they never repeat a callback
    that timed out)."""
    return [name for name, gateway in _registry().items() if not gateway.repeats_timed_out_notifications]


def methods_offered(gateway_name: str | None = None) -> list[Method]:
    """The methods the gateway offers, in the catalogue's order, with the gateway's bounds."""
    offered = _registry()[gateway_name or settings.PAYMENT_GATEWAY].methods
    return [method.within(offered[code]) for code, method in METHODS.items() if code in offered]


def method_offered(code, gateway_name: str | None = None) -> Method:
    """The method `code` as the gateway offers it; `payment_method_invalid` if it does not."""
    for method in methods_offered(gateway_name):
        if method.code == code:
            return method
    raise DomainError("payment_method_invalid", attr="payment_method")
