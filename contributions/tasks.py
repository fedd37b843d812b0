"""Thin tasks for payments: ids only, one service each, idempotent."""

import logging

from celery import shared_task

from contributions import services
from contributions.gateways import GatewayError
from core.queue import publish

logger = logging.getLogger(__name__)

# A task that calls a payment gateway: transient gateway errors are retried with backoff and jitter,
# bounded; acks_late so a worker killed mid-way runs it again (each service is idempotent).
GATEWAY_TASK = dict(
    autoretry_for=(GatewayError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)


@shared_task(**GATEWAY_TASK)
def process_notification(notification_id: int) -> None:
    services.notification_process(notification_id=notification_id)


def enqueue_notification(notification_id: int) -> None:
    # The notification row is stored; reconciliation processes it if the broker is down.
    publish(process_notification, args=[notification_id], queue="urgent")


@shared_task(acks_late=True)
def reconcile_invoices() -> int:
    return services.invoices_reconcile()


@shared_task(bind=True, acks_late=True, soft_time_limit=240, time_limit=270)
def send_reminder_batch(self, reminder_ids: list[int]) -> dict:
    from contributions import reminders

    return reminders.reminders_send(reminder_ids=reminder_ids, claimant=self.request.id or "")


def enqueue_reminder_batch(reminder_ids: list[int]) -> bool:
    return publish(send_reminder_batch, args=[reminder_ids], queue="bulk")


@shared_task(acks_late=True)
def daily_reminder_pass() -> dict:
    """Beat runs this at 08:00 WIB."""
    from contributions import reminders
    from registration import services as registration

    return reminders.daily_pass(day=registration.today_wib())


@shared_task(acks_late=True)
def queue_reminders() -> int:
    """Sends what quiet hours or a retry deferred, and what a broker outage left planned."""
    from contributions import reminders

    return reminders.reminders_queue()


# --- Autopay (contributions/autopay.py) ---------------------------------------------------------------


@shared_task(acks_late=True)
def autopay_plan_today() -> int:
    """Beat runs this daily at 07:00 WIB: plans the month's charges from the charge day to the 14th."""
    from contributions import autopay
    from registration import services as registration

    return autopay.autopay_plan(day=registration.today_wib())


@shared_task(acks_late=True)
def autopay_dispatch_today() -> int:
    """Every 5 minutes: hands due charges on (retries, and charges in doubt to be asked about)."""
    from contributions import autopay
    from registration import services as registration

    return autopay.autopay_dispatch(day=registration.today_wib())


@shared_task(bind=True, acks_late=True, soft_time_limit=240, time_limit=270)
def autopay_charge_batch(self, charge_ids: list[int], day: str) -> dict:
    import datetime

    from contributions import autopay

    outcomes: dict[str, int] = {}
    for outcome in autopay.autopay_charge_batch(charge_ids=charge_ids, day=datetime.date.fromisoformat(day)).values():
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def enqueue_autopay_batch(charge_ids: list[int], day) -> bool:
    return publish(autopay_charge_batch, args=[charge_ids, day.isoformat()], queue="default")


@shared_task(**GATEWAY_TASK)
def autopay_link_sync(mandate_id: int) -> None:
    from contributions import autopay

    autopay.autopay_link_sync(mandate_id=mandate_id)


def enqueue_autopay_link_sync(mandate_id: int) -> None:
    publish(autopay_link_sync, args=[mandate_id], queue="urgent")
