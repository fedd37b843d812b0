"""Accounts and one-time codes."""

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail, ValidationError

from core.crypto import keyed_digest
from core.exceptions import Conflict, DomainError
from notifications import services as notifications
from sponsors.choices import OtpPurpose, ReminderChannel
from sponsors.models import Device, OtpChallenge, User

# --- One-time codes -------------------------------------------------------------------------------


def _code_digest(purpose: str, subject_id: int, code: str) -> str:
    return keyed_digest(f"otp:{purpose}:{subject_id}", code)


def otp_issue(
    *, purpose: str, subject_id: int, phone: str, language: str, user=None, **template_params
) -> OtpChallenge:
    """Create a fresh code for (purpose, subject), supersede older ones, and queue its SMS."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        OtpChallenge.objects.filter(
            purpose=purpose, subject_id=subject_id, consumed_at__isnull=True, superseded_at__isnull=True
        ).update(superseded_at=now)
        challenge = OtpChallenge.objects.create(
            purpose=purpose,
            subject_id=subject_id,
            code_hash=_code_digest(purpose, subject_id, code),
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        kind = "otp_phone" if purpose == OtpPurpose.PHONE_VERIFICATION else "otp_consent"
        notifications.sms_send(
            to=phone, kind=kind, language=language, user=user, urgent=True, code=code, **template_params
        )
    return challenge


def otp_verify(*, purpose: str, subject_id: int, code: str) -> OtpChallenge:
    """Consume the live code for (purpose, subject) or raise otp_invalid / otp_expired / otp_locked.

    A wrong try is counted in its own committed transaction, so the error the caller raises afterwards
    cannot roll the count back. Call this outside any enclosing transaction.
    """
    now = timezone.now()
    error = None
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update(no_key=True)
            .filter(purpose=purpose, subject_id=subject_id, consumed_at__isnull=True, superseded_at__isnull=True)
            .order_by("-id")
            .first()
        )
        if challenge is None:
            error = DomainError("otp_expired", attr="code")
        elif challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
            error = DomainError("otp_locked", attr="code")
        elif challenge.expires_at <= now:
            error = DomainError("otp_expired", attr="code")
        elif not hmac.compare_digest(challenge.code_hash, _code_digest(purpose, subject_id, str(code))):
            OtpChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
            error = DomainError("otp_invalid", attr="code")
        else:
            challenge.consumed_at = now
            challenge.save(update_fields=["consumed_at", "updated_at"])
    if error is not None:
        raise error
    return challenge


def otp_cleanup(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete codes that can no longer be used. Idempotent."""
    deleted, _ = OtpChallenge.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- Accounts -------------------------------------------------------------------------------------


def _validate_password(password: str, user: User) -> None:
    """Django's password validators, reported on the `password` field with their own codes."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(
            {"password": [ErrorDetail(error.messages[0], code=error.code) for error in exc.error_list]}
        ) from exc


def user_signup(*, phone: str, full_name: str, password: str, email: str = "", language: str = "id") -> User:
    """Create an account (or refresh an unverified one) and send the phone verification code.

    An unverified account does not block its number: whoever proves they hold the phone gets it, so a
    typo or a squatter cannot lock the real owner out.
    """
    with transaction.atomic():
        existing = User.objects.select_for_update(no_key=True).filter(phone=phone).first()
        if existing is not None and existing.phone_verified:
            raise Conflict("phone_taken", attr="phone")
        user = existing or User(phone=phone)
        user.full_name = full_name
        user.email = email
        user.language = language
        _validate_password(password, user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:  # a concurrent signup for the same phone won
            raise Conflict("phone_taken", attr="phone") from exc
        otp_issue(
            purpose=OtpPurpose.PHONE_VERIFICATION,
            subject_id=user.pk,
            phone=user.phone,
            language=user.language,
            user=user,
        )
    return user


def user_verify_phone(*, phone: str, code: str) -> User:
    user = User.objects.filter(phone=phone).first()
    if user is None:
        # Same answer as a wrong code: whether a number has an account is not disclosed.
        raise DomainError("otp_invalid", attr="code")
    if user.phone_verified:
        return user
    otp_verify(purpose=OtpPurpose.PHONE_VERIFICATION, subject_id=user.pk, code=code)
    User.objects.filter(pk=user.pk, phone_verified_at__isnull=True).update(phone_verified_at=timezone.now())
    user.refresh_from_db()
    return user


def user_resend_code(*, phone: str) -> None:
    """Send a new verification code if the number has an unverified account; silent otherwise."""
    user = User.objects.filter(phone=phone, phone_verified_at__isnull=True).first()
    if user is not None:
        otp_issue(
            purpose=OtpPurpose.PHONE_VERIFICATION,
            subject_id=user.pk,
            phone=user.phone,
            language=user.language,
            user=user,
        )


def user_update(
    *,
    user: User,
    full_name: str | None = None,
    email: str | None = None,
    language: str | None = None,
    reminder_channels: list[str] | None = None,
) -> User:
    fields = []
    for name, value in (("full_name", full_name), ("email", email), ("language", language)):
        if value is not None:
            setattr(user, name, value)
            fields.append(name)
    if reminder_channels is not None:
        channels = [c for c in ReminderChannel.values if c in set(reminder_channels)]
        if ReminderChannel.WHATSAPP in channels and user.whatsapp_opt_in_at is None:
            # Choosing WhatsApp in the app is the recorded opt-in that WhatsApp templates require.
            user.whatsapp_opt_in_at = timezone.now()
            fields.append("whatsapp_opt_in_at")
        if ReminderChannel.WHATSAPP not in channels:
            user.whatsapp_opt_in_at = None
            fields.append("whatsapp_opt_in_at")
        user.reminder_channels = channels
        fields += ["remind_by_sms", "remind_by_whatsapp", "remind_by_push"]
    if fields:
        user.save(update_fields=fields)
    return user


def device_register(*, user: User, token: str, platform: str) -> Device:
    """Register a push token; a token seen on another account moves to this one (the phone changed hands)."""
    device, _ = Device.objects.update_or_create(token=token, defaults={"user": user, "platform": platform})
    return device
