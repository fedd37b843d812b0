"""Thin tasks for payments: ids only, one service each, idempotent."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from contributions import services
from contributions.gateways import GatewayError

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(GatewayError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def process_notification(notification_id: int) -> None:
    services.notification_process(notification_id=notification_id)


def enqueue_notification(notification_id: int) -> None:
    try:
        process_notification.apply_async(args=[notification_id], queue="urgent", retry=False)
    except OperationalError:
        # The notification row is stored; reconciliation processes it once the broker is back.
        logger.warning("broker unavailable; notification %s left for reconciliation", notification_id)


@shared_task(acks_late=True)
def reconcile_invoices() -> int:
    return services.invoices_reconcile()
