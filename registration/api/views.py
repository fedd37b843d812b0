"""Thin views: parse, call a service or selector, render. Every worker URL is scoped to the caller."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import client_error, domain_validation_errors
from core.api.throttling import ScopedRateThrottle
from registration import ports, selectors, services
from registration.api.serializers import (
    ConsentSerializer,
    OccupationSerializer,
    WorkerCreateSerializer,
    WorkerSerializer,
    WorkerUpdateSerializer,
)

TAG = ["workers"]
WORKER_FIELD_CODES = {
    "phone": ["phone_invalid", "self_phone_mismatch"],
    "occupation": ["occupation_invalid"],
    "income_level": ["income_level_invalid"],
    "programmes": ["programmes_invalid"],
}
INVALID_STATUS = client_error("InvalidStatus", ["invalid_status"], "The worker's status does not allow this.")
# The worker's phone already received CONSENT_SMS_PER_PHONE_DAILY consent codes in 24 h (attr "phone"), or
# a request rate limit. Either way `Retry-After` says when to try again.
CONSENT_SMS_LIMIT = client_error(
    "ConsentCodeLimit",
    ["throttled"],
    "Too many requests, or this phone number already received its daily number of consent codes (attr "
    "`phone`); nothing was sent. `Retry-After` gives the seconds to wait.",
)


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
@domain_validation_errors({"page_size": ["invalid"]}, methods=["get"])
class WorkerListCreateView(ListAPIView):
    serializer_class = WorkerSerializer

    def get_queryset(self):
        return selectors.enrollment_page_for_sponsor(sponsor=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["monthly_contributions"] = getattr(self, "_monthly", {})
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._monthly = ports.monthly_contributions(page)
        return page

    @extend_schema(tags=TAG, responses={200: WorkerSerializer(many=True)})
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
        enrollment = services.enrollment_update(enrollment=enrollment, **data.validated_data)
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


class OccupationListView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=["reference"], responses={200: OccupationSerializer(many=True)}, auth=[])
    def get(self, request):
        return Response(OccupationSerializer(selectors.occupation_list(), many=True).data)
