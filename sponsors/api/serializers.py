from rest_framework import serializers

from core.api.fields import CodedListField, OtpCodeField, PhoneField, StrictCharField, StrictEmailField
from core.messages import message
from sponsors.choices import Language, Platform, ReminderChannel
from sponsors.models import Device, User


class SignupInputSerializer(serializers.Serializer):
    phone = PhoneField()
    full_name = StrictCharField(max_length=150)
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


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInputSerializer(serializers.Serializer):
    refresh = StrictCharField()


class MeSerializer(serializers.ModelSerializer):
    phone_verified = serializers.BooleanField(read_only=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    full_name = StrictCharField(max_length=150, required=False)
    email = StrictEmailField(required=False, allow_blank=True)
    reminder_channels = CodedListField(
        domain_code="reminder_channels_invalid",
        child=serializers.ChoiceField(choices=ReminderChannel.choices),
        required=False,
        max_length=3,
    )

    def update(self, instance, validated_data):  # pragma: no cover - views call the service instead
        raise NotImplementedError

    class Meta:
        model = User
        fields = ["id", "phone", "full_name", "email", "phone_verified", "language", "reminder_channels"]
        read_only_fields = ["id", "phone", "phone_verified"]

    def validate_reminder_channels(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError(message("reminder_channels_invalid"), code="reminder_channels_invalid")
        return value


class DeviceSerializer(serializers.ModelSerializer):
    token = StrictCharField(max_length=4096)
    platform = serializers.ChoiceField(choices=Platform.choices)

    class Meta:
        model = Device
        fields = ["id", "token", "platform", "created_at"]
        read_only_fields = ["id", "created_at"]
