"""The code in a membership card's QR: names the member, cannot be made up or altered, hides the KPJ.

The code stands for the member's KPJ number: issued at the first approval and never changed or
reissued (API.md, Members), so a printed card stays valid for the member's life whoever pays later.
(An enrollment id would not do: each new sponsorship of the same person has its own.) The KPJ is
not readable from the code: the public answer masks it, so a forwarded link must not reveal it.

Construction: deterministic authenticated encryption (SIV) built from HMAC-SHA256 with a
`CARD_SIGNING_KEY`:
    tag  = HMAC(key, "card-tag" | kpj)[:16]            the signature (128 bits)
    body = kpj XOR HMAC(key, "card-pad" | tag)[:5]     the KPJ (11 digits, packed in 5 bytes), hidden
    code = base64url(tag | body), 28 characters
Reading recovers the KPJ with each key and recomputes the tag; a code matches when a key gives the tag
it carries (compared in constant time). Every key is tried whatever matched, so the time taken does
not depend on which key signed the code, or whether one did. The same member gets the same code from
the same key, so the card's QR does not change between downloads.

Rotation: CARD_SIGNING_KEY lists keys newest first. New codes are signed with the first; a code
signed with any listed key reads. Drop a key from the list only when the cards it signed may die.
"""

import base64
import binascii
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TAG_BYTES = 16
KPJ_BYTES = 5  # 11 decimal digits < 2**40
CODE_LENGTH = 28  # base64url of 21 bytes, without padding


def _keys() -> list[bytes]:
    keys = [key.encode() for key in settings.CARD_SIGNING_KEY if key]
    if not keys:
        raise ImproperlyConfigured("CARD_SIGNING_KEY is empty.")
    return keys


def _mac(key: bytes, label: bytes, data: bytes) -> bytes:
    return hmac.new(key, label + b"\x00" + data, hashlib.sha256).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def card_code_for(kpj_number: str) -> str:
    """The code of the member with this KPJ, signed with the newest key."""
    if not (len(kpj_number) == 11 and kpj_number.isascii() and kpj_number.isdigit()):
        raise ValueError("a KPJ number is 11 digits")
    key = _keys()[0]
    plain = int(kpj_number).to_bytes(KPJ_BYTES, "big")
    tag = _mac(key, b"card-tag", plain)[:TAG_BYTES]
    body = _xor(plain, _mac(key, b"card-pad", tag)[:KPJ_BYTES])
    return base64.urlsafe_b64encode(tag + body).decode().rstrip("=")


def card_code_read(code: str) -> str | None:
    """The KPJ number a genuine code stands for; None for anything forged, altered or malformed."""
    if not isinstance(code, str) or len(code) != CODE_LENGTH or not code.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        return None
    # The decoder skips characters outside the alphabet: accept only the exact spelling it encodes to.
    if len(raw) != TAG_BYTES + KPJ_BYTES or base64.urlsafe_b64encode(raw).decode().rstrip("=") != code:
        return None
    tag, body = raw[:TAG_BYTES], raw[TAG_BYTES:]
    found = None
    for key in _keys():
        plain = _xor(body, _mac(key, b"card-pad", tag)[:KPJ_BYTES])
        if hmac.compare_digest(_mac(key, b"card-tag", plain)[:TAG_BYTES], tag) and found is None:
            found = plain
    if found is None:
        return None
    number = int.from_bytes(found, "big")
    return f"{number:011d}" if number < 10**11 else None


def verify_url(kpj_number: str) -> str:
    """The public address a card's QR holds (API.md): `{PUBLIC_BASE_URL}/api/v1/verify/{code}`."""
    return f"{settings.PUBLIC_BASE_URL}/api/v1/verify/{card_code_for(kpj_number)}"
