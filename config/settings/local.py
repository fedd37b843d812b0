"""Trying the app on a laptop: SQLite and in-process tasks unless DATABASE_URL and REDIS_URL say otherwise.

The keys below are public development values. Production refuses to start with them (production.py).
"""

from .base import *  # noqa: F403
from .base import env, validate_settings

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-secret-key-not-for-production-0123456789abcdef")
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default="dev-only-jwt-signing-key-not-for-production-0123456789")
SIMPLE_JWT["SIGNING_KEY"] = JWT_SIGNING_KEY  # noqa: F405
NIK_ENCRYPTION_KEYS = env.list(
    "NIK_ENCRYPTION_KEYS", default=["ZGV2LW9ubHktbmlrLWtleS1ub3QtZm9yLXByb2R1Y3Q="]
)
NIK_HASH_KEY = env("NIK_HASH_KEY", default="dev-only-nik-hash-key")
CARD_SIGNING_KEY = env.list("CARD_SIGNING_KEY", default=["dev-only-card-signing-key-not-for-production"])

validate_settings(globals())
