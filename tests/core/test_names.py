"""A person's name (core.names): what API.md allows, and nothing a sender could use as a message of
their own (QUALITY.md Security 12)."""

import pytest

from core.names import InvalidName, name_normalize, name_quotable


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Siti Aminah", "Siti Aminah"),
        ("  Siti   Aminah ", "Siti Aminah"),  # surrounding and double spaces
        ("Siti\tAminah\n", "Siti Aminah"),  # any whitespace is a space
        ("Ni Luh Putu Ayu", "Ni Luh Putu Ayu"),
        ("R.A. Kartini", "R.A. Kartini"),  # initials
        ("Moh. Hatta", "Moh. Hatta"),
        ("Ma'ruf Amin", "Ma'ruf Amin"),
        ("Ma\u2019ruf Amin", "Ma'ruf Amin"),  # a phone keyboard's apostrophe
        ("Siti Nur-Aini", "Siti Nur-Aini"),
        ("Santoso, Budi", "Santoso, Budi"),
        ("Gusti Ngurah Ráka", "Gusti Ngurah Ráka"),  # accented
        ("Nguye\u0302\u0303n Văn An", "Nguyễn Văn An"),  # combining marks, composed (NFC)
        ("Zoë O'Neil-Šarić", "Zoë O'Neil-Šarić"),
        ("محمد علي", "محمد علي"),  # Arabic script
        ("王小明", "王小明"),
        ("Ab", "Ab"),  # 2 characters
        ("A" * 100, "A" * 100),  # 100 characters
    ],
)
def test_valid_names_are_kept_in_canonical_form(raw, expected):
    assert name_normalize(raw) == expected
    assert name_quotable(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "BPJSTK: akun Anda diblokir, buka http://bpjs-cek.example",  # the probe's name
        "http://evil.example",
        "www.evil.example",
        "bpjs.id",  # a bare domain: phones make it a link
        "Klik bpjstk.online",
        "x.com",
        "BPJS\uff0eid",  # a full-width dot
        "Budi 2",  # a digit
        "Hubungi 081234567890",  # a digit run
        "Budi \u0662\u0663",  # Arabic-Indic digits
        "Budi_Santoso",
        "Budi/Santoso",
        "Budi@Santoso",
        "Budi Santoso!",
        "Budi (Pak RT)",
        "Budi\u200bSantoso",  # a zero-width space
        "Budi \U0001F600",  # an emoji
        "\u0301Budi",  # a combining mark with no letter
        "A",  # too short
        "  A  ",  # too short once trimmed
        "",
        "   ",
        "A" * 101,  # too long
        "..",  # no letter
        "-- ''",
    ],
)
def test_anything_else_is_invalid(raw):
    with pytest.raises(InvalidName):
        name_normalize(raw)
    assert name_quotable(raw) is None


@pytest.mark.parametrize("value", [None, 12, ["Budi"]])
def test_a_stored_value_that_is_not_text_is_not_quotable(value):
    assert name_quotable(value) is None
