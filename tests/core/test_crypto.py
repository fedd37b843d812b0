"""Encryption at rest and the blind index of the NIK (DOMAIN.md "NIK")."""

import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.crypto import blind_index, decrypt_text, encrypt_text, keyed_digest

NIK = "3174014507900001"


def test_round_trip():
    token = encrypt_text(NIK)
    assert isinstance(token, str)
    assert decrypt_text(token) == NIK


@hypothesis_settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_round_trip_any_text(text):
    assert decrypt_text(encrypt_text(text)) == text


def test_ciphertext_does_not_contain_the_plaintext():
    token = encrypt_text(NIK)
    assert NIK not in token
    assert NIK[:8] not in token
    assert NIK[-8:] not in token
    assert "14507900" not in token


def test_encryption_is_randomised_but_blind_index_is_deterministic():
    first, second = encrypt_text(NIK), encrypt_text(NIK)
    assert first != second
    assert decrypt_text(first) == decrypt_text(second) == NIK
    assert blind_index(NIK) == blind_index(NIK)
    assert blind_index(NIK) != blind_index("3174014507900002")


def test_blind_index_is_a_keyed_hmac_not_a_plain_hash(settings):
    index = blind_index(NIK)
    assert len(index) == 64 and int(index, 16) >= 0
    assert NIK not in index
    assert index != hashlib.sha256(NIK.encode()).hexdigest()
    expected = hmac.new(settings.NIK_HASH_KEY.encode(), NIK.encode(), hashlib.sha256).hexdigest()
    assert index == expected


def test_blind_index_changes_with_the_hash_key(settings):
    before = blind_index(NIK)
    settings.NIK_HASH_KEY = "another-nik-hash-key"
    after = blind_index(NIK)
    assert after != before
    assert blind_index(NIK) == after


def test_blind_index_does_not_depend_on_the_encryption_key(settings):
    before = blind_index(NIK)
    settings.NIK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert blind_index(NIK) == before


def test_blind_index_refuses_an_empty_key(settings):
    settings.NIK_HASH_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        blind_index(NIK)


def test_encryption_refuses_empty_keys(settings):
    settings.NIK_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        encrypt_text(NIK)


def test_key_rotation_old_ciphertext_still_decrypts(settings):
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    settings.NIK_ENCRYPTION_KEYS = [old_key]
    old_token = encrypt_text(NIK)

    settings.NIK_ENCRYPTION_KEYS = [new_key, old_key]
    assert decrypt_text(old_token) == NIK
    new_token = encrypt_text(NIK)
    assert decrypt_text(new_token) == NIK
    # New ciphertext is made with the newest key: it decrypts with the new key alone, not the old one.
    assert Fernet(new_key.encode()).decrypt(new_token.encode()).decode() == NIK
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(new_token.encode())

    # Once the old key is dropped, the old ciphertext no longer decrypts.
    settings.NIK_ENCRYPTION_KEYS = [new_key]
    assert decrypt_text(new_token) == NIK
    with pytest.raises(InvalidToken):
        decrypt_text(old_token)


def test_ciphertext_under_an_unknown_key_is_refused(settings):
    token = encrypt_text(NIK)
    settings.NIK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(InvalidToken):
        decrypt_text(token)


def test_tampered_ciphertext_is_refused():
    token = encrypt_text(NIK)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(InvalidToken):
        decrypt_text(tampered)


def test_keyed_digest_depends_on_purpose_value_and_secret(settings):
    digest = keyed_digest("otp:signup", "123456")
    assert digest == keyed_digest("otp:signup", "123456")
    assert len(digest) == 64
    assert "123456" not in digest
    assert digest != keyed_digest("otp:consent", "123456")
    assert digest != keyed_digest("otp:signup", "123457")
    assert digest != hashlib.sha256(b"123456").hexdigest()
    settings.SECRET_KEY = "another-secret-key-0123456789abcdef0123456789abcdef"
    assert keyed_digest("otp:signup", "123456") != digest


def test_keyed_digest_is_not_the_blind_index():
    assert keyed_digest("nik", NIK) != blind_index(NIK)
