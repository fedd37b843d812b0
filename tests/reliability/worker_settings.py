"""Settings of the REAL Celery worker the reliability tests start (DJANGO_SETTINGS_MODULE for it).

They are the test settings (same database keys, same NIK keys), with what a deployed worker reads from
its environment put back: config.settings.test pins every notification backend to `null` and makes
tasks eager, so a worker started with `config.settings.test` and NOTIFY_SMS_BACKEND=file would drop
every message silently.
"""

from config.settings.test import *  # noqa: F403
from config.settings.test import NOTIFY_FILE_PATH as _DEFAULT_FILE_PATH
from config.settings.base import env, validate_settings

NOTIFY_SMS_BACKEND = env("NOTIFY_SMS_BACKEND", default="null")
NOTIFY_WHATSAPP_BACKEND = env("NOTIFY_WHATSAPP_BACKEND", default="null")
NOTIFY_PUSH_BACKEND = env("NOTIFY_PUSH_BACKEND", default="null")
NOTIFY_FILE_PATH = env("NOTIFY_FILE_PATH", default=_DEFAULT_FILE_PATH)
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
WHATSAPP_API_URL = env("WHATSAPP_API_URL", default="")
WHATSAPP_TOKEN = env("WHATSAPP_TOKEN", default="")
# With REDIS_URL set, base.py makes tasks go through the broker; the test settings made them eager.
CELERY_TASK_ALWAYS_EAGER = False
LOGGING["root"]["level"] = "INFO"  # noqa: F405 - the worker's log is kept for failure reports

validate_settings(globals())
