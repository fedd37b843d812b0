from django.db import models


class Sector(models.TextChoices):
    """PP 50/2025 prices transport and non-transport workers differently (DOMAIN.md)."""

    TRANSPORT = "transport", "Transport"
    NON_TRANSPORT = "non_transport", "Non-transport"


class Relationship(models.TextChoices):
    HOUSEHOLD_HELPER = "household_helper", "Household helper"
    DRIVER = "driver", "Driver"
    OTHER = "other", "Other"
    SELF = "self", "Self"


class Programme(models.TextChoices):
    JKK = "JKK", "Jaminan Kecelakaan Kerja"
    JKM = "JKM", "Jaminan Kematian"
    JHT = "JHT", "Jaminan Hari Tua"


REQUIRED_PROGRAMMES = frozenset({Programme.JKK.value, Programme.JKM.value})


class EnrollmentStatus(models.TextChoices):
    AWAITING_CONSENT = "awaiting_consent", "Awaiting consent"
    PENDING_REVIEW = "pending_review", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ENDED = "ended", "Ended"
    EXPIRED = "expired", "Expired (no consent in time)"


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

    SPONSOR_ENDED = "sponsor_ended", "Ended by the sponsor"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn by the worker"


class ConsentMethod(models.TextChoices):
    SMS_OTP = "sms_otp", "SMS code read out by the worker"
    ACCOUNT_HOLDER = "account_holder", "The worker's own verified account"
    DEMO = "demo", "Demo data (no real person)"


class ReviewFlag(models.TextChoices):
    """Why automated checks sent an enrollment to back-office review."""

    PHONE_SHARED = "phone_shared", "Phone already used by another open enrollment"
    SPONSOR_BURST = "sponsor_burst", "Sponsor enrolled many workers within 24 h"
    REGISTRY_MISMATCH = "registry_mismatch", "Civil registry reports a mismatch"
    REGISTRY_UNAVAILABLE = "registry_unavailable", "Civil registry could not be reached"
    REVIEW_ALL = "review_all", "Review mode requires every enrollment to be reviewed"
    MEMBER_PHONE_CHANGED = "member_phone_changed", "Phone differs from the member's phone on record"
