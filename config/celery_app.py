"""The Celery application. `celery -A config worker` consumes every queue; `celery -A config beat` schedules.

The schedule lives here, in code, and beat runs as a single instance (CONVENTIONS.md). Every periodic
task is idempotent and safe to run twice at once.
"""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Urgent work (OTP codes, payments) has its own queue so bulk reminders never delay it. A worker
# started without -Q consumes all three.
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in ("urgent", "default", "bulk")]
app.conf.task_default_exchange = "default"
app.conf.task_default_routing_key = "default"
app.conf.task_routes = {
    "notifications.tasks.send_message": {"queue": "urgent"},
    "contributions.tasks.process_notification": {"queue": "urgent"},
    "contributions.tasks.send_reminder_batch": {"queue": "bulk"},
}
app.conf.beat_schedule = {
    "relay-outbox": {"task": "notifications.tasks.relay_outbox", "schedule": 60.0},
    # The daily reminder pass; CELERY_TIMEZONE is Asia/Jakarta, so this is 08:00 WIB.
    "daily-reminder-pass": {"task": "contributions.tasks.daily_reminder_pass", "schedule": crontab(hour=8, minute=0)},
    "queue-reminders": {"task": "contributions.tasks.queue_reminders", "schedule": 60.0},
    "reconcile-invoices": {"task": "contributions.tasks.reconcile_invoices", "schedule": 300.0},
    "autopay-plan": {"task": "contributions.tasks.autopay_plan_today", "schedule": crontab(hour=7, minute=0)},
    "autopay-dispatch": {"task": "contributions.tasks.autopay_dispatch_today", "schedule": 300.0},
    "cleanup-expired-otps": {"task": "sponsors.tasks.cleanup_expired_otps", "schedule": crontab(minute=17)},
    # Registrations awaiting consent past CONSENT_TTL_HOURS expire (the NIK is free again).
    "expire-unconsented": {"task": "registration.tasks.expire_unconsented", "schedule": 600.0},
}
app.autodiscover_tasks()
