"""Production: refuses to start without its secrets, and passes `manage.py check --deploy`."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, validate_settings

DEBUG = False
# The base default points at a laptop; a printed card's QR must name the real public address.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="").rstrip("/")

_REQUIRED = {
    "SECRET_KEY": SECRET_KEY,  # noqa: F405
    "JWT_SIGNING_KEY": JWT_SIGNING_KEY,  # noqa: F405
    "NIK_HASH_KEY": NIK_HASH_KEY,  # noqa: F405
    "NIK_ENCRYPTION_KEYS": NIK_ENCRYPTION_KEYS,  # noqa: F405
    "CARD_SIGNING_KEY": CARD_SIGNING_KEY,  # noqa: F405
    "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    "DATABASE_URL": env("DATABASE_URL", default=""),
    "REDIS_URL": REDIS_URL,  # noqa: F405
}
_missing = sorted(name for name, value in _REQUIRED.items() if not value)
if _missing:
    raise ImproperlyConfigured(f"Production refuses to start without: {', '.join(_missing)}")
if len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters.")
if JWT_SIGNING_KEY == SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from SECRET_KEY.")
for _key in NIK_ENCRYPTION_KEYS:  # noqa: F405
    try:
        Fernet(_key)
    except ValueError as exc:
        raise ImproperlyConfigured("NIK_ENCRYPTION_KEYS holds a key that is not a Fernet key.") from exc
if any(len(_key) < 32 for _key in CARD_SIGNING_KEY):  # noqa: F405
    raise ImproperlyConfigured("Each CARD_SIGNING_KEY must be at least 32 characters.")
if not PUBLIC_BASE_URL.startswith("https://"):
    # Printed on every card: a plain-HTTP address would let anyone on the way answer for us.
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be an https:// address.")
if not API_THROTTLING:  # noqa: F405
    raise ImproperlyConfigured("API_THROTTLING=false is for load tests only; production refuses it.")
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="midtrans")
if PAYMENT_GATEWAY not in ("midtrans", "xendit"):
    # The simulator lets any signed-in sponsor mark their own invoice paid.
    raise ImproperlyConfigured("Production takes real payments only: PAYMENT_GATEWAY must be 'midtrans' or 'xendit'.")
# The gateway that opens payments needs its keys. Another gateway with keys set keeps answering its
# notifications (payments it opened before a switch still settle); one without keys answers 404.
_GATEWAY_KEYS = {
    "midtrans": {"MIDTRANS_SERVER_KEY": MIDTRANS_SERVER_KEY},  # noqa: F405
    "xendit": {"XENDIT_SECRET_KEY": XENDIT_SECRET_KEY, "XENDIT_CALLBACK_TOKEN": XENDIT_CALLBACK_TOKEN},  # noqa: F405
}
_missing = sorted(name for name, value in _GATEWAY_KEYS[PAYMENT_GATEWAY].items() if not value)
if _missing:
    raise ImproperlyConfigured(f"Production refuses to start without: {', '.join(_missing)}")
# Midtrans keys name their environment: a sandbox server key starts with "SB-", a production one does
# not (docs.midtrans.com/docs/retrieving-api-access-keys), and each works only at its own address. The
# address follows the key unless set; set, it must be the key's: a production key sent to the sandbox
# (or the reverse) would refuse every payment, and a sandbox key must not pass for real payments.
MIDTRANS_URLS = {"sandbox": "https://api.sandbox.midtrans.com", "production": "https://api.midtrans.com"}
if MIDTRANS_SERVER_KEY:  # noqa: F405
    _kind = "sandbox" if MIDTRANS_SERVER_KEY.startswith("SB-") else "production"  # noqa: F405
    MIDTRANS_BASE_URL = env("MIDTRANS_BASE_URL", default="").rstrip("/") or MIDTRANS_URLS[_kind]
    if MIDTRANS_BASE_URL != MIDTRANS_URLS[_kind]:
        raise ImproperlyConfigured(
            f"MIDTRANS_BASE_URL must be {MIDTRANS_URLS[_kind]} for a {_kind} MIDTRANS_SERVER_KEY"
            f" (sandbox keys start with SB-), not {MIDTRANS_BASE_URL}."
        )
# No simulator in production, whatever the environment says: its notification endpoint answers 404.
PAYMENT_SIMULATOR_SERVER_KEY = ""
NOTIFY_SMS_BACKEND = env("NOTIFY_SMS_BACKEND", default="http")
if NOTIFY_SMS_BACKEND != "http" or not SMS_GATEWAY_URL:  # noqa: F405
    # console and file would print codes and phone numbers; null would drop them.
    raise ImproperlyConfigured("Production sends SMS through the HTTP gateway: set SMS_GATEWAY_URL.")
NOTIFY_WHATSAPP_BACKEND = env("NOTIFY_WHATSAPP_BACKEND", default="http")
NOTIFY_PUSH_BACKEND = env("NOTIFY_PUSH_BACKEND", default="fcm")
if NOTIFY_WHATSAPP_BACKEND != "http" or NOTIFY_PUSH_BACKEND != "fcm":
    # The API offers every sponsor WhatsApp and push reminders (API.md, /me): production sends them.
    raise ImproperlyConfigured("Production uses NOTIFY_WHATSAPP_BACKEND=http and NOTIFY_PUSH_BACKEND=fcm.")
_PROVIDERS = ("WHATSAPP_API_URL", "WHATSAPP_TOKEN", "FCM_CREDENTIALS_FILE")
_missing = sorted(name for name in _PROVIDERS if not globals()[name])
if _missing:
    # Without them every WhatsApp or push reminder would fail: both are always on in production.
    raise ImproperlyConfigured(f"Production refuses to start without: {', '.join(_missing)}")
CIVIL_REGISTRY_BACKEND = env("CIVIL_REGISTRY_BACKEND", default="http")
if CIVIL_REGISTRY_BACKEND == "local" and REVIEW_MODE != "all":  # noqa: F405
    # `local` answers "match" for any NIK it does not know: every enrollment would be approved
    # unchecked. Only with a person reviewing every enrollment may a deployment run without the registry.
    raise ImproperlyConfigured("CIVIL_REGISTRY_BACKEND=local is refused in production unless REVIEW_MODE=all.")
if CIVIL_REGISTRY_BACKEND == "http":
    _missing = sorted(name for name in ("CIVIL_REGISTRY_URL", "CIVIL_REGISTRY_TOKEN") if not globals()[name])
    if _missing:
        raise ImproperlyConfigured(f"Production refuses to start without: {', '.join(_missing)}")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The API is never answered with a redirect (API.md): mobile clients and gateways read one as a failure.
# The load balancer only listens on HTTPS for them; the redirect is for browsers opening the admin.
SECURE_REDIRECT_EXEMPT = [r"^api/", r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

validate_settings(globals())
