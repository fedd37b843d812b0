"""Encryption at rest and blind indexes for personal identifiers (UU PDP 27/2022).

The NIK is stored as Fernet ciphertext (AES-128-CBC + HMAC-SHA256) and found by an HMAC-SHA256 blind
index under a separate key, so equality lookups and the one-open-enrollment-per-NIK constraint work
without ever decrypting. `NIK_ENCRYPTION_KEYS` may hold several keys (newest first) for rotation.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("NIK_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_text(plaintext: str) -> str:
    return _fernet(tuple(settings.NIK_ENCRYPTION_KEYS)).encrypt(plaintext.encode()).decode()


def decrypt_text(ciphertext: str) -> str:
    return _fernet(tuple(settings.NIK_ENCRYPTION_KEYS)).decrypt(ciphertext.encode()).decode()


def blind_index(value: str) -> str:
    """Keyed hash (hex) of an identifier, for uniqueness and exact lookup."""
    if not settings.NIK_HASH_KEY:
        raise ImproperlyConfigured("NIK_HASH_KEY is empty.")
    return hmac.new(settings.NIK_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def keyed_digest(purpose: str, value: str) -> str:
    """Keyed hash of a short secret (an OTP code), bound to its purpose, under SECRET_KEY."""
    key = hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
