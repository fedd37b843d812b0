"""Error details say what is wrong (issue 19 item 10): a NIK of the wrong shape answered
"NIK tidak valid: {reason}." with the placeholder unfilled, and an unknown reminder channel answered
"must not repeat". Each shape now has its own reason, in Indonesian and in English."""

import importlib

import pytest

from core.api.fields import DomainCodeMixin
from core.messages import MESSAGES
from registration.models import Enrollment
from sponsors.models import User
from tests.api import first_error
from tests.factories import worker_payload

API = "/api/v1"

FULL_WIDTH = "\uff13\uff11\uff17\uff14\uff10\uff11\uff14\uff15\uff10\uff17\uff19\uff10\uff10\uff10\uff10\uff11"
ARABIC_INDIC = "\u0663\u0661\u0667\u0664\u0660\u0661\u0664\u0665\u0660\u0667\u0669\u0660\u0660\u0660\u0660\u0661"


def detail(response, code: str, attr: str) -> str:
    assert response.status_code == 400, response.content
    assert first_error(response) == (code, attr)
    text = response.json()["errors"][0]["detail"]
    assert "{" not in text and "}" not in text, text
    return text


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize(
    "nik, indonesian, english",
    [
        ("317401450790001", "NIK tidak valid: harus 16 digit, bukan 15.", "Invalid NIK: it must be 16 digits, not 15."),
        ("31740145079000011", "NIK tidak valid: harus 16 digit, bukan 17.", "Invalid NIK: it must be 16 digits, not 17."),
        ("", "NIK tidak valid: harus 16 digit, bukan 0.", "Invalid NIK: it must be 16 digits, not 0."),
        (FULL_WIDTH, "NIK tidak valid: hanya boleh berisi angka 0-9.", "Invalid NIK: it may only hold the digits 0-9."),
        (ARABIC_INDIC, "NIK tidak valid: hanya boleh berisi angka 0-9.", "Invalid NIK: it may only hold the digits 0-9."),
        ("317401450790000A", "NIK tidak valid: hanya boleh berisi angka 0-9.", "Invalid NIK: it may only hold the digits 0-9."),
        ("3174-0145079000", "NIK tidak valid: hanya boleh berisi angka 0-9.", "Invalid NIK: it may only hold the digits 0-9."),
        (
            3174014507900001,
            "NIK tidak valid: kirim sebagai teks 16 digit dalam tanda kutip, bukan sebagai angka.",
            "Invalid NIK: send it as a string of 16 digits in quotes, not as a number.",
        ),
        (
            3.174014507900001e15,
            "NIK tidak valid: kirim sebagai teks 16 digit dalam tanda kutip, bukan sebagai angka.",
            "Invalid NIK: send it as a string of 16 digits in quotes, not as a number.",
        ),
        (
            ["3174014507900001"],
            "NIK tidak valid: kirim sebagai teks 16 digit.",
            "Invalid NIK: send it as a string of 16 digits.",
        ),
        ("9974014507900001", "NIK tidak valid: kode provinsi tidak dikenal.", "Invalid NIK: unknown province code."),
        (
            "3174017102900001",
            "NIK tidak valid: tanggal lahir di dalam NIK tidak valid.",
            "Invalid NIK: the birth date inside the NIK is not a real date.",
        ),
        ("3174014507900000", "NIK tidak valid: nomor urut tidak boleh 0000.", "Invalid NIK: the serial number cannot be 0000."),
    ],
    ids=["15-digits", "17-digits", "empty", "full-width", "arabic-indic", "a-letter", "a-dash", "json-number",
         "json-float", "a-list", "province", "date", "serial"],
)
def test_nik_invalid_gives_the_real_reason(auth_client, nik, indonesian, english):
    body = worker_payload(nik=nik)
    assert detail(auth_client.post(f"{API}/workers", body, format="json"), "nik_invalid", "nik") == indonesian
    response = auth_client.post(f"{API}/workers", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert detail(response, "nik_invalid", "nik") == english
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    "channels, indonesian, english",
    [
        (
            ["sms", "fax"],
            'Saluran pengingat tidak valid: saluran "fax" tidak dikenal, pilih dari sms, whatsapp, push.',
            'Invalid reminder channels: unknown channel "fax", choose from sms, whatsapp, push.',
        ),
        (
            ["email"],
            'Saluran pengingat tidak valid: saluran "email" tidak dikenal, pilih dari sms, whatsapp, push.',
            'Invalid reminder channels: unknown channel "email", choose from sms, whatsapp, push.',
        ),
        (
            [None],
            "Saluran pengingat tidak valid: saluran null tidak dikenal, pilih dari sms, whatsapp, push.",
            "Invalid reminder channels: unknown channel null, choose from sms, whatsapp, push.",
        ),
        (
            ["sms", "push", "sms"],
            'Saluran pengingat tidak valid: saluran "sms" disebut lebih dari sekali.',
            'Invalid reminder channels: channel "sms" is listed more than once.',
        ),
        (
            "sms",
            'Saluran pengingat tidak valid: kirim sebagai daftar, misalnya ["sms", "push"].',
            'Invalid reminder channels: send a list, e.g. ["sms", "push"].',
        ),
    ],
    ids=["fax", "email", "null", "repeated", "not-a-list"],
)
def test_reminder_channels_invalid_says_which_mistake(auth_client, user, channels, indonesian, english):
    before = list(User.objects.get(pk=user.pk).reminder_channels)
    body = {"reminder_channels": channels}
    response = auth_client.patch(f"{API}/me", body, format="json")
    assert detail(response, "reminder_channels_invalid", "reminder_channels") == indonesian
    response = auth_client.patch(f"{API}/me", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert detail(response, "reminder_channels_invalid", "reminder_channels") == english
    assert User.objects.get(pk=user.pk).reminder_channels == before


def test_a_long_unknown_channel_is_echoed_cut_short(auth_client):
    response = auth_client.patch(f"{API}/me", {"reminder_channels": ["x" * 5000]}, format="json")
    text = detail(response, "reminder_channels_invalid", "reminder_channels")
    assert len(text) < 150 and "…" in text


def _coded_fields() -> set[str]:
    """The codes of every serializer field of the API that reports its errors with one domain code."""
    codes = set()

    def walk(fields):
        for field in fields.values():
            if isinstance(field, DomainCodeMixin):
                codes.add(field.domain_code)
            for nested in (field, getattr(field, "child", None)):
                if hasattr(nested, "fields"):
                    walk(nested.fields)

    for app in ("sponsors", "registration", "contributions"):
        module = importlib.import_module(f"{app}.api.serializers")
        for value in vars(module).values():
            if isinstance(value, type) and hasattr(value, "_declared_fields"):
                walk(value._declared_fields)
    return codes


def test_no_code_a_field_reports_alone_has_a_placeholder_to_fill():
    """A field that answers `message(code)` with no parameters must not have a `{…}` in its text."""
    codes = _coded_fields()
    assert {"occupation_invalid", "programmes_invalid"} <= codes
    for code in codes:
        for language, text in MESSAGES[code].items():
            assert "{" not in text, (code, language, text)
