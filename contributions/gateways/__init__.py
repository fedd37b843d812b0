"""Payment gateways behind one small interface, chosen by PAYMENT_GATEWAY.

A gateway creates a VA charge for an invoice, verifies the signature of its notifications, and
answers a status lookup: the only thing we credit on (a notification is a hint, the lookup is the
truth, because the signature does not cover `transaction_status` and carries no timestamp).
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings


class GatewayError(Exception):
    """The gateway could not be reached or answered nonsense: retry later, change nothing."""


@dataclass(frozen=True)
class Charge:
    va_number: str
    reference: str
    expires_at: datetime
    # A gateway that keeps its ledger in our database (the simulator) hands its new rows to the
    # caller, which writes them in the invoice's own INSERT: the charge exists exactly when the
    # invoice does, in one round trip. A remote gateway has none.
    ledger: tuple = ()


@dataclass(frozen=True)
class GatewayStatus:
    """What the gateway says about an order: Midtrans' status fields, as strings."""

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


class PaymentGateway(Protocol):
    name: str

    def server_key(self) -> str: ...

    def create_charge(self, *, order_id: str, gross_amount: int, expires_at: datetime) -> Charge: ...

    def get_status(self, *, order_id: str) -> GatewayStatus | None:
        """None when the gateway does not know the order."""

    def cancel(self, *, order_id: str) -> None: ...


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


def get_gateway(name: str | None = None) -> PaymentGateway:
    from contributions.gateways.midtrans import MidtransGateway
    from contributions.gateways.simulator import SimulatorGateway

    gateways = {"simulator": SimulatorGateway, "midtrans": MidtransGateway}
    return gateways[name or settings.PAYMENT_GATEWAY]()
