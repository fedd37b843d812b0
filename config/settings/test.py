"""The test suite: always PostgreSQL and Redis, as in production. Never falls back to SQLite."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import database, env, redis_cache, validate_settings

DEBUG = False
SECRET_KEY = "test-secret-key-0123456789abcdef0123456789abcdef"
JWT_SIGNING_KEY = "test-jwt-signing-key-0123456789abcdef0123456789"
SIMPLE_JWT["SIGNING_KEY"] = JWT_SIGNING_KEY  # noqa: F405
NIK_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LW5pay1rZXktMDEyMzQ1Njc4OWFiY2Q="]
NIK_HASH_KEY = "test-nik-hash-key"
CARD_SIGNING_KEY = ["test-card-signing-key-0123456789abcdef"]
PUBLIC_BASE_URL = "https://verify.test.example"

DATABASES = {"default": database("postgres://root@127.0.0.1:5432/root")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("The test suite runs on PostgreSQL only; DATABASE_URL must be postgres://")
DATABASES["default"]["CONN_MAX_AGE"] = 0

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/9")
CACHES = {"default": redis_cache(REDIS_URL, "bpu-test")}
CELERY_BROKER_URL = REDIS_URL
# Unit tests run tasks in-process; tests that need a real worker and broker start their own.
CELERY_TASK_ALWAYS_EAGER = True

# No collectstatic in tests: plain storage, so admin pages render without a manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
NOTIFY_SMS_BACKEND = NOTIFY_WHATSAPP_BACKEND = NOTIFY_PUSH_BACKEND = "null"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

validate_settings(globals())
