import json

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer

from core.api.fields import NameField, OtpCodeField, PhoneField, StrictCharField, StrictEmailField
from core.messages import message
from sponsors.choices import Language, Platform, ReminderChannel
from sponsors.models import Device, User
from sponsors.tokens import SingleUseRefreshToken


class ReminderChannelsField(serializers.ListField):
    """A subset of the reminder channels, each named once. Any mistake is `reminder_channels_invalid`,
    with a detail that says which: not a list, an unknown channel, a channel named twice."""

    def __init__(self, **kwargs):
        kwargs.update(child=serializers.ChoiceField(choices=ReminderChannel.choices), max_length=3)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self._invalid("not_a_list")
        seen = set()
        for item in data:
            if not isinstance(item, str) or item not in ReminderChannel.values:
                self._invalid("unknown", channel=_quoted(item))
            if item in seen:
                self._invalid("repeated", channel=_quoted(item))
            seen.add(item)
        return super().to_internal_value(data)

    @staticmethod
    def _invalid(reason: str, **params):
        detail = message("reminder_channels_invalid", reason=message(f"reminder_channels_reason_{reason}", **params))
        raise serializers.ValidationError(detail, code="reminder_channels_invalid")


def _quoted(value, limit: int = 20) -> str:
    """A client's value as JSON (`"fax"`, `null`, `5`), cut short: it is echoed in an error detail."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SignupInputSerializer(serializers.Serializer):
    phone = PhoneField()
    full_name = NameField()
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)
    email = StrictEmailField(required=False, allow_blank=True, default="")


class SignupOutputSerializer(serializers.ModelSerializer):
    phone_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "phone", "full_name", "phone_verified"]


class VerifyPhoneInputSerializer(serializers.Serializer):
    phone = PhoneField()
    code = OtpCodeField()


class VerifyPhoneOutputSerializer(serializers.Serializer):
    phone_verified = serializers.BooleanField()


class PhoneInputSerializer(serializers.Serializer):
    phone = PhoneField()


class TokenInputSerializer(serializers.Serializer):
    phone = StrictCharField(max_length=32)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    code = OtpCodeField(
        required=False,
        help_text="Only after an `otp_required` answer: the code sent by SMS to the account's phone.",
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInputSerializer(serializers.Serializer):
    refresh = StrictCharField()


class SingleUseTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's rotation and blacklisting, with the used token's blacklist row as the gate: of
    concurrent refreshes of one token exactly one gets new tokens (sponsors.tokens)."""

    token_class = SingleUseRefreshToken

    def validate(self, attrs):
        try:
            with transaction.atomic():
                return super().validate(attrs)
        except get_user_model().DoesNotExist as exc:  # the account was deleted since
            raise TokenError(_("User not found")) from exc  # simplejwt's message, translated


class MeSerializer(serializers.ModelSerializer):
    phone_verified = serializers.BooleanField(read_only=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    full_name = NameField(required=False)
    email = StrictEmailField(required=False, allow_blank=True)
    reminder_channels = ReminderChannelsField(required=False)

    def update(self, instance, validated_data):  # pragma: no cover - views call the service instead
        raise NotImplementedError

    class Meta:
        model = User
        fields = ["id", "phone", "full_name", "email", "phone_verified", "language", "reminder_channels"]
        read_only_fields = ["id", "phone", "phone_verified"]


class DeviceSerializer(serializers.ModelSerializer):
    token = StrictCharField(max_length=4096)
    platform = serializers.ChoiceField(choices=Platform.choices)

    class Meta:
        model = Device
        fields = ["id", "token", "platform", "created_at"]
        read_only_fields = ["id", "created_at"]
