"""Settings shared by every environment.

Every value comes from the environment (django-environ) and is read once, here. The README's table
lists every variable. Environment-specific modules (local, test, production) only change defaults and
add checks; production refuses to start without its secrets.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# --- Core -----------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The back office's theme (vendored scripts, fonts and Chart.js: no CDN); before the admin it styles.
    "unfold.apps.BasicAppConfig",  # not its default config, which would replace our site with its own
    "config.apps.BackOfficeAdminConfig",  # django.contrib.admin, with a throttled login (config.admin_site)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",  # for its translations (locale/ below fills what it lacks)
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc, served from here: the docs need no CDN
    "drf_standardized_errors",
    "django_filters",
    "core",
    "notifications",
    "sponsors",
    "registration",
    "contributions",
    "seeds",
]

MIDDLEWARE = [
    # First: an unknown Host answers 400 `bad_host` as JSON before anything else asks for the host.
    "core.middleware.UnknownHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The back office links only to pages the viewer may open (core.admin_links).
    "core.admin_links.CurrentRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# API paths have no trailing slash and nothing is ever answered with a redirect (API.md).
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database(default_url: str) -> dict:
    """The database of DATABASE_URL, with what every environment sets on it (test.py too)."""
    db = env.db("DATABASE_URL", default=default_url)
    db["ATOMIC_REQUESTS"] = False
    if db.get("ENGINE") == "django.db.backends.sqlite3":
        # The embedded default must take concurrent writes too: WAL lets readers run beside a writer,
        # IMMEDIATE takes the write lock up front (no lock-upgrade deadlock), and writers queue for it.
        db["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    if db.get("ENGINE") == "django.db.backends.postgresql" and env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Parameters bound by the server, and each statement a connection runs more than five
        # times prepared (psycopg's automatic prepared statements): PostgreSQL stops parsing and
        # planning the hot statements again, and psycopg stops quoting values into the SQL text.
        # Measured under load, an invoice request costs PostgreSQL half the CPU
        # (docs/benchmarks.md). Off (DATABASE_PREPARED_STATEMENTS=false) behind a pooler that cannot
        # keep prepared statements: PgBouncer in transaction mode before 1.21, or without
        # max_prepared_statements.
        db.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    db["CONN_HEALTH_CHECKS"] = True
    return db


DATABASES = {"default": database(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "sponsors.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The language of every answer: Indonesian, or English on `Accept-Language: en` (LocaleMiddleware).
# Domain messages are in core/messages.py; what Django, DRF and simplejwt write comes from their
# catalogs, and locale/ translates what theirs lack (README "Languages").
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # The admin's CSS and JS, served by the app itself (whitenoise): no separate web server needed.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The back office's theme (django-unfold): each role's home page (config.dashboard), one language at a
# time with a switcher (Django's set_language), and no "View site" link: there is no public site.
UNFOLD = {
    "SITE_TITLE": "BPU Sertakan",
    "SITE_HEADER": "BPU Sertakan",
    "SITE_SUBHEADER": "Back office",
    "SITE_URL": None,
    "SITE_SYMBOL": "volunteer_activism",
    "SHOW_VIEW_ON_SITE": False,
    # Django's per-object history only sees edits made through admin forms, not the services' decisions;
    # the audit log does (enrollment pages link their audit trail).
    "SHOW_HISTORY": False,
    "SHOW_LANGUAGES": True,
    "DASHBOARD_CALLBACK": "config.dashboard.dashboard_callback",
    "SIDEBAR": {"show_search": False, "show_all_applications": True},
}
# The home pages' figures over large tables (members over time, collections) are computed at most this
# often; the review queue and the needs-review money are always live (they are small and indexed).
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)

# --- Redis, cache, Celery -------------------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="")


def redis_cache(url: str, key_prefix: str) -> dict:
    """The cache holds only the API's throttle counters. django-redis keeps one client per process
    (Django's own Redis backend builds a client for every call: ~0.25 ms of a request's throttle
    check, docs/benchmarks.md), and with IGNORE_EXCEPTIONS a Redis outage makes the throttles let
    requests through instead of failing every request with a 500 (tests/reliability/test_redis_down.py).
    OTP attempts are counted in the database, so they stay bounded meanwhile."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }


# An ignored cache error is still logged (django_redis.cache, WARNING with the traceback).
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, env("CACHE_KEY_PREFIX", default="bpu"))}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without REDIS_URL (the embedded default) tasks run in-process; with it, a worker consumes the queues.
# The in-memory broker gets a host, or kombu warns "No hostname was supplied" on the first task.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task a dead worker held is delivered again after this. It must exceed the longest task
    # (CELERY_TASK_TIME_LIMIT) plus the longest retry countdown (300 s), or a live task runs twice.
    "visibility_timeout": 900,
    "socket_timeout": 5,
    "socket_connect_timeout": 3,
    # Publishing gives up fast when Redis is down (work waits in the database, see core.queue).
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Urgent work (OTP, payments) never waits behind bulk work (reminders).
CELERY_TASK_QUEUES_NAMES = ["urgent", "default", "bulk"]

# --- REST framework -------------------------------------------------------------------------------

API_THROTTLING = env.bool("API_THROTTLING", default=True)
# Failed admin logins per client address; then the address waits for the window's end (core.ratelimit).
THROTTLE_ADMIN_LOGIN = env("THROTTLE_ADMIN_LOGIN", default="10/hour")

THROTTLE_RATES = {
    "anon": env("THROTTLE_ANON", default="120/min"),
    "user": env("THROTTLE_USER", default="600/min"),
    "signup": env("THROTTLE_SIGNUP", default="10/hour"),
    "login": env("THROTTLE_LOGIN", default="10/min"),
    "otp_send": env("THROTTLE_OTP_SEND", default="5/hour"),
    "otp_send_phone": env("THROTTLE_OTP_SEND_PHONE", default="1/min"),
    "otp_verify": env("THROTTLE_OTP_VERIFY", default="20/min"),
    "invoice_create": env("THROTTLE_INVOICE_CREATE", default="30/min"),
    "card_verify": env("THROTTLE_CARD_VERIFY", default="30/min"),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": (
        ["core.api.throttling.AnonRateThrottle", "core.api.throttling.UserRateThrottle"]
        if API_THROTTLING
        else []
    ),
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    # Trust X-Forwarded-For only through this many proxies (0: use the socket address), so a client
    # cannot dodge the IP throttles by forging the header. Behind one load balancer, set 1.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "core.api.errors.ExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "core.api.errors.ExceptionFormatter",
    # 413 is documented on the operations that read a body (core.api.schema.AutoSchema).
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "413", "415", "429"],
    "ERROR_SCHEMAS": {
        "401": "core.api.schema.UnauthorizedErrorResponse",
        "413": "core.api.schema.RequestTooLargeErrorResponse",
    },
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "BPU Sertakan API",
    "DESCRIPTION": (
        "Backend of the JMO 'Sertakan' feature: sponsors register and pay BPJS Ketenagakerjaan "
        "contributions (JKK, JKM, JHT) for informal workers (BPU). The groups below follow the app's journey: "
        "sign up and sign in, register workers (or yourself), price and bill months, pay, then the card, "
        "receipts and inbox. docs/api.md in the repository walks through it with curl.\n\n"
        "**Auth**: `Authorization: Bearer <access>` (POST /auth/token) on every operation not marked public. "
        "**Language**: `Accept-Language: id` (default) or `en` picks the language of every human-readable "
        "text. **Errors** always have the shape `{\"type\", \"errors\": [{\"code\", \"detail\", \"attr\"}]}` "
        "(drf-standardized-errors): `type` is `validation_error` for 400, else `client_error` or "
        "`server_error`; `code` is stable, `attr` names the field (`items.1.months`) or is null; every answer "
        "below lists its codes with an example of each. Another user's object answers 404, never 403. "
        "**Lists** of resources are paginated by cursor (`{next, previous, results}`, `page_size` 1 to 100); "
        "reference lists are plain arrays. **Money** is whole rupiah; months are `YYYY-MM`, timestamps ISO "
        "8601 with offset (WIB). **Retries**: POST /invoices takes an `Idempotency-Key`. **Limits**: 429 "
        "`throttled` with `Retry-After` (per client, per phone for SMS codes); 413 `request_too_large` for "
        "a body over the limit.\n\n"
        "Any request may also be refused before it reaches an operation, in the same error shape: "
        "400 `bad_host` (a Host the server does not serve), 400 `bad_request` (a malformed HTTP "
        "request), 414 `uri_too_long` (a request line over 4,094 bytes) and 431 `headers_too_large`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI (/api/docs/) and ReDoc (/api/redoc/) from drf-spectacular-sidecar's static files, a
    # pinned version served by the app itself: they work offline, and no third party sees who reads
    # the docs. No online validator either (its badge is an image from validator.swagger.io).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ProgrammeEnum": "registration.choices.Programme.choices",
        "CoverageStatusEnum": ["not_started", "active", "arrears", "lapsed"],
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
        "ParseErrorCodeEnum": "drf_standardized_errors.openapi_serializers.ParseErrorCodeEnum.choices",
        "EnrollmentStatusEnum": "registration.choices.EnrollmentStatus.choices",
        "CoverageStatusEnum": "registration.selectors.COVERAGE_STATUSES",
        "PaymentMethodEnum": "contributions.gateways.methods.CHOICES",
        "PaymentMethodKindEnum": "contributions.gateways.methods.KIND_CHOICES",
        "OneOffPaymentMethodEnum": "contributions.gateways.methods.ONE_OFF_CHOICES",
        "AutopayMethodEnum": "contributions.choices.AutopayMethod.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "core.api.schema.item_attrs_as_patterns",
        # One example per documented error code of every operation (after the enums are final).
        "core.api.openapi.error_examples",
    ],
    # The operations' groups, in the order of the app's journey. Each app's api/openapi.py documents its
    # operations (summary, description, examples) and puts them in these groups.
    "TAGS": [
        {"name": "auth", "description": "Sign up, verify the phone with the SMS code, sign in (JWT), renew, sign out."},
        {"name": "me", "description": "The signed-in account: profile, language, reminder channels, push devices."},
        {"name": "reference", "description": "Public reference data for the forms: occupations and income levels."},
        {"name": "workers", "description": "Enroll workers (or yourself), the worker's consent by SMS code, "
         "changes, ending a sponsorship."},
        {"name": "sponsorships", "description": "The worker's own view of who sponsors them, and withdrawing "
         "consent (UU PDP)."},
        {"name": "quotes", "description": "What some months cost, before billing them."},
        {"name": "payment-methods", "description": "How an invoice can be paid: VA, bill, QRIS, e-wallet, stores."},
        {"name": "invoices", "description": "Bill months for workers (with an Idempotency-Key), follow and cancel "
         "invoices."},
        {"name": "payments", "description": "The gateways' notifications (webhooks) and the payment simulator."},
        {"name": "card-and-receipts", "description": "The member's card (JSON, PDF, PNG), benefits, and the "
         "receipt of a paid invoice."},
        {"name": "inbox", "description": "The caller's messages: reminders, payments, enrollment news."},
        {"name": "autopay", "description": "Automatic monthly payment from a linked GoPay account or card."},
        {"name": "verify", "description": "Public: check a membership card from its QR code."},
    ],
}

# --- Tokens ---------------------------------------------------------------------------------------

JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default="")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- Personal data --------------------------------------------------------------------------------

# Fernet keys (comma-separated, newest first: older ones still decrypt, for rotation).
NIK_ENCRYPTION_KEYS = env.list("NIK_ENCRYPTION_KEYS", default=[])
# Key of the HMAC blind index used to find and de-duplicate NIKs without decrypting them.
NIK_HASH_KEY = env("NIK_HASH_KEY", default="")

# Keys that sign the membership card's QR code (registration/cardcode.py), comma-separated, newest
# first: new codes are signed with the first, and a code signed with any of them is accepted, so a
# key can be rotated without reprinting the cards signed with the one before.
CARD_SIGNING_KEY = env.list("CARD_SIGNING_KEY", default=[])
# Where the public reaches this API: the card's QR holds {PUBLIC_BASE_URL}/api/v1/verify/{code}.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Domain rules ---------------------------------------------------------------------------------

OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
# Failed logins never lock an account. After this many on one account within an hour, the right
# password alone is not enough: the login also needs a code sent to the account's phone (step-up).
LOGIN_STEP_UP_AFTER = env.int("LOGIN_STEP_UP_AFTER", default=5)
# After this many within an hour (somebody is guessing), every later login of the account needs a
# code, until its password changes: a password found by guessing stays useless without the phone.
LOGIN_STEP_UP_ALWAYS_AFTER = env.int("LOGIN_STEP_UP_ALWAYS_AFTER", default=20)

WORKER_MIN_AGE = env.int("WORKER_MIN_AGE", default=17)
WORKER_MAX_AGE = env.int("WORKER_MAX_AGE", default=64)
SPONSOR_MAX_OPEN_ENROLLMENTS = env.int("SPONSOR_MAX_OPEN_ENROLLMENTS", default=10)
# More enrollments than this by one sponsor within 24 h sends the next ones to review.
SPONSOR_BURST_LIMIT = env.int("SPONSOR_BURST_LIMIT", default=5)
# Limits against SMS abuse (QUALITY.md Security 12). Registrations by one sponsor in any 24 h (ended and
# expired ones count): a business rule that API_THROTTLING=false leaves on. Consent codes sent to one
# phone number in any 24 h: a throttle, off with API_THROTTLING=false like the other code throttles.
SPONSOR_DAILY_REGISTRATIONS = env.int("SPONSOR_DAILY_REGISTRATIONS", default=5)
CONSENT_SMS_PER_PHONE_DAILY = env.int("CONSENT_SMS_PER_PHONE_DAILY", default=3)
REVIEW_MODE = env("REVIEW_MODE", default="flagged")
CONSENT_NOTICE_VERSION = env("CONSENT_NOTICE_VERSION", default="2026-01")
# A registration still awaiting the worker's consent this long after it was made expires (frees the NIK).
CONSENT_TTL_HOURS = env.int("CONSENT_TTL_HOURS", default=72)
# The civil registry (Dukcapil) NIK check: `local` (development: a seed file) or `http` (the NIK
# verification service, docs/civil-registry.md). Production refuses `local` unless REVIEW_MODE=all.
CIVIL_REGISTRY_BACKEND = env("CIVIL_REGISTRY_BACKEND", default="local")
CIVIL_REGISTRY_URL = env("CIVIL_REGISTRY_URL", default="")
CIVIL_REGISTRY_TOKEN = env("CIVIL_REGISTRY_TOKEN", default="")
# Seconds to wait for the service's answer (connecting takes at most 3 of them). The check runs while
# the worker's consent is recorded: a registry that does not answer in time sends it to review.
CIVIL_REGISTRY_TIMEOUT = env.float("CIVIL_REGISTRY_TIMEOUT", default=5.0)

# --- Notifications --------------------------------------------------------------------------------

NOTIFY_SMS_BACKEND = env("NOTIFY_SMS_BACKEND", default="console")
# WhatsApp and push follow the SMS backend while it is a development one (console, file, null).
_DEV_BACKENDS = {"console", "file", "null"}
NOTIFY_WHATSAPP_BACKEND = env(
    "NOTIFY_WHATSAPP_BACKEND", default=NOTIFY_SMS_BACKEND if NOTIFY_SMS_BACKEND in _DEV_BACKENDS else "http"
)
NOTIFY_PUSH_BACKEND = env(
    "NOTIFY_PUSH_BACKEND", default=NOTIFY_SMS_BACKEND if NOTIFY_SMS_BACKEND in _DEV_BACKENDS else "fcm"
)
NOTIFY_FILE_PATH = env("NOTIFY_FILE_PATH", default=str(BASE_DIR / "var" / "notifications.jsonl"))
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
WHATSAPP_API_URL = env("WHATSAPP_API_URL", default="")
WHATSAPP_TOKEN = env("WHATSAPP_TOKEN", default="")
FCM_CREDENTIALS_FILE = env("FCM_CREDENTIALS_FILE", default="")

# --- Payments -------------------------------------------------------------------------------------

PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="simulator")
PAYMENT_SIMULATOR_SERVER_KEY = env("PAYMENT_SIMULATOR_SERVER_KEY", default="simulator-server-key")
MIDTRANS_SERVER_KEY = env("MIDTRANS_SERVER_KEY", default="")
MIDTRANS_BASE_URL = env("MIDTRANS_BASE_URL", default="https://api.sandbox.midtrans.com")
XENDIT_SECRET_KEY = env("XENDIT_SECRET_KEY", default="")
XENDIT_CALLBACK_TOKEN = env("XENDIT_CALLBACK_TOKEN", default="")
XENDIT_BASE_URL = env("XENDIT_BASE_URL", default="https://api.xendit.co")
# The method of an invoice whose request names none (API.md "Payment methods").
DEFAULT_PAYMENT_METHOD = env("DEFAULT_PAYMENT_METHOD", default="va_bca")
# The day of the month autopay charges the month's contributions (retries: the 12th and the 14th).
AUTOPAY_CHARGE_DAY = env.int("AUTOPAY_CHARGE_DAY", default=10)
# Where an e-wallet sends the payer back after paying (the app's link); empty: the gateway's dashboard setting.
PAYMENT_RETURN_URL = env("PAYMENT_RETURN_URL", default="")

# --- Logging --------------------------------------------------------------------------------------

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "core.logging.RedactPersonalDataFilter"}},
    "formatters": {
        "plain": {
            "()": "core.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_pii"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers (DEFAULT_LOGGING: a console under DEBUG, runserver's request lines)
        # write without the redaction, and with the root's console every event came out twice: the
        # django loggers have no handler of their own and hand everything to the root's console.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}


def validate_settings(settings: dict) -> None:
    """Refuse values that would silently disable a feature (CONVENTIONS.md: settings are validated)."""
    if settings["REVIEW_MODE"] not in {"flagged", "all"}:
        raise ImproperlyConfigured("REVIEW_MODE must be 'flagged' or 'all'.")
    if settings["PAYMENT_GATEWAY"] not in {"simulator", "midtrans", "xendit"}:
        raise ImproperlyConfigured("PAYMENT_GATEWAY must be 'simulator', 'midtrans' or 'xendit'.")
    # DEFAULT_PAYMENT_METHOD is checked against the method catalogue when the app loads
    # (contributions/apps.py): the catalogue is code, not settings.
    allowed = {
        "NOTIFY_SMS_BACKEND": {"console", "file", "null", "http"},
        "NOTIFY_WHATSAPP_BACKEND": {"console", "file", "null", "http"},
        "NOTIFY_PUSH_BACKEND": {"console", "file", "null", "fcm"},
    }
    for name, choices in allowed.items():
        if settings[name] not in choices:
            raise ImproperlyConfigured(f"{name} must be one of {', '.join(sorted(choices))}.")
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", settings["THROTTLE_ADMIN_LOGIN"]):
        raise ImproperlyConfigured("THROTTLE_ADMIN_LOGIN must be a rate such as 10/hour.")
    if not 0 < settings["LOGIN_STEP_UP_AFTER"] < settings["LOGIN_STEP_UP_ALWAYS_AFTER"]:
        raise ImproperlyConfigured(
            "LOGIN_STEP_UP_AFTER must be positive and below LOGIN_STEP_UP_ALWAYS_AFTER."
        )
    if settings["CIVIL_REGISTRY_BACKEND"] not in {"local", "http"}:
        raise ImproperlyConfigured("CIVIL_REGISTRY_BACKEND must be 'local' or 'http'.")
    if settings["CIVIL_REGISTRY_BACKEND"] == "http" and not settings["CIVIL_REGISTRY_URL"]:
        raise ImproperlyConfigured("CIVIL_REGISTRY_BACKEND=http needs CIVIL_REGISTRY_URL.")
    if not 0 < settings["CIVIL_REGISTRY_TIMEOUT"] <= 30:
        raise ImproperlyConfigured("CIVIL_REGISTRY_TIMEOUT must be more than 0 and at most 30 seconds.")
    if not 0 < settings["WORKER_MIN_AGE"] < settings["WORKER_MAX_AGE"]:
        raise ImproperlyConfigured("WORKER_MIN_AGE must be positive and below WORKER_MAX_AGE.")
    for name in ("SPONSOR_DAILY_REGISTRATIONS", "CONSENT_SMS_PER_PHONE_DAILY"):
        if settings[name] < 1:
            raise ImproperlyConfigured(f"{name} must be at least 1 (0 would refuse every registration).")
    if settings["CONSENT_TTL_HOURS"] < 1:
        raise ImproperlyConfigured("CONSENT_TTL_HOURS must be at least 1.")
