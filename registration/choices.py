from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    """PP 50/2025 prices transport and non-transport workers differently (DOMAIN.md)."""

    TRANSPORT = "transport", _("Transport")
    NON_TRANSPORT = "non_transport", _("Non-transport")


class Relationship(models.TextChoices):
    HOUSEHOLD_HELPER = "household_helper", _("Household helper")
    DRIVER = "driver", _("Driver")
    OTHER = "other", _("Other")
    SELF = "self", _("Self")


class Programme(models.TextChoices):
    JKK = "JKK", _("Jaminan Kecelakaan Kerja")
    JKM = "JKM", _("Jaminan Kematian")
    JHT = "JHT", _("Jaminan Hari Tua")


REQUIRED_PROGRAMMES = frozenset({Programme.JKK.value, Programme.JKM.value})


class EnrollmentStatus(models.TextChoices):
    AWAITING_CONSENT = "awaiting_consent", _("Awaiting consent")
    PENDING_REVIEW = "pending_review", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ENDED = "ended", _("Ended")
    EXPIRED = "expired", _("Expired (no consent in time)")


OPEN_STATUSES = (
    EnrollmentStatus.AWAITING_CONSENT.value,
    EnrollmentStatus.PENDING_REVIEW.value,
    EnrollmentStatus.APPROVED.value,
)

# The only moves an enrollment makes; each verb has one service that checks this map.
ENROLLMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    EnrollmentStatus.AWAITING_CONSENT: frozenset(
        {EnrollmentStatus.PENDING_REVIEW, EnrollmentStatus.APPROVED, EnrollmentStatus.ENDED, EnrollmentStatus.EXPIRED}
    ),
    EnrollmentStatus.PENDING_REVIEW: frozenset(
        {EnrollmentStatus.APPROVED, EnrollmentStatus.REJECTED, EnrollmentStatus.ENDED}
    ),
    EnrollmentStatus.APPROVED: frozenset({EnrollmentStatus.ENDED}),
    EnrollmentStatus.REJECTED: frozenset(),
    EnrollmentStatus.ENDED: frozenset(),
    EnrollmentStatus.EXPIRED: frozenset(),
}


class EndReason(models.TextChoices):
    """Who ended a sponsorship (API.md: `end_reason`)."""

    SPONSOR_ENDED = "sponsor_ended", _("Ended by the sponsor")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn by the worker")


class ConsentMethod(models.TextChoices):
    SMS_OTP = "sms_otp", _("SMS code read out by the worker")
    ACCOUNT_HOLDER = "account_holder", _("The worker's own verified account")
    DEMO = "demo", _("Demo data (no real person)")


class ReviewFlag(models.TextChoices):
    """Why automated checks sent an enrollment to back-office review."""

    PHONE_SHARED = "phone_shared", _("Phone already used by another open enrollment")
    SPONSOR_BURST = "sponsor_burst", _("Sponsor enrolled many workers within 24 h")
    REGISTRY_MISMATCH = "registry_mismatch", _("Civil registry reports a mismatch")
    REGISTRY_UNAVAILABLE = "registry_unavailable", _("Civil registry could not be reached")
    REVIEW_ALL = "review_all", _("Review mode requires every enrollment to be reviewed")
    MEMBER_PHONE_CHANGED = "member_phone_changed", _("Phone differs from the member's phone on record")


class RejectionReason(models.TextChoices):
    """Reasons a reviewer picks from when rejecting (the sponsor reads the text, in their language)."""

    REGISTRY_MISMATCH = "registry_mismatch", _("The name or birth date does not match the civil registry (Dukcapil).")
    NIK_NOT_FOUND = "nik_not_found", _("The NIK is not in the civil registry.")
    PHONE_OF_ANOTHER = "phone_of_another", _("The phone number belongs to another worker.")
    ALREADY_SPONSORED = "already_sponsored", _("The worker is already registered by another sponsor.")
    TOO_MANY = "too_many", _("Too many workers were registered at once; we could not confirm them.")
    NOT_CONFIRMED = "not_confirmed", _("We could not confirm the worker's identity.")
