from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PUSH = "push", _("Push")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


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

    OTP_PHONE = "otp_phone", _("Phone verification code")
    OTP_CONSENT = "otp_consent", _("Worker consent code")
    OTP_LOGIN = "otp_login", _("Login code (after failed logins)")
    ENROLLMENT_APPROVED = "enrollment_approved", _("Enrollment approved")
    ENROLLMENT_REJECTED = "enrollment_rejected", _("Enrollment rejected")
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    COVERAGE_CONFIRMED = "coverage_confirmed", _("Coverage confirmed (to the worker)")
    PAYMENT_REMINDER = "payment_reminder", _("Payment reminder")
    COVERAGE_LAPSED = "coverage_lapsed", _("Coverage lapsed")
    ENROLLMENT_EXPIRED = "enrollment_expired", _("Registration expired without consent")
    SPONSORSHIP_ENDED = "sponsorship_ended", _("Sponsorship ended (to the worker)")
    SPONSORSHIP_ENDED_UNPAID = "sponsorship_ended_unpaid", _("Sponsorship ended, nothing paid (to the worker)")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("The worker withdrew consent")
    AUTOPAY_CHARGED = "autopay_charged", _("Autopay charged")
    AUTOPAY_FAILED = "autopay_failed", _("Autopay failed")
