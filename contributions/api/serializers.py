from django.conf import settings
from rest_framework import serializers

from contributions import selectors
from contributions.choices import AutopayMethod, AutopayStatus, Gateway, InvoiceStatus
from contributions.gateways.methods import CHOICES, KIND_CHOICES, METHODS, ONE_OFF_CODES, Kind

from core.api.fields import (
    OccupationField,
    DomainCodeMixin,
    CodedIntegerField,
    CodedListField,
    StrictCharField,
    StrictIntegerField,
    datetime_representation,
)
from core.api.months import MonthField
from registration.choices import Programme


class CodedChoiceField(DomainCodeMixin, serializers.ChoiceField):
    """A choice whose every shape error is one domain code (the choices are the OpenAPI enum)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):  # not 1 for "1"
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


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
    occupation = OccupationField()
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
    # A malformed list is `items_invalid` on `items`; an item's error names the item and its field
    # (`items.1.months`), so the app can show it beside that worker.
    items = CodedListField(
        domain_code="items_invalid",
        item_errors=True,
        child=InvoiceItemInputSerializer(),
        min_length=1,
        max_length=50,
    )
    payment_method = CodedChoiceField(
        domain_code="payment_method_invalid",
        choices=ONE_OFF_CODES,  # the codes alone: cheaper to copy than (code, code) pairs, per request
        required=False,
        help_text="One of GET /payment-methods' codes (the configured gateway's); default DEFAULT_PAYMENT_METHOD (va_bca).",
    )


class InvoiceItemSerializer(serializers.Serializer):
    worker = serializers.IntegerField()
    months = MonthPriceSerializer(many=True)


class PaymentInfoSerializer(serializers.Serializer):
    """Where and how to pay: the method, and the fields of its kind (API.md "Payment methods")."""

    gateway = serializers.ChoiceField(choices=Gateway.choices)
    method = serializers.ChoiceField(choices=CHOICES)
    expires_at = serializers.DateTimeField()
    va_number = serializers.CharField(required=False, help_text="va")
    bank = serializers.CharField(required=False, help_text="va: bca, bni, bri, permata, cimb")
    bill_key = serializers.CharField(required=False, help_text="bill")
    biller_code = serializers.CharField(required=False, help_text="bill")
    qr_string = serializers.CharField(required=False, help_text="qris; ewallet where the gateway gives one")
    qr_url = serializers.CharField(required=False, help_text="qris: GET /invoices/{id}/qr.png")
    deeplink_url = serializers.CharField(required=False, help_text="ewallet")
    payment_code = serializers.CharField(required=False, help_text="retail")
    store = serializers.CharField(required=False, help_text="retail: indomaret, alfamart")
    autopay = serializers.BooleanField(required=False, help_text="Charged to the payer's linked account (autopay)")
    account_masked = serializers.CharField(required=False, help_text="autopay: the linked account")


def payment_representation(invoice) -> dict:
    """The `payment` block: the method and what its kind needs (the code the payer quotes is kept in
    Invoice.va_number, the rest in Invoice.payment_details)."""
    method = METHODS[invoice.payment_method]
    details = invoice.payment_details or {}
    block = {"gateway": invoice.gateway, "method": method.code, "expires_at": datetime_representation(invoice.expires_at)}
    if details.get("autopay"):  # charged to a linked account: nothing for the payer to do
        block.update(autopay=True, account_masked=details.get("account_masked", ""))
    elif method.kind == Kind.VA:
        block.update(va_number=invoice.va_number, bank=method.bank)
    elif method.kind == Kind.BILL:
        block.update(bill_key=invoice.va_number, biller_code=details.get("biller_code", ""))
    elif method.kind == Kind.QRIS:
        block.update(qr_string=details.get("qr_string", ""), qr_url=qr_url(invoice))
    elif method.kind == Kind.EWALLET:
        block["deeplink_url"] = details.get("deeplink_url", "")
        if details.get("qr_string"):
            block["qr_string"] = details["qr_string"]
    elif method.kind == Kind.RETAIL:
        block.update(payment_code=invoice.va_number, store=method.store)
    return block


def qr_url(invoice) -> str:
    """GET /invoices/{id}/qr.png, absolute when PUBLIC_BASE_URL is set."""
    base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}/api/v1/invoices/{invoice.pk}/qr.png"


class PaymentMethodSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=CHOICES)
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    min_amount = serializers.IntegerField()
    max_amount = serializers.IntegerField()
    expires_in_minutes = serializers.IntegerField()
    instructions = serializers.ListField(child=serializers.CharField(), help_text="Short steps, in the request's language.")


class ReceiptSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="RCP-YYYYMM-NNNNNN")
    paid_at = serializers.DateTimeField()
    amount = serializers.IntegerField()
    method = serializers.ChoiceField(choices=CHOICES, help_text="The invoice's `payment.method`.")


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
        "payment": payment_representation(invoice),
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


class MidtransNotificationSerializer(serializers.Serializer):
    """A Midtrans HTTP notification, also the simulator's (the fields we read; others are stored as sent)."""

    order_id = serializers.CharField()
    status_code = serializers.CharField()
    gross_amount = serializers.CharField()
    transaction_status = serializers.CharField()
    signature_key = serializers.CharField()
    transaction_id = serializers.CharField(required=False)
    fraud_status = serializers.CharField(required=False)


class XenditPaymentDataSerializer(serializers.Serializer):
    reference_id = serializers.CharField(help_text="The invoice number.")
    status = serializers.CharField(help_text="SUCCEEDED, FAILED, EXPIRED, …")
    payment_id = serializers.CharField(required=False)
    payment_request_id = serializers.CharField(required=False)
    request_amount = serializers.IntegerField(required=False)
    channel_code = serializers.CharField(required=False)


class XenditCallbackSerializer(serializers.Serializer):
    """A Xendit payment callback (Payments API v3), with its `x-callback-token` header."""

    event = serializers.CharField(help_text="payment.capture, payment.failure, …")
    business_id = serializers.CharField(required=False)
    created = serializers.CharField(required=False)
    api_version = serializers.CharField(required=False)
    data = XenditPaymentDataSerializer()


# --- Autopay ------------------------------------------------------------------------------------------


class AutopaySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AutopayStatus.choices)
    method = serializers.ChoiceField(choices=AutopayMethod.choices, allow_null=True)
    account_masked = serializers.CharField(allow_null=True)
    activation_url = serializers.CharField(
        allow_null=True, help_text="While `linking`: where the payer approves the link (the gateway's page or deeplink)."
    )
    charge_day = serializers.IntegerField(help_text="The day of the month the linked account is charged.")
    workers = serializers.ListField(child=serializers.IntegerField(), help_text="The workers autopay pays (ids).")


class AutopayLinkSerializer(serializers.Serializer):
    method = CodedChoiceField(
        domain_code="payment_method_invalid",
        choices=AutopayMethod.choices,
        help_text="gopay (GoPay tokenization) or card (a saved card)",
    )
    card_token = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="card at Midtrans: the `token_id` Midtrans' SDK made from the card in the app (Get Card Token); "
        "the card number never reaches this API. The response's activation_url is the card's 3DS page.",
    )


class SimulatorLinkSerializer(serializers.Serializer):
    fail_charges = serializers.BooleanField(required=False, default=False, help_text="Make every charge fail.")
