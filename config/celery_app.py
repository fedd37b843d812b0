"""The Celery application. `celery -A config worker` consumes every queue; `celery -A config beat` schedules."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("urgent", "default", "bulk")]
app.autodiscover_tasks()
