"""Thin views: parse, call a service or selector, render. Every worker URL is scoped to the caller."""

from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.documents import DocumentView, document_response
from core.api.schema import binary_response, client_error, domain_validation_errors
from core.api.throttling import ScopedRateThrottle
from core.messages import message
from registration import card as card_documents
from registration import ports, selectors, services
from registration.api.serializers import (
    BenefitSerializer,
    CardSerializer,
    ConsentSerializer,
    OccupationSerializer,
    SponsorshipSerializer,
    VerificationSerializer,
    WorkerCreateSerializer,
    WorkerSerializer,
    WorkerUpdateSerializer,
)
from registration.api.verify_page import VerifyPageRenderer
from registration.choices import EnrollmentStatus

TAG = ["workers"]
WORKER_FIELD_CODES = {
    "phone": ["phone_invalid", "self_phone_mismatch"],
    "occupation": ["occupation_invalid"],
    "income_level": ["income_level_invalid"],
    "programmes": ["programmes_invalid"],
}
_ONE_STATUS = "|".join(EnrollmentStatus.values)
STATUS_LIST_PATTERN = f"^({_ONE_STATUS})(,({_ONE_STATUS}))*$"
INVALID_STATUS = client_error("InvalidStatus", ["invalid_status"], "The worker's status does not allow this.")
# The worker's phone already received CONSENT_SMS_PER_PHONE_DAILY consent codes in 24 h (attr "phone"), or
# a request rate limit. Either way `Retry-After` says when to try again.
CONSENT_SMS_LIMIT = client_error(
    "ConsentCodeLimit",
    ["throttled"],
    "Too many requests, or this phone number already received its daily number of consent codes (attr "
    "`phone`); nothing was sent. `Retry-After` gives the seconds to wait.",
)


def _choices(params, name: str, allowed, *, many: bool = False) -> list[str] | None:
    """The values of a filter parameter (comma-separated when `many`), each one of `allowed`."""
    raw = params.get(name)
    if raw is None:
        return None
    values = [value.strip() for value in raw.split(",")] if many else [raw]
    if not values or any(value not in allowed for value in values) or len(params.getlist(name)) > 1:
        text = "filter_choices_invalid" if many else "filter_choice_invalid"
        detail = message(text, name=name, choices=", ".join(allowed))
        raise ValidationError({name: [ErrorDetail(detail, code="invalid_choice")]})
    return values


def render_workers(enrollments, *, many: bool = False, status_code: int = 200) -> Response:
    rows = list(enrollments) if many else [enrollments]
    context = {"monthly_contributions": ports.monthly_contributions(rows)}
    data = WorkerSerializer(rows, many=True, context=context).data
    return Response(data if many else data[0], status=status_code)


class WorkerScopedView(APIView):
    def get_worker(self, pk: int):
        enrollment = selectors.enrollment_get_for_sponsor(sponsor=self.request.user, enrollment_id=pk)
        if enrollment is None:
            raise Http404
        return enrollment


@domain_validation_errors(
    {
        **WORKER_FIELD_CODES,
        "nik": ["nik_invalid"],
        "full_name": ["name_invalid"],
        "birth_date": ["nik_birth_date_mismatch", "age_not_eligible"],
    },
    methods=["post"],
)
@domain_validation_errors(
    {"page_size": ["invalid"], "status": ["invalid_choice"], "coverage_status": ["invalid_choice"]}, methods=["get"]
)
class WorkerListCreateView(ListAPIView):
    serializer_class = WorkerSerializer

    def get_queryset(self):
        params = self.request.query_params
        statuses = _choices(params, "status", EnrollmentStatus.values, many=True)
        coverage = _choices(params, "coverage_status", selectors.COVERAGE_STATUSES)
        return selectors.enrollment_page_for_sponsor(
            sponsor=self.request.user,
            statuses=statuses,
            coverage_status=coverage[0] if coverage else None,
            today=services.today_wib(),
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["monthly_contributions"] = getattr(self, "_monthly", {})
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._monthly = ports.monthly_contributions(page)
        return page

    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, required=False, allow_blank=False, pattern=STATUS_LIST_PATTERN,
                description=f"One or more of {', '.join(EnrollmentStatus.values)}, comma-separated.",
            ),
            OpenApiParameter(
                "coverage_status", OpenApiTypes.STR, enum=list(selectors.COVERAGE_STATUSES), required=False,
                allow_blank=False,
            ),
        ],
        responses={200: WorkerSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        request=WorkerCreateSerializer,
        responses={
            201: WorkerSerializer,
            409: client_error(
                "WorkerConflict", ["nik_already_registered", "sponsor_limit_reached", "self_already_registered"]
            ),
            429: client_error(
                "WorkerCreateLimit",
                ["registration_limit_reached", "throttled"],
                "`registration_limit_reached`: the caller registered SPONSOR_DAILY_REGISTRATIONS workers in the "
                "last 24 h (ended and expired ones count); `throttled`: too many requests, or the worker's phone "
                "already received its daily number of consent codes (attr `phone`). Nothing was registered or "
                "sent; `Retry-After` gives the seconds to wait. Not switched off with the request rate limits.",
            ),
        },
    )
    def post(self, request):
        data = WorkerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = services.enrollment_create(sponsor=request.user, **data.validated_data)
        return render_workers(enrollment, status_code=status.HTTP_201_CREATED)


@domain_validation_errors(WORKER_FIELD_CODES, methods=["patch"])
class WorkerDetailView(WorkerScopedView):
    @extend_schema(tags=TAG, responses={200: WorkerSerializer})
    def get(self, request, pk: int):
        return render_workers(self.get_worker(pk))

    @extend_schema(
        tags=TAG,
        request=WorkerUpdateSerializer,
        responses={200: WorkerSerializer, 409: INVALID_STATUS, 429: CONSENT_SMS_LIMIT},
    )
    def patch(self, request, pk: int):
        enrollment = self.get_worker(pk)
        data = WorkerUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        autopay_on = data.validated_data.pop("autopay", None)
        enrollment = services.enrollment_update(enrollment=enrollment, **data.validated_data)
        if autopay_on is not None:  # issue 22
            ports.autopay_set(enrollment.pk, autopay_on)
        return render_workers(enrollment)


@domain_validation_errors({"code": ["otp_invalid", "otp_expired", "otp_locked"]})
class WorkerConsentView(WorkerScopedView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "otp_verify"

    @extend_schema(tags=TAG, request=ConsentSerializer, responses={200: WorkerSerializer, 409: INVALID_STATUS})
    def post(self, request, pk: int):
        enrollment = self.get_worker(pk)
        data = ConsentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = services.enrollment_consent(enrollment=enrollment, code=data.validated_data["code"])
        return render_workers(enrollment)


class WorkerResendConsentCodeView(WorkerScopedView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "otp_send"

    @extend_schema(tags=TAG, request=None, responses={202: None, 409: INVALID_STATUS, 429: CONSENT_SMS_LIMIT})
    def post(self, request, pk: int):
        services.enrollment_resend_consent_code(enrollment=self.get_worker(pk))
        return Response(status=status.HTTP_202_ACCEPTED)


class WorkerEndView(WorkerScopedView):
    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: WorkerSerializer, 409: INVALID_STATUS},
        description="End the sponsorship. Paid months stay covered, reminders stop, and a pending invoice "
        "that bills this worker is cancelled whole (its VA closed); bill the other workers again.",
    )
    def post(self, request, pk: int):
        return render_workers(services.enrollment_end(enrollment=self.get_worker(pk)))


# --- The worker's own view of who sponsors them (UU PDP) ---------------------------------------------

SPONSORSHIP_TAG = ["accounts"]  # with /me


class SponsorshipListView(APIView):
    @extend_schema(tags=SPONSORSHIP_TAG, responses={200: SponsorshipSerializer(many=True)})
    def get(self, request):
        """The sponsorships by other accounts whose worker phone is your verified phone, open and ended."""
        rows = selectors.sponsorship_list_for_worker(user=request.user)
        return Response(SponsorshipSerializer(rows, many=True, context={"today": services.today_wib()}).data)


class SponsorshipWithdrawView(APIView):
    @extend_schema(
        tags=SPONSORSHIP_TAG,
        request=None,
        responses={200: SponsorshipSerializer, 409: client_error("SponsorshipNotOpen", ["sponsorship_not_open"])},
        description="Withdraw your consent: the sponsorship ends, its sponsor is told, and you keep your KPJ "
        "and every paid month.",
    )
    def post(self, request, pk: int):
        enrollment = selectors.sponsorship_get_for_worker(user=request.user, enrollment_id=pk)
        if enrollment is None:
            raise Http404
        enrollment = services.sponsorship_withdraw(enrollment=enrollment)
        return Response(SponsorshipSerializer(enrollment, context={"today": services.today_wib()}).data)
# --- The member's documents ------------------------------------------------------------------------

CARD_TAG = ["membership card"]
NOT_APPROVED = client_error(
    "CardNotIssued", ["worker_not_approved"], "The member has no KPJ number yet (not approved)."
)


class WorkerCardView(WorkerScopedView):
    @extend_schema(tags=CARD_TAG, responses={200: CardSerializer, 409: NOT_APPROVED})
    def get(self, request, pk: int):
        card = selectors.card_data_for(worker=self.get_worker(pk), today=services.today_wib())
        return Response(CardSerializer(card).data)


class CardDocumentView(DocumentView, WorkerScopedView):
    """The card as a file: a subclass names the media type, the file extension and how to draw it."""

    media_type: str
    extension: str
    draw = None

    def card_response(self, pk: int):
        card = selectors.card_data_for(worker=self.get_worker(pk), today=services.today_wib())
        content = self.draw(card, language=translation.get_language())
        filename = f"e-kta-{card.member.kpj_number}.{self.extension}"
        return document_response(content, media_type=self.media_type, filename=filename)


class WorkerCardPdfView(CardDocumentView):
    media_type, extension = "application/pdf", "pdf"
    draw = staticmethod(card_documents.card_pdf)

    @extend_schema(
        tags=CARD_TAG,
        responses={
            **binary_response("application/pdf", "The printable card, 85.6 × 54 mm, with its QR code."),
            409: NOT_APPROVED,
        },
    )
    def get(self, request, pk: int):
        return self.card_response(pk)


class WorkerCardPngView(CardDocumentView):
    media_type, extension = "image/png", "png"
    draw = staticmethod(card_documents.card_png)

    @extend_schema(
        tags=CARD_TAG,
        responses={
            **binary_response("image/png", "The card as an image, 1011 × 638 pixels (300 dpi)."),
            409: NOT_APPROVED,
        },
    )
    def get(self, request, pk: int):
        return self.card_response(pk)


class WorkerBenefitsView(WorkerScopedView):
    @extend_schema(
        tags=CARD_TAG,
        responses={200: BenefitSerializer(many=True)},
        description="What the member is protected for today, with the member's own dates, in the request's "
        "language (Accept-Language).",
    )
    def get(self, request, pk: int):
        rows = selectors.benefits_for(
            worker=self.get_worker(pk), today=services.today_wib(), language=translation.get_language()
        )
        return Response(BenefitSerializer(rows, many=True).data)


class CardVerifyView(APIView):
    """Public: what a card's QR opens. JSON for apps; a small page for a browser (Accept: text/html)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, VerifyPageRenderer]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "card_verify"

    @extend_schema(
        tags=CARD_TAG,
        auth=[],
        parameters=[
            OpenApiParameter(
                "lang", OpenApiTypes.STR, required=False, description="`en` for the page in English (text/html)."
            )
        ],
        responses={
            (200, "application/json"): VerificationSerializer,
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="The same facts as a web page."),
            (404, "application/json"): client_error("CardUnknown", ["not_found"], "Unknown, forged or altered."),
            (404, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="A page saying the card is not valid."),
        },
    )
    def get(self, request, code: str):
        answer = selectors.verification_for(code=code, today=services.today_wib())
        if answer is None:
            raise Http404
        return Response(VerificationSerializer(answer).data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # the answer is today's status, computed live
        patch_vary_headers(response, ["Accept"])
        return response


class OccupationListView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=["reference"], responses={200: OccupationSerializer(many=True)}, auth=[])
    def get(self, request):
        return Response(OccupationSerializer(selectors.occupation_list(), many=True).data)
