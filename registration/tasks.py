"""Thin tasks for registration: one service each, idempotent."""

from celery import shared_task


@shared_task(acks_late=True)
def expire_unconsented() -> int:
    """Beat: registrations that never got consent within CONSENT_TTL_HOURS expire and free the NIK."""
    from registration import services

    return services.enrollments_expire_unconsented()
