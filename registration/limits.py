"""Daily limits against SMS abuse (QUALITY.md Security 12): registrations per sponsor, and consent codes
per recipient phone, each over a rolling 24 h. The registration cap is a business rule (API.md):
`API_THROTTLING=false` does not switch it off. The per-phone cap answers 429 `throttled` like the other
code-sending throttles and, like them, is off with `API_THROTTLING=false` (load tests and automated
acceptance runs, which may register many workers with one phone; production refuses that setting).

A registration sends a consent SMS, naming the sponsor, to a phone the sponsor chose. Without a daily
cap, registering and ending workers in a loop sent SMS to any number without end (ending one frees an
open-enrollment slot, so `sponsor_limit_reached` never bites); without a per-phone cap, one number could
be sent a code again and again.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.exceptions import LimitReached
from notifications import selectors as outbox
from notifications.choices import Kind
from registration.models import Enrollment

WINDOW = timedelta(hours=24)


def _seconds_until_below(limit: int, newest_first: list[datetime], now: datetime) -> float:
    """Seconds until fewer than `limit` of these moments are within the window: the `limit`-th newest
    leaves it (with exactly `limit` of them, the oldest)."""
    return (newest_first[limit - 1] + WINDOW - now).total_seconds()


def sponsor_registrations_check(*, sponsor_id: int) -> None:
    """Refuse a registration (429 `registration_limit_reached`) once the sponsor registered
    SPONSOR_DAILY_REGISTRATIONS workers in the last 24 h, whatever became of them: ended, expired,
    rejected and self-enrollments all count, so ending a worker frees no registration.

    Call with the sponsor's row locked (the registration's transaction holds it), so that concurrent
    registrations by one sponsor wait for each other and each counts the ones committed before it."""
    limit = settings.SPONSOR_DAILY_REGISTRATIONS
    now = timezone.now()
    recent = list(
        Enrollment.objects.filter(sponsor_id=sponsor_id, created_at__gt=now - WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        raise LimitReached(
            "registration_limit_reached", retry_after=_seconds_until_below(limit, recent, now), limit=limit
        )


def consent_sms_check(*, phone: str) -> None:
    """Refuse a consent code to `phone` (429 `throttled`, attr `phone`, with a detail saying why) once
    that number received CONSENT_SMS_PER_PHONE_DAILY consent codes in the last 24 h, from any sponsor.

    Call inside the transaction that queues the SMS: on PostgreSQL it holds a lock on the number until
    then, so concurrent sends to one number count each other."""
    if not settings.API_THROTTLING:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"consent_sms:{phone}"])
    limit = settings.CONSENT_SMS_PER_PHONE_DAILY
    now = timezone.now()
    recent = outbox.message_times(to=phone, kind=Kind.OTP_CONSENT, since=now - WINDOW, limit=limit)
    if len(recent) >= limit:
        raise LimitReached(
            "throttled",
            retry_after=_seconds_until_below(limit, recent, now),
            attr="phone",
            text="consent_sms_limit_reached",
            limit=limit,
        )
