from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.views import TokenRefreshView as BaseTokenRefreshView

from core.api.schema import client_error, domain_validation_errors
from core.api.throttling import PhoneRateThrottle, ScopedRateThrottle
from core.exceptions import DomainError
from core.phones import normalize_phone_or_none
from sponsors import services
from sponsors.api.serializers import (
    DeviceSerializer,
    MeSerializer,
    PhoneInputSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    SignupOutputSerializer,
    SingleUseTokenRefreshSerializer,
    TokenInputSerializer,
    TokenPairSerializer,
    VerifyPhoneInputSerializer,
    VerifyPhoneOutputSerializer,
)
from sponsors.tokens import SingleUseRefreshToken

TAG = ["accounts"]
OTP_CODES = ["otp_invalid", "otp_expired", "otp_locked"]
PASSWORD_CODES = [
    "password_too_short",
    "password_too_common",
    "password_entirely_numeric",
    "password_too_similar",
]


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]


@domain_validation_errors({"phone": ["phone_invalid"], "full_name": ["name_invalid"], "password": PASSWORD_CODES})
class SignupView(PublicView):
    throttle_scope = "signup"
    # Each signup of an unverified number sends a code: the per-phone limit applies here too.
    throttle_classes = [ScopedRateThrottle, PhoneRateThrottle]

    @extend_schema(
        tags=TAG,
        request=SignupInputSerializer,
        responses={201: SignupOutputSerializer, 409: client_error("PhoneTaken", ["phone_taken"])},
        auth=[],
    )
    def post(self, request):
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_signup(**data.validated_data, language=translation.get_language()[:2])
        return Response(SignupOutputSerializer(user).data, status=status.HTTP_201_CREATED)


@domain_validation_errors({"phone": ["phone_invalid"], "code": OTP_CODES})
class VerifyPhoneView(PublicView):
    throttle_scope = "otp_verify"

    @extend_schema(
        tags=TAG, request=VerifyPhoneInputSerializer, responses={200: VerifyPhoneOutputSerializer}, auth=[]
    )
    def post(self, request):
        data = VerifyPhoneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_verify_phone(**data.validated_data)
        return Response({"phone_verified": user.phone_verified})


@domain_validation_errors({"phone": ["phone_invalid"]})
class ResendCodeView(PublicView):
    throttle_scope = "otp_send"
    throttle_classes = [ScopedRateThrottle, PhoneRateThrottle]

    @extend_schema(tags=TAG, request=PhoneInputSerializer, responses={202: None}, auth=[])
    def post(self, request):
        data = PhoneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_resend_code(phone=data.validated_data["phone"])
        return Response(status=status.HTTP_202_ACCEPTED)


def _tokens_for(user) -> dict:
    refresh = SingleUseRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@domain_validation_errors({"code": OTP_CODES})
class TokenView(PublicView):
    throttle_scope = "login"
    # Per client address only. A limit per account would let anyone lock its owner out; repeated
    # failures on one account make its login ask for an SMS code instead (services.user_login).
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        tags=TAG,
        request=TokenInputSerializer,
        responses={
            200: TokenPairSerializer,
            401: client_error(
                "BadCredentials",
                ["invalid_credentials", "otp_required"],
                "`invalid_credentials`: wrong phone or password. `otp_required` (attr `code`): the password "
                "is right, but after repeated failed logins on this account it needs a code as well; a code "
                "went to the account's phone by SMS: send the same request again with `code`.",
            ),
            403: client_error("PhoneNotVerified", ["phone_not_verified"]),
        },
        auth=[],
    )
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_login(
            phone=normalize_phone_or_none(data.validated_data["phone"]),
            password=data.validated_data["password"],
            code=data.validated_data.get("code"),
            request=request,
        )
        if not user.phone_verified:
            raise DomainError("phone_not_verified", status_code=status.HTTP_403_FORBIDDEN, attr="phone")
        return Response(_tokens_for(user))


class TokenRefreshView(BaseTokenRefreshView):
    """Refresh tokens rotate: the answer holds a new refresh token and the used one is blacklisted.
    Of concurrent refreshes with one token, exactly one succeeds."""

    serializer_class = SingleUseTokenRefreshSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        tags=TAG,
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, 401: client_error("RefreshRefused", ["token_not_valid"])},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


@domain_validation_errors({"refresh": ["token_not_valid"]})
class LogoutView(APIView):
    @extend_schema(tags=TAG, request=RefreshInputSerializer, responses={204: None})
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = SingleUseRefreshToken(data.validated_data["refresh"])
            if str(token.get("user_id")) != str(request.user.pk):
                raise TokenError("Another account's token")
            token.blacklist()  # a refresh of this token that got there first wins
        except TokenError as exc:
            raise DomainError("token_not_valid", attr="refresh") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


@domain_validation_errors(
    {"full_name": ["name_invalid"], "reminder_channels": ["reminder_channels_invalid"]}, methods=["patch"]
)
class MeView(APIView):
    @extend_schema(tags=TAG, responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(tags=TAG, request=MeSerializer, responses={200: MeSerializer})
    def patch(self, request):
        data = MeSerializer(request.user, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **data.validated_data)
        return Response(MeSerializer(user).data)


class DeviceView(APIView):
    @extend_schema(tags=TAG, request=DeviceSerializer, responses={201: DeviceSerializer})
    def post(self, request):
        data = DeviceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = services.device_register(user=request.user, **data.validated_data)
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)
