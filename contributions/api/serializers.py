from rest_framework import serializers

from contributions import selectors
from contributions.choices import InvoiceStatus

from core.api.fields import (
    CodedCharField,
    CodedIntegerField,
    CodedListField,
    StrictCharField,
    StrictIntegerField,
    datetime_representation,
)
from core.api.months import MonthField
from registration.choices import Programme


class IncomeLevelSerializer(serializers.Serializer):
    income = serializers.IntegerField()
    jkk = serializers.IntegerField()
    jkm = serializers.IntegerField()
    jht = serializers.IntegerField()


class QuoteInputSerializer(serializers.Serializer):
    income_level = CodedIntegerField(domain_code="income_level_invalid", min_value=1)
    programmes = CodedListField(
        domain_code="programmes_invalid",
        child=serializers.ChoiceField(choices=Programme.choices),
        min_length=2,
        max_length=3,
    )
    occupation = CodedCharField(domain_code="occupation_invalid", max_length=40)
    start_month = MonthField(required=False, allow_null=True, default=None)
    months = CodedIntegerField(domain_code="months_not_allowed")


class MonthPriceSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    jkk = serializers.IntegerField()
    jkm = serializers.IntegerField()
    jht = serializers.IntegerField()
    total = serializers.IntegerField()
    adjustment = serializers.CharField(allow_null=True, help_text="The regulation that changed this month's rates.")


class QuoteSerializer(serializers.Serializer):
    months = MonthPriceSerializer(many=True)
    total = serializers.IntegerField()


class InvoiceItemInputSerializer(serializers.Serializer):
    worker = StrictIntegerField(min_value=1)
    months = CodedIntegerField(domain_code="months_not_allowed", help_text="1, 3, 6 or 12")


class InvoiceCreateSerializer(serializers.Serializer):
    # Any malformed item is reported on `items` (one code), not on items.0.worker: the mobile app
    # shows one message, and the OpenAPI schema cannot name list positions.
    items = CodedListField(
        domain_code="items_invalid",
        passthrough_codes={"months_not_allowed"},
        child=InvoiceItemInputSerializer(),
        min_length=1,
        max_length=50,
    )


class InvoiceItemSerializer(serializers.Serializer):
    worker = serializers.IntegerField()
    months = MonthPriceSerializer(many=True)


class PaymentInfoSerializer(serializers.Serializer):
    gateway = serializers.CharField()
    va_number = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ReceiptSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="RCP-YYYYMM-NNNNNN")
    paid_at = serializers.DateTimeField()
    amount = serializers.IntegerField()
    method = serializers.CharField(help_text="The invoice's payment method, e.g. va_bca.")


class InvoiceSerializer(serializers.Serializer):
    """An invoice: the months billed for each worker, and where to pay."""

    # Expects `lines` prefetched (ordered by id). The fields below are the schema;
    # `invoice_representation` renders them (a plain function costs a fraction of DRF's field walk).
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    total = serializers.IntegerField()
    items = InvoiceItemSerializer(many=True, read_only=True)
    payment = PaymentInfoSerializer(read_only=True)
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    receipt = ReceiptSerializer(allow_null=True, read_only=True, help_text="Null unless the invoice is paid.")

    def to_representation(self, instance) -> dict:
        return invoice_representation(instance)


def invoice_representation(invoice) -> dict:
    """The invoice of API.md, as InvoiceSerializer declares it: its lines grouped by worker."""
    items: dict[int, list[dict]] = {}
    for line in invoice.lines.all():
        items.setdefault(line.enrollment_id, []).append(
            {
                "month": line.month.strftime("%Y-%m"),
                "jkk": line.jkk,
                "jkm": line.jkm,
                "jht": line.jht,
                "total": line.total,
                "adjustment": line.adjustment or None,
            }
        )
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "status": invoice.status,
        "total": invoice.total,
        "items": [{"worker": worker, "months": months} for worker, months in items.items()],
        "payment": {
            "gateway": invoice.gateway,
            "va_number": invoice.va_number,
            "expires_at": datetime_representation(invoice.expires_at),
        },
        "created_at": datetime_representation(invoice.created_at),
        "paid_at": datetime_representation(invoice.paid_at),
        "receipt": receipt_representation(invoice),
    }


def receipt_representation(invoice) -> dict | None:
    """The receipt of a paid invoice (API.md "Receipts"), as contributions.selectors.receipt_for reads it."""
    receipt = selectors.receipt_for(invoice=invoice)
    if receipt is None:
        return None
    return {
        "number": receipt.number,
        "paid_at": datetime_representation(receipt.paid_at),
        "amount": receipt.amount,
        "method": receipt.method,
    }


class SimulatorPaySerializer(serializers.Serializer):
    number = StrictCharField(max_length=32)
    amount = StrictIntegerField(
        min_value=1, required=False, help_text="Pay another amount than the total (to test a mismatch)."
    )


class StatusOkSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[("ok", "ok")])


class GatewayNotificationSerializer(serializers.Serializer):
    """A Midtrans HTTP notification (the fields we read; others are stored as sent)."""

    order_id = serializers.CharField()
    status_code = serializers.CharField()
    gross_amount = serializers.CharField()
    transaction_status = serializers.CharField()
    signature_key = serializers.CharField()
    transaction_id = serializers.CharField(required=False)
    fraud_status = serializers.CharField(required=False)
