"""A gateway that lives in our database: every method, a ledger, and signed notifications like Midtrans'.

Used in development and tests (PAYMENT_GATEWAY=simulator, the default outside production). It opens
what Midtrans would for each method (a VA number, a Mandiri bill key and biller code, a QRIS string, an
e-wallet deeplink, a store's payment code), and `pay` settles any of them. For autopay it links a GoPay
account or a card at once (POST /payments/simulator/link) and charges it; a link made with
`fail_charges` declines every charge.
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction

from contributions.gateways import (
    Charge,
    GatewayError,
    LinkedCharge,
    GatewayStatus,
    LinkStart,
    LinkStatus,
    NotificationInfo,
    midtrans_notification_read,
    signature_for,
)
from contributions.gateways.methods import METHODS, ONE_OFF_CODES, Kind, Method
from contributions.models import SimulatorTransaction

# Midtrans' payment_type of each kind (gateways/midtrans.py); an e-wallet's is its own code.
PAYMENT_TYPES = {Kind.VA: "bank_transfer", Kind.BILL: "echannel", Kind.QRIS: "qris", Kind.RETAIL: "cstore"}
BILLER_CODE = "70012"  # Midtrans' Mandiri biller code in its examples


def _digits(count: int) -> str:
    return f"{secrets.randbelow(10**count):0{count}d}"


def _crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, the checksum that ends an EMVCo (QRIS) payload."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def qris_payload(*, order_id: str, amount: int) -> str:
    """A dynamic QRIS string in the EMVCo merchant-presented layout (tag, length, value), with its CRC.
    Any QR reader shows it; no bank app pays it."""

    def tlv(tag: str, value: str) -> str:
        return f"{tag}{len(value):02d}{value}"

    merchant = tlv("00", "ID.SERTAKAN.SIMULATOR") + tlv("01", order_id[:25])
    body = (
        tlv("00", "01") + tlv("01", "12") + tlv("26", merchant) + tlv("52", "6300") + tlv("53", "360")
        + tlv("54", str(amount)) + tlv("58", "ID") + tlv("59", "BPJSTK BPU SIMULATOR") + tlv("60", "JAKARTA")
        + "6304"
    )
    return body + f"{_crc16(body.encode()):04X}"


class SimulatorGateway:
    name = "simulator"
    methods = {code: None for code in ONE_OFF_CODES}  # every method, at Midtrans' bounds
    # Its notifications are delivered in-process, never lost.
    repeats_timed_out_notifications = True

    @classmethod
    def configured(cls) -> bool:
        # Production empties the key (config/settings/production.py): no simulator there, ever.
        return bool(settings.PAYMENT_SIMULATOR_SERVER_KEY)

    def server_key(self) -> str:
        return settings.PAYMENT_SIMULATOR_SERVER_KEY

    def create_charge(self, *, order_id: str, gross_amount: int, expires_at: datetime, method: Method) -> Charge:
        code, details = "", {}
        if method.kind == Kind.VA:
            code = "8808" + _digits(12)
        elif method.kind == Kind.BILL:
            code, details = _digits(12), {"biller_code": BILLER_CODE}
        elif method.kind == Kind.QRIS:
            details = {"qr_string": qris_payload(order_id=order_id, amount=gross_amount)}
        elif method.kind == Kind.EWALLET:
            # Not an app link a phone can open: the simulator is paid with POST /payments/simulator/pay.
            details = {"deeplink_url": f"simulator://{method.code}/pay?order_id={order_id}"}
        elif method.kind == Kind.RETAIL:
            code = _digits(16)
        row = SimulatorTransaction(
            order_id=order_id,
            transaction_id=secrets.token_hex(16),
            va_number=code,
            method=method.code,
            gross_amount=gross_amount,
        )
        # Written by the caller with the invoice, in the same statement (Charge.ledger).
        return Charge(va_number=code, reference=row.transaction_id, expires_at=expires_at, details=details, ledger=(row,))

    def get_status(self, *, order_id: str, reference: str = "") -> GatewayStatus | None:
        row = SimulatorTransaction.objects.filter(order_id=order_id).first()
        return None if row is None else self._status(row)

    @staticmethod
    def _status(row: SimulatorTransaction) -> GatewayStatus:
        return GatewayStatus(
            order_id=row.order_id,
            transaction_status=row.transaction_status,
            gross_amount=f"{row.gross_amount}.00",
            transaction_id=row.transaction_id,
            raw={"source": "simulator-ledger"},
            # The ledger row changes last when the payer pays (pay() below).
            settled_at=row.updated_at if row.transaction_status == "settlement" else None,
        )

    def cancel(self, *, order_id: str, reference: str = "") -> None:
        SimulatorTransaction.objects.filter(order_id=order_id, transaction_status="pending").update(
            transaction_status="cancel"
        )

    def expire(self, *, order_id: str, reference: str = "") -> None:
        SimulatorTransaction.objects.filter(order_id=order_id, transaction_status="pending").update(
            transaction_status="expire"
        )

    def notification_read(self, *, payload, headers) -> NotificationInfo:
        return midtrans_notification_read(payload, self.server_key())

    # --- autopay ---------------------------------------------------------------------------------

    autopay_methods = frozenset({"gopay", "card"})
    card_link_needs_token = False  # a simulated card: nothing to enter

    def link_start(self, *, method: str, phone: str, card_token: str = "") -> LinkStart:
        base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
        return LinkStart(account_id=f"sim-{secrets.token_hex(12)}", activation_url=f"{base}/api/v1/payments/simulator/link")

    def link_status(self, *, account_id: str, notified_token: str = "") -> LinkStatus:
        # Only POST /payments/simulator/link enables a link (contributions.autopay.autopay_simulator_link).
        return LinkStatus(state="pending")

    def link_enabled(self, *, account_id: str) -> None:
        pass

    def link_remove(self, *, account_id: str) -> None:
        pass

    def charge_linked(
        self, *, order_id: str, gross_amount: int, method: str, account_id: str, payment_token: str
    ) -> GatewayStatus:
        [answer] = self.charge_linked_many([LinkedCharge(order_id, gross_amount, method, account_id, payment_token)])
        if isinstance(answer, GatewayError):
            raise answer
        return answer

    def charge_linked_many(self, charges: list[LinkedCharge]) -> list:
        """The ledger rows of the charges, in one INSERT: declined for an account linked with
        `fail_charges`; an order id the ledger has already is refused as Midtrans refuses it (406)."""
        from contributions.models import AutopayMandate

        orders = [charge.order_id for charge in charges]
        declining = set(
            AutopayMandate.objects.filter(account_id__in={c.account_id for c in charges}, fail_charges=True).values_list(
                "account_id", flat=True
            )
        )
        taken = set(SimulatorTransaction.objects.filter(order_id__in=orders).values_list("order_id", flat=True))
        rows = {
            charge.order_id: SimulatorTransaction(
                order_id=charge.order_id,
                transaction_id=secrets.token_hex(16),
                method=charge.method,
                gross_amount=charge.gross_amount,
                transaction_status="deny" if charge.account_id in declining else "settlement",
            )
            for charge in charges
            if charge.order_id not in taken
        }
        SimulatorTransaction.objects.bulk_create(rows.values())
        return [
            self._status(rows[charge.order_id]) if charge.order_id in rows else GatewayError("duplicate order id")
            for charge in charges
        ]

    # --- the simulator's own side: what the payer's bank and the gateway do ----------------------

    def pay(self, *, order_id: str, gross_amount: int | None = None) -> dict:
        """Record a payment in the ledger and return the signed `settlement` notification it sends."""
        with transaction.atomic():
            row = SimulatorTransaction.objects.select_for_update(no_key=True).get(order_id=order_id)
            if row.transaction_status == "pending":
                row.transaction_status = "settlement"
                if gross_amount is not None:
                    row.gross_amount = gross_amount
                row.save(update_fields=["transaction_status", "gross_amount", "updated_at"])
        return self.notification_for(row)

    def notification_for(self, row: SimulatorTransaction, *, transaction_status: str | None = None) -> dict:
        status = transaction_status or row.transaction_status
        status_code = "200" if status in ("settlement", "capture") else "201" if status == "pending" else "202"
        gross_amount = f"{row.gross_amount}.00"
        method = METHODS.get(row.method) or METHODS["va_bca"]
        payload = {
            "transaction_time": row.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
            "transaction_status": status,
            "transaction_id": row.transaction_id,
            "status_message": "simulator notification",
            "status_code": status_code,
            "signature_key": signature_for(
                order_id=row.order_id, status_code=status_code, gross_amount=gross_amount, server_key=self.server_key()
            ),
            "payment_type": PAYMENT_TYPES.get(method.kind, method.code),
            "order_id": row.order_id,
            "merchant_id": "SIMULATOR",
            "gross_amount": gross_amount,
            "fraud_status": "accept",
            "currency": "IDR",
        }
        # The method's own fields, as Midtrans' notification of that payment type carries them.
        if method.kind == Kind.VA:
            payload["va_numbers"] = [{"bank": method.bank, "va_number": row.va_number}]
        elif method.kind == Kind.BILL:
            payload.update(biller_code=BILLER_CODE, bill_key=row.va_number)
        elif method.kind == Kind.RETAIL:
            payload.update(payment_code=row.va_number, store=method.store)
        return payload
