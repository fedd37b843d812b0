"""Thin tasks: load by id, call one service. Arguments are ids only (never a phone or a NIK)."""

from celery import shared_task

from notifications.backends import TransientSendError
from notifications import services


@shared_task(
    autoretry_for=(TransientSendError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=services.MAX_SEND_ATTEMPTS,
    acks_late=True,
)
def send_message(message_id: int) -> None:
    services.message_send(message_id=message_id)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=270)
def send_message_batch(message_ids: list[int]) -> int:
    """Messages written together (services.collected()); a transient failure is left to the relay."""
    return services.messages_send(message_ids=message_ids)


@shared_task(acks_late=True)
def relay_outbox() -> int:
    return services.outbox_relay()
