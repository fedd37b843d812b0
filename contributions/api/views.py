"""Thin views for quotes, invoices, gateway notifications and the payment simulator."""

import io

import segno
from django.conf import settings
from django.http import Http404
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions import autopay, selectors, services, tasks
from contributions.api.serializers import (
    AutopayLinkSerializer,
    AutopaySerializer,
    SimulatorLinkSerializer,
    MidtransNotificationSerializer,
    IncomeLevelSerializer,
    InvoiceCreateSerializer,
    InvoiceSerializer,
    PaymentMethodSerializer,
    QuoteInputSerializer,
    QuoteSerializer,
    SimulatorPaySerializer,
    StatusOkSerializer,
    XenditCallbackSerializer,
)
from contributions.choices import InvoiceStatus
from contributions.gateways import GATEWAY_NAMES, LINK_ORDER_PREFIX, gateway_configured, get_gateway, methods_offered
from contributions.gateways.methods import Kind, method_get
from contributions.idempotency import idempotent
from contributions.models import Invoice
from contributions.receipts import receipt_pdf
from core.api.documents import DocumentView, document_response
from core.api.schema import binary_response, client_error, domain_validation_errors, server_error_response
from core.api.throttling import ScopedRateThrottle
from core.exceptions import Conflict
from core.messages import message


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class IncomeLevelListView(PublicView):
    @extend_schema(tags=["reference"], responses={200: IncomeLevelSerializer(many=True)}, auth=[])
    def get(self, request):
        return Response(IncomeLevelSerializer(selectors.income_levels_with_normal_rates(), many=True).data)


@domain_validation_errors(
    {
        "months": ["months_not_allowed"],
        "start_month": ["month_invalid"],
        "occupation": ["occupation_invalid"],
        "income_level": ["income_level_invalid"],
        "programmes": ["programmes_invalid"],
        None: ["rate_unavailable"],
    }
)
class QuoteView(PublicView):
    @extend_schema(tags=["contributions"], request=QuoteInputSerializer, responses={200: QuoteSerializer}, auth=[])
    def post(self, request):
        data = QuoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prices = services.quote_months(**data.validated_data)
        return Response({"months": [p.as_dict() for p in prices], "total": sum(p.total for p in prices)})


class PaymentMethodListView(PublicView):
    """The methods the configured gateway offers, with its bounds, in the request's language."""

    @extend_schema(tags=["payments"], responses={200: PaymentMethodSerializer(many=True)}, auth=[])
    def get(self, request):
        language = (translation.get_language() or "id")[:2]
        rows = [
            {
                "code": method.code,
                "name": method.name,
                "kind": method.kind,
                "min_amount": method.min_amount,
                "max_amount": method.max_amount,
                "expires_in_minutes": method.expires_in_minutes,
                "instructions": method.steps(language),
            }
            for method in methods_offered()
        ]
        return Response(PaymentMethodSerializer(rows, many=True).data)


# --- Invoices -------------------------------------------------------------------------------------

INVOICE_TAG = ["invoices"]


def invoice_data(invoice: Invoice) -> dict:
    """Render an invoice freshly read with its lines (the shape every invoice endpoint answers)."""
    fresh = selectors.invoice_list_for_sponsor(sponsor=invoice.sponsor).get(pk=invoice.pk)
    return InvoiceSerializer(fresh).data


@domain_validation_errors(
    {
        "items": ["items_invalid"],
        # An item's errors name it: `items.1.months` (core.api.schema.item_attrs_as_patterns).
        "items.INDEX.worker": ["items_invalid"],
        "items.INDEX.months": ["months_not_allowed", "prepay_limit_exceeded"],
        "payment_method": ["payment_method_invalid", "amount_out_of_range"],
        None: ["idempotency_key_required"],
    },
    methods=["post"],
)
@domain_validation_errors({"status": ["invalid_choice"], "page_size": ["invalid"]}, methods=["get"])
class InvoiceListCreateView(ListAPIView):
    serializer_class = InvoiceSerializer

    def get_throttles(self):
        if self.request.method == "POST":
            self.throttle_scope = "invoice_create"
            return [*super().get_throttles(), ScopedRateThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        wanted = self.request.query_params.get("status")
        if wanted is not None and wanted not in InvoiceStatus.values:
            detail = message("status_filter_invalid", choices=", ".join(InvoiceStatus.values))
            raise ValidationError({"status": [ErrorDetail(detail, code="invalid_choice")]})
        return selectors.invoice_list_for_sponsor(sponsor=self.request.user, status=wanted)

    @extend_schema(
        tags=INVOICE_TAG,
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=InvoiceStatus.values, required=False)],
        responses={200: InvoiceSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=INVOICE_TAG,
        request=InvoiceCreateSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True)],
        responses={
            201: InvoiceSerializer,
            404: client_error("WorkerNotFound", ["not_found"], "A listed worker is not one of yours."),
            409: client_error("InvoiceConflict", ["worker_not_approved", "pending_invoice_exists"]),
            422: client_error("IdempotencyKeyReused", ["idempotency_key_reused"]),
            503: server_error_response("GatewayUnavailable", ["gateway_unavailable"]),
        },
    )
    def post(self, request):
        def run(key: str, request_hash: str) -> Invoice:
            data = InvoiceCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            return services.invoice_create(
                sponsor=request.user,
                items=data.validated_data["items"],
                idempotency_key=key,
                request_hash=request_hash,
                payment_method=data.validated_data.get("payment_method"),
            )

        return idempotent(user=request.user, key=request.headers.get("Idempotency-Key"), data=request.data, run=run)


class InvoiceScopedView(APIView):
    def get_invoice(self, pk: int) -> Invoice:
        invoice = selectors.invoice_get_for_sponsor(sponsor=self.request.user, invoice_id=pk)
        if invoice is None:
            raise Http404
        return invoice


class InvoiceDetailView(InvoiceScopedView):
    @extend_schema(tags=INVOICE_TAG, responses={200: InvoiceSerializer})
    def get(self, request, pk: int):
        return Response(InvoiceSerializer(self.get_invoice(pk)).data)


class InvoiceCancelView(InvoiceScopedView):
    @extend_schema(
        tags=INVOICE_TAG,
        request=None,
        responses={200: InvoiceSerializer, 409: client_error("InvoiceNotPending", ["invoice_not_pending"])},
    )
    def post(self, request, pk: int):
        invoice = services.invoice_cancel(invoice=self.get_invoice(pk))
        return Response(invoice_data(invoice))


class InvoiceReceiptPdfView(DocumentView, InvoiceScopedView):
    @extend_schema(
        tags=INVOICE_TAG,
        responses={
            **binary_response("application/pdf", "The receipt of the paid invoice."),
            409: client_error("InvoiceNotPaid", ["invoice_not_paid"]),
        },
    )
    def get(self, request, pk: int):
        document = selectors.receipt_document_for(invoice=self.get_invoice(pk))
        if document is None:
            raise Conflict("invoice_not_paid")
        pdf = receipt_pdf(document, language=translation.get_language())
        return document_response(pdf, media_type="application/pdf", filename=f"{document.receipt.number}.pdf")


class InvoiceQrView(DocumentView, InvoiceScopedView):
    """The QR code of a QRIS invoice (or of an e-wallet payment the gateway gave a QR string for), as a
    PNG to show on screen. Any other invoice has none: 404."""

    @extend_schema(
        tags=INVOICE_TAG,
        responses={
            **binary_response("image/png", "The QR code the payer scans."),
            404: client_error("QrNotFound", ["not_found"]),
        },
    )
    def get(self, request, pk: int):
        invoice = self.get_invoice(pk)
        method = method_get(invoice.payment_method)
        qr_string = (invoice.payment_details or {}).get("qr_string")
        if method is None or method.kind not in (Kind.QRIS, Kind.EWALLET) or not qr_string:
            raise Http404
        png = io.BytesIO()
        segno.make(qr_string, error="m").save(png, kind="png", scale=8, border=4)
        return document_response(png.getvalue(), media_type="image/png", filename=f"{invoice.number}.png")


# --- Gateways -------------------------------------------------------------------------------------


@domain_validation_errors({None: ["notification_malformed"]})
@extend_schema(parameters=[OpenApiParameter("gateway", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(GATEWAY_NAMES))])
class GatewayNotificationView(PublicView):
    """Gateway → us. Checks the signature (Xendit: the callback token), stores the raw payload, answers
    200 fast; the status lookup and the credit happen in a task on the urgent queue (in-process when
    there is no broker). Every gateway whose keys are configured is heard, whichever one opens new
    payments now (a payment opened before a switch still settles); any other answers 404."""

    @extend_schema(
        tags=["payments"],
        request=PolymorphicProxySerializer(
            component_name="PaymentNotification",
            serializers=[MidtransNotificationSerializer, XenditCallbackSerializer],
            resource_type_field_name=None,
        ),
        parameters=[
            OpenApiParameter(
                "x-callback-token", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                description="Xendit only: the account's callback token.",
            )
        ],
        responses={200: StatusOkSerializer, 401: client_error("SignatureInvalid", ["signature_invalid"])},
        auth=[],
    )
    def post(self, request, gateway: str):
        if not gateway_configured(gateway):
            raise Http404
        payload = request.data
        if isinstance(payload, dict) and "account_id" in payload and "order_id" not in payload:
            # Midtrans about a linked GoPay account (autopay): a hint too, the lookup decides.
            autopay.autopay_link_notified(gateway_name=gateway, account_id=payload["account_id"])
            return Response({"status": "ok"})
        if isinstance(payload, dict) and str(payload.get("order_id", "")).startswith(LINK_ORDER_PREFIX):
            # A card's verification charge (autopay): signed like a payment's; the lookup decides.
            autopay.autopay_link_notified(gateway_name=gateway, account_id=payload["order_id"], payload=payload)
            return Response({"status": "ok"})
        notification = services.notification_receive(gateway_name=gateway, payload=request.data, headers=request.headers)
        tasks.enqueue_notification(notification.pk)
        return Response({"status": "ok"})


class SimulatorPayView(APIView):
    """Development and tests: pay an invoice in the simulator, which then notifies us like Midtrans."""

    @extend_schema(
        tags=["payments"],
        request=SimulatorPaySerializer,
        responses={200: InvoiceSerializer, 409: client_error("SimulatorNotPending", ["invoice_not_pending"])},
    )
    def post(self, request):
        if settings.PAYMENT_GATEWAY != "simulator":
            raise Http404
        data = SimulatorPaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = selectors.invoice_get_by_number_for_sponsor(sponsor=request.user, number=data.validated_data["number"])
        if invoice is None:
            raise Http404
        if (invoice.payment_details or {}).get("autopay"):  # charged to the linked account, not paid by hand
            raise Conflict("invoice_not_pending", status=invoice.status)
        # Like a bank, the simulator refuses a VA past its expiry (and the invoice expires now).
        invoice = services.invoice_expire_if_stale(invoice=invoice)
        simulator = get_gateway("simulator")
        payload = simulator.pay(order_id=invoice.number, gross_amount=data.validated_data.get("amount"))
        if payload["transaction_status"] not in ("settlement", "capture"):
            raise Conflict("invoice_not_pending", status=invoice.status)
        notification = services.notification_receive(gateway_name="simulator", payload=payload)
        # The simulator is its own gateway: its ledger is local, so it settles before answering, and
        # the app sees the invoice paid in this response.
        services.notification_process(notification_id=notification.pk)
        return Response(invoice_data(invoice))


# --- Autopay ------------------------------------------------------------------------------------------

AUTOPAY_TAG = ["autopay"]


@domain_validation_errors(
    {"method": ["payment_method_invalid"], "card_token": ["card_token_required", "card_refused"]}, methods=["put"]
)
class MeAutopayView(APIView):
    """The caller's automatic monthly payment (API.md "Automatic monthly payment (autopay)")."""

    @extend_schema(tags=AUTOPAY_TAG, responses={200: AutopaySerializer})
    def get(self, request):
        return Response(AutopaySerializer(autopay.autopay_get(payer=request.user)).data)

    @extend_schema(
        tags=AUTOPAY_TAG,
        request=AutopayLinkSerializer,
        responses={200: AutopaySerializer, 503: server_error_response("GatewayUnavailable", ["gateway_unavailable"])},
    )
    def put(self, request):
        data = AutopayLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        autopay.autopay_link(
            payer=request.user, method=data.validated_data["method"], card_token=data.validated_data.get("card_token", "")
        )
        return Response(AutopaySerializer(autopay.autopay_get(payer=request.user)).data)

    @extend_schema(tags=AUTOPAY_TAG, request=None, responses={204: None})
    def delete(self, request):
        autopay.autopay_unlink(payer=request.user)
        return Response(status=204)


class SimulatorLinkView(APIView):
    """Development and tests: the simulator's payer approves the autopay link at once."""

    @extend_schema(
        tags=["payments"],
        request=SimulatorLinkSerializer,
        responses={200: AutopaySerializer, 409: client_error("AutopayNotLinking", ["autopay_not_linking"])},
    )
    def post(self, request):
        if settings.PAYMENT_GATEWAY != "simulator":
            raise Http404
        data = SimulatorLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        autopay.autopay_simulator_link(payer=request.user, fail_charges=data.validated_data["fail_charges"])
        return Response(AutopaySerializer(autopay.autopay_get(payer=request.user)).data)
