"""The OpenAPI texts of quotes, invoices, payments and autopay (API.md "Invoices and payment", "Payment
methods", "Automatic monthly payment"): summary, description, examples, and the `Idempotency-Key` header.

Applied to the views with drf-spectacular's `extend_schema_view` when the app's URLs load (urls.py),
on top of the views' own annotations (their serializers and error codes). The error examples are
generated from those codes (core.api.openapi.error_examples), except the few written here whose text or
`attr` differs from the catalogue's default.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from contributions.api import views
from contributions.choices import MAX_PREPAY_MONTHS_AHEAD, InvoiceStatus
from contributions.gateways.methods import METHODS
from core.api.openapi import answer_example, error_example, request_example, sample_params
from core.messages import message
from notifications import services as notifications

REFERENCE = ["reference"]
QUOTES = ["quotes"]
PAYMENT_METHODS = ["payment-methods"]
INVOICES = ["invoices"]
PAYMENTS = ["payments"]
DOCUMENTS = ["card-and-receipts"]
AUTOPAY = ["autopay"]

sample_params(
    prepay_limit_exceeded=lambda: {"limit": MAX_PREPAY_MONTHS_AHEAD},
    amount_out_of_range=lambda: {
        "method": METHODS["gopay"].name, "min_amount": notifications.rupiah(METHODS["gopay"].min_amount),
        "max_amount": notifications.rupiah(METHODS["gopay"].max_amount),
    },
)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="Required. Any string of 1 to 255 characters that is new for the caller, e.g. a UUID the "
    "app makes once per \"Pay\" tap and sends again on every retry of that tap. The same key with the same "
    "body replays the first answer (the same 201 and the same body, the invoice as it was made; no second "
    "invoice, no second VA), even after a timeout or a lost answer. The same key with another body answers "
    "422 `idempotency_key_reused`; a missing or blank key answers 400 `idempotency_key_required`. Keys "
    "are per account.",
)

MONTHS = [
    {"month": "2026-12", "jkk": 5000, "jkm": 3400, "jht": 20000, "total": 28400, "adjustment": "PP 50/2025"},
    {"month": "2027-01", "jkk": 10000, "jkm": 6800, "jht": 20000, "total": 36800, "adjustment": None},
    {"month": "2027-02", "jkk": 10000, "jkm": 6800, "jht": 20000, "total": 36800, "adjustment": None},
]
INVOICE = {
    "id": 7,
    "number": "INV-202612-000007",
    "status": "pending",
    "total": 102000,
    "items": [{"worker": 12, "months": MONTHS}],
    "payment": {"gateway": "simulator", "method": "va_bca", "expires_at": "2026-12-06T10:30:00+07:00",
                "va_number": "70012000000000007", "bank": "bca"},
    "created_at": "2026-12-05T10:30:00+07:00",
    "paid_at": None,
    "receipt": None,
}
PAID = {
    **INVOICE,
    "status": "paid",
    "paid_at": "2026-12-05T10:31:02+07:00",
    "receipt": {"number": "RCP-202612-000042", "paid_at": "2026-12-05T10:31:02+07:00", "amount": 102000,
                "method": "va_bca"},
}
QRIS_INVOICE = {
    **INVOICE,
    "payment": {"gateway": "simulator", "method": "qris", "expires_at": "2026-12-05T10:45:00+07:00",
                "qr_string": "00020101021226620014ID.CO.QRIS.WWW0118936005230000000007",
                "qr_url": "https://api.example.id/api/v1/invoices/7/qr.png"},
}
AUTOPAY_OFF = {"status": "off", "method": None, "account_masked": None, "activation_url": None,
               "charge_day": settings.AUTOPAY_CHARGE_DAY, "workers": []}
AUTOPAY_LINKING = {**AUTOPAY_OFF, "status": "linking", "method": "gopay",
                   "activation_url": "https://simulator.example.id/autopay/link/5f2c", "workers": [12]}
AUTOPAY_ACTIVE = {**AUTOPAY_LINKING, "status": "active", "account_masked": "****7890", "activation_url": None}
OWN_ONLY = "Only the caller's own invoices: another account's invoice answers 404."
SIMULATOR_ONLY = "Development and tests only: with another `PAYMENT_GATEWAY` this path answers 404."

extend_schema_view(
    get=extend_schema(
        tags=REFERENCE,
        summary="List the income levels",
        description="Public. The declared monthly incomes a worker may be registered with (`income_level`), "
        "each with its monthly JKK, JKM and JHT contributions at the rates in force today (the normal rates, "
        "before any temporary adjustment), in whole rupiah. A plain array.",
        examples=[answer_example(200, {"income": 1000000, "jkk": 10000, "jkm": 6800, "jht": 20000}, "A level")],
    )
)(views.IncomeLevelListView)

extend_schema_view(
    post=extend_schema(
        tags=QUOTES,
        summary="Price some months",
        description="Public; stores nothing. Prices `months` (1, 3, 6 or 12: `months_not_allowed`) months from "
        "`start_month` (`YYYY-MM`, default the current month) for an income level, the programmes (JKK and "
        "JKM always, JHT optional: `programmes_invalid`) and an occupation (its sector prices JKK and JKM). "
        "Each month is priced by the rates in force that month; `adjustment` names the regulation that "
        "changed a month's rates (e.g. PP 50/2025), or is null. `rate_unavailable` when no rates are known "
        "for a month.",
        examples=[
            request_example(
                {"income_level": 1000000, "programmes": ["JKK", "JKM", "JHT"], "occupation": "household_assistant",
                 "start_month": "2026-12", "months": 3}
            ),
            answer_example(200, {"months": MONTHS, "total": 102000}, "Three months"),
        ],
    )
)(views.QuoteView)

extend_schema_view(
    get=extend_schema(
        tags=PAYMENT_METHODS,
        summary="List the payment methods",
        description="Public. The methods the configured gateway offers for an invoice (`payment_method` of "
        "POST /invoices), each with its amount bounds (whole rupiah), how long a payment stays open, and "
        "short steps for the payer in the request's language. `kind` says which fields the invoice's "
        "`payment` block carries: `va` (`va_number`, `bank`), `bill` (`bill_key`, `biller_code`), `qris` "
        "(`qr_string`, `qr_url`), `ewallet` (`deeplink_url`), `retail` (`payment_code`, `store`). A plain array.",
        examples=[
            # drf-spectacular shows a list's example as a list of it; the texts are the methods' own.
            answer_example(
                200,
                {"code": method.code, "name": method.name, "kind": method.kind, "min_amount": method.min_amount,
                 "max_amount": method.max_amount, "expires_in_minutes": method.expires_in_minutes,
                 "instructions": method.steps("id")},
                method.code,
            )
            for method in (METHODS["va_bca"], METHODS["qris"], METHODS["gopay"])
        ],
    )
)(views.PaymentMethodListView)

extend_schema_view(
    get=extend_schema(
        tags=INVOICES,
        summary="List the caller's invoices",
        description="The caller's invoices, newest first, paginated by cursor (`next`, `previous`). "
        "`?status=` filters by one status; another value answers 400 `invalid_choice` (attr `status`).",
        examples=[
            answer_example(200, PAID, "A page"),
            error_example(
                400, "invalid_choice", attr="status", name="status filter",
                detail=message("status_filter_invalid", "id", choices=", ".join(InvoiceStatus.values)),
            ),
        ],
    ),
    post=extend_schema(
        tags=INVOICES,
        summary="Bill months for workers",
        description="Makes one invoice for one or more of the caller's approved workers, `months` (1, 3, 6 or "
        "12) each, and opens its payment with the gateway (`payment_method`, default `DEFAULT_PAYMENT_METHOD`, "
        "`va_bca`; the `payment` block holds what the payer needs: a VA number, a QR string, a deeplink...). "
        "A worker's months start at the oldest unpaid month still payable (arrears first), else the month "
        "after `paid_through`, else the current month; at most 12 months beyond the current month "
        "(`prepay_limit_exceeded`). Each month is priced by its own rates and the worker's sector. Needs the "
        "`Idempotency-Key` header: a retry with the same key and body replays the first 201 and never bills "
        "twice. An item's error names it: `items.1.months`. 409 `worker_not_approved` (attr "
        "`items.N.worker`), 409 `pending_invoice_exists` (a pending invoice already bills a worker: pay or "
        "cancel it first), 400 `payment_method_invalid`, 400 `amount_out_of_range` (the total is outside the "
        "method's bounds), 503 `gateway_unavailable` (nothing stored: retry with the same key). When it is "
        "paid, the payer gets a `payment_received` inbox message. Throttled.",
        parameters=[IDEMPOTENCY_KEY],
        examples=[
            request_example({"items": [{"worker": 12, "months": 3}]}, "One worker, three months (VA BCA)"),
            request_example(
                {"items": [{"worker": 12, "months": 3}, {"worker": 13, "months": 1}], "payment_method": "qris"},
                "Two workers, by QRIS",
            ),
            answer_example(201, INVOICE, "Created (VA)"),
            answer_example(201, QRIS_INVOICE, "Created (QRIS)"),
        ],
    ),
)(views.InvoiceListCreateView)

extend_schema_view(
    get=extend_schema(
        tags=INVOICES,
        summary="Get an invoice",
        description="One of the caller's invoices: `pending` → `paid` | `expired` | `cancelled`, or "
        "`needs_review` when money arrived that does not match. A paid invoice carries its `receipt`. "
        + OWN_ONLY,
        examples=[answer_example(200, PAID, "Paid")],
    )
)(views.InvoiceDetailView)

extend_schema_view(
    post=extend_schema(
        tags=INVOICES,
        summary="Cancel a pending invoice",
        description="Cancels a pending invoice and closes its payment at the gateway, so its workers can be "
        "billed again. 409 `invoice_not_pending` in any other status. No body. " + OWN_ONLY,
        examples=[answer_example(200, {**INVOICE, "status": "cancelled"}, "Cancelled")],
    )
)(views.InvoiceCancelView)

extend_schema_view(
    get=extend_schema(
        tags=INVOICES,
        summary="The QR code of a QRIS invoice",
        description="The QR code the payer scans, as a PNG to show on screen: for a `qris` invoice, or an "
        "e-wallet one the gateway gave a QR string for. Any other invoice answers 404. " + OWN_ONLY,
    )
)(views.InvoiceQrView)

extend_schema_view(
    get=extend_schema(
        tags=DOCUMENTS,
        summary="The receipt of a paid invoice (PDF)",
        description="The receipt as a PDF, in the request's language: payer, each worker's name with "
        "`nik_masked` and KPJ, each month with its JKK/JKM/JHT split and adjustment, the total, the payment "
        "method and time, and the receipt number. Send `Accept: application/pdf` or `*/*`; errors answer in "
        "the JSON error shape. 409 `invoice_not_paid` before payment. " + OWN_ONLY,
    )
)(views.InvoiceReceiptPdfView)

extend_schema_view(
    post=extend_schema(
        tags=PAYMENTS,
        summary="Payment gateway notification (webhook)",
        description="Public: called by the payment gateway, not by the app. `gateway` is `simulator`, "
        "`midtrans` or `xendit`; one whose keys are not configured answers 404. Midtrans (and the simulator) "
        "sign the body: `signature_key = SHA512(order_id + status_code + gross_amount + server_key)`; Xendit "
        "sends its `x-callback-token` header. A bad or missing signature answers 401 `signature_invalid` and "
        "changes nothing; an unknown `order_id` 404; a malformed body 400 `notification_malformed`. A valid "
        "one answers 200 `{\"status\": \"ok\"}` at once, also when it repeats an event already processed "
        "(nothing changes twice). The payment is credited only after the gateway's own status lookup "
        "confirms it: `settlement` (or `capture` with `fraud_status: accept`) pays the invoice and covers "
        "every billed month once, then the payer gets a push or SMS and an inbox message; `expire`, `cancel`, "
        "`deny` close a pending invoice; an amount that differs from the total makes it `needs_review`.",
        examples=[
            request_example(
                {"order_id": "INV-202612-000007", "status_code": "200", "gross_amount": "102000.00",
                 "transaction_status": "settlement", "transaction_id": "9aed5972-5b6a-401e-894b-a32c91ed1a3a",
                 "fraud_status": "accept",
                 "signature_key": "fe5f725ea770c451017e9d6300af72b830a668d2f7d5da9b778ec2c4f9177efe5127d492d9ddfbcf6806"
                 "ea5cd7dc1a7337c674d6139026b28f49ad0ea1ce5107"},
                "Midtrans settlement",
            ),
            request_example(
                {"event": "payment.capture", "business_id": "5f27a14a9bf05c73dd040bc8",
                 "created": "2026-12-05T03:31:02.000Z", "api_version": "v3",
                 "data": {"reference_id": "INV-202612-000007", "status": "SUCCEEDED",
                          "payment_id": "py-1402feb0-bb79-47ae-9d1e-e69394d3949c", "request_amount": 102000,
                          "channel_code": "BCA_VIRTUAL_ACCOUNT"}},
                "Xendit capture",
            ),
            answer_example(200, {"status": "ok"}, "Received"),
        ],
    )
)(views.GatewayNotificationView)

extend_schema_view(
    post=extend_schema(
        tags=PAYMENTS,
        summary="Pay an invoice in the simulator",
        description=SIMULATOR_ONLY + " The caller pays their own pending invoice (by `number`, any method): "
        "the simulator records the payment in its ledger and delivers a signed `settlement` notification, "
        "exactly as the real gateway would, before answering, so the answer already shows the invoice paid. "
        "`amount` pays another sum than the total (the invoice becomes `needs_review`). 409 "
        "`invoice_not_pending` when it is not pending (or expired meanwhile, or charged by autopay).",
        examples=[request_example({"number": "INV-202612-000007"}), answer_example(200, PAID, "Paid")],
    )
)(views.SimulatorPayView)

extend_schema_view(
    get=extend_schema(
        tags=AUTOPAY,
        summary="The caller's automatic monthly payment",
        description="`status` `off`, `linking` (waiting for the payer to approve at `activation_url`), "
        "`active` or `failed`; the linked account masked; the day of the month it is charged "
        "(`AUTOPAY_CHARGE_DAY`, default the 10th); the workers it pays.",
        examples=[answer_example(200, AUTOPAY_ACTIVE, "Active"), answer_example(200, AUTOPAY_OFF, "Off")],
    ),
    put=extend_schema(
        tags=AUTOPAY,
        summary="Link a payment account for autopay",
        description="Starts linking a GoPay account or a card (`method`; `payment_method_invalid` otherwise): "
        "the answer is `linking` with `activation_url`, the gateway's page or deeplink where the payer "
        "approves; the gateway's notification then makes it `active`. Each month on the charge day one "
        "invoice per payer covers the next unpaid month of every approved worker with autopay on, charged to "
        "that account (at most once per payer and month); a failed charge is retried on the 12th and the "
        "14th, then the payer gets the normal reminders and an inbox message. 503 `gateway_unavailable`.",
        examples=[request_example({"method": "gopay"}), answer_example(200, AUTOPAY_LINKING, "Linking")],
    ),
    delete=extend_schema(
        tags=AUTOPAY,
        summary="Switch autopay off",
        description="Unlinks the account: nothing more is charged, at once. Planned and waiting charges are "
        "skipped and their invoices cancelled (bill those workers by hand); a charge already in flight is "
        "credited if it went through. Answers 204 also when autopay was off.",
    ),
)(views.MeAutopayView)

extend_schema_view(
    post=extend_schema(
        tags=AUTOPAY,
        summary="Approve the autopay link in the simulator",
        description=SIMULATOR_ONLY + " Makes the caller's `linking` autopay `active` at once, as the payer's "
        "approval at the gateway would (409 `autopay_not_linking` otherwise). `fail_charges: true` makes its "
        "charges fail, for trying the retries.",
        examples=[request_example({}, "Approve"), request_example({"fail_charges": True}, "Approve, charges fail"),
                  answer_example(200, AUTOPAY_ACTIVE, "Active")],
    )
)(views.SimulatorLinkView)
