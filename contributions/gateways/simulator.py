"""A gateway that lives in our database: VA numbers, a ledger, and signed notifications like Midtrans'.

Used in development and tests (PAYMENT_GATEWAY=simulator, the default outside production).
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction

from contributions.gateways import Charge, GatewayStatus, signature_for
from contributions.models import SimulatorTransaction


class SimulatorGateway:
    name = "simulator"

    def server_key(self) -> str:
        return settings.PAYMENT_SIMULATOR_SERVER_KEY

    def create_charge(self, *, order_id: str, gross_amount: int, expires_at: datetime) -> Charge:
        row = SimulatorTransaction(
            order_id=order_id,
            transaction_id=secrets.token_hex(16),
            va_number="8808" + f"{secrets.randbelow(10**12):012d}",
            gross_amount=gross_amount,
        )
        # Written by the caller with the invoice, in the same statement (Charge.ledger).
        return Charge(va_number=row.va_number, reference=row.transaction_id, expires_at=expires_at, ledger=(row,))

    def get_status(self, *, order_id: str) -> GatewayStatus | None:
        row = SimulatorTransaction.objects.filter(order_id=order_id).first()
        if row is None:
            return None
        return GatewayStatus(
            order_id=row.order_id,
            transaction_status=row.transaction_status,
            gross_amount=f"{row.gross_amount}.00",
            transaction_id=row.transaction_id,
            raw={"source": "simulator-ledger"},
            # The ledger row changes last when the payer pays (pay() below).
            settled_at=row.updated_at if row.transaction_status == "settlement" else None,
        )

    def cancel(self, *, order_id: str) -> None:
        SimulatorTransaction.objects.filter(order_id=order_id, transaction_status="pending").update(
            transaction_status="cancel"
        )

    def expire(self, *, order_id: str) -> None:
        SimulatorTransaction.objects.filter(order_id=order_id, transaction_status="pending").update(
            transaction_status="expire"
        )

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
        return {
            "transaction_time": row.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
            "transaction_status": status,
            "transaction_id": row.transaction_id,
            "status_message": "simulator notification",
            "status_code": status_code,
            "signature_key": signature_for(
                order_id=row.order_id, status_code=status_code, gross_amount=gross_amount, server_key=self.server_key()
            ),
            "payment_type": "bank_transfer",
            "order_id": row.order_id,
            "merchant_id": "SIMULATOR",
            "gross_amount": gross_amount,
            "fraud_status": "accept",
            "currency": "IDR",
            "va_numbers": [{"bank": "simulator", "va_number": row.va_number}],
        }
