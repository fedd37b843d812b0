from celery import shared_task

from sponsors import services


@shared_task(acks_late=True)
def cleanup_expired_otps() -> int:
    return services.otp_cleanup()
