from django.db import models


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    PUSH = "push", "Push"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# The only moves a message makes. `sending` is committed before the provider is called, so a crash
# mid-send leaves a row the relay can see (and retry, up to the attempt cap).
MESSAGE_TRANSITIONS: dict[str, set[str]] = {
    MessageStatus.PENDING: {MessageStatus.SENDING, MessageStatus.CANCELLED},
    MessageStatus.SENDING: {MessageStatus.SENT, MessageStatus.PENDING, MessageStatus.FAILED},
    MessageStatus.SENT: set(),
    MessageStatus.FAILED: set(),
    MessageStatus.CANCELLED: set(),
}


class Kind(models.TextChoices):
    """What a message is about. Inbox `kind` values are part of the API contract."""

    OTP_PHONE = "otp_phone", "Phone verification code"
    OTP_CONSENT = "otp_consent", "Worker consent code"
    OTP_LOGIN = "otp_login", "Login code (after failed logins)"
    ENROLLMENT_APPROVED = "enrollment_approved", "Enrollment approved"
    ENROLLMENT_REJECTED = "enrollment_rejected", "Enrollment rejected"
    PAYMENT_RECEIVED = "payment_received", "Payment received"
    COVERAGE_CONFIRMED = "coverage_confirmed", "Coverage confirmed (to the worker)"
    PAYMENT_REMINDER = "payment_reminder", "Payment reminder"
    COVERAGE_LAPSED = "coverage_lapsed", "Coverage lapsed"
    ENROLLMENT_EXPIRED = "enrollment_expired", "Registration expired without consent"
    SPONSORSHIP_ENDED = "sponsorship_ended", "Sponsorship ended (to the worker)"
    SPONSORSHIP_ENDED_UNPAID = "sponsorship_ended_unpaid", "Sponsorship ended, nothing paid (to the worker)"
    CONSENT_WITHDRAWN = "consent_withdrawn", "The worker withdrew consent"
    AUTOPAY_CHARGED = "autopay_charged", "Autopay charged"
    AUTOPAY_FAILED = "autopay_failed", "Autopay failed"
