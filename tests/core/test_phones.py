"""Indonesian mobile numbers: accepted formats, E.164 output, rejections, masking (API.md)."""

import re

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.phones import InvalidPhone, mask_phone, normalize_phone, normalize_phone_or_none

HYPOTHESIS = settings(max_examples=200, deadline=None)

E164 = "+6281234567890"

MOBILE_PREFIXES = [
    "0811", "0812", "0813",
    "0821", "0822", "0823",
    "0851", "0852", "0853",
    "0855", "0856", "0857", "0858", "0859",
    "0877", "0878",
    "0881", "0882", "0883", "0884", "0885", "0886", "0887", "0888", "0889",
    "0895", "0896", "0897", "0898", "0899",
]  # fmt: skip


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "62812 3456 7890",
        "6281234567890",
        "+6281234567890",
        "+62 812-3456-7890",
        "  0812-3456-7890  ",
    ],
)
def test_every_accepted_format_normalises_to_e164(raw):
    assert normalize_phone(raw) == E164
    assert normalize_phone_or_none(raw) == E164


@pytest.mark.parametrize(
    "raw",
    [
        "021-5551234",  # Jakarta landline
        "0215551234",
        "+62215551234",
        "62215551234",
        "+6591234567",  # Singapore mobile
        "6591234567",
        "+60123456789",  # Malaysia mobile
        "+14155552671",  # US
        "abc",
        "0812-abcd-7890",
        "",
        "   ",
        "0812",  # too short
        "08123",
        "+62812",
        "0812345678901234",  # too long (16 digits)
        "081234567890123456789012",  # far too long
        "+62 812 3456 7890 1234",
        "++6281234567890",
        "0812/3456/7890",
    ],
)
def test_rejections(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)
    assert normalize_phone_or_none(raw) is None


@pytest.mark.parametrize("raw", [None, 123, 81234567890, 6281234567890, 8.1, b"081234567890", ["081234567890"]])
def test_non_strings_are_rejected(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)
    assert normalize_phone_or_none(raw) is None


def test_invalid_phone_is_a_value_error():
    with pytest.raises(ValueError):
        normalize_phone("abc")


@st.composite
def indonesian_mobiles(draw):
    """A valid Indonesian mobile number in national format (`08…`), checked with phonenumbers itself."""
    prefix = draw(st.sampled_from(MOBILE_PREFIXES))
    rest = draw(st.text(alphabet="0123456789", min_size=6, max_size=9))
    local = prefix + rest
    number = phonenumbers.parse(local, "ID")
    assume(phonenumbers.is_valid_number(number))
    assume(
        phonenumbers.number_type(number)
        in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    )
    return local


def group(digits: str, sep: str, sizes=(4, 4)) -> str:
    parts, i = [], 0
    for size in sizes:
        if i >= len(digits):
            break
        parts.append(digits[i : i + size])
        i += size
    if i < len(digits):
        parts.append(digits[i:])
    return sep.join(p for p in parts if p)


@HYPOTHESIS
@given(indonesian_mobiles(), st.sampled_from(["-", " "]))
def test_valid_mobiles_normalise_idempotently_in_every_format(local, sep):
    expected = "+62" + local[1:]
    e164 = normalize_phone(local)
    assert e164 == expected
    assert re.fullmatch(r"\+628\d{8,11}", e164)
    # Idempotent.
    assert normalize_phone(e164) == e164
    # With separators, with 62 / +62 / +62 and a space.
    national = local[1:]
    assert normalize_phone(group(local, sep)) == e164
    assert normalize_phone(national.join(["62", ""])) == e164
    assert normalize_phone("62" + group(national, sep, (3, 4))) == e164
    assert normalize_phone("+62" + national) == e164
    assert normalize_phone("+62 " + group(national, sep, (3, 4))) == e164
    assert normalize_phone_or_none(group(local, sep)) == e164


@HYPOTHESIS
@given(indonesian_mobiles())
def test_mask_phone_hides_the_middle(local):
    e164 = normalize_phone(local)
    masked = mask_phone(e164)
    assert len(masked) == len(e164)
    assert masked.startswith(e164[:6])  # +62 and the operator prefix
    assert masked.endswith(e164[-4:])
    middle = masked[6:-4]
    assert middle and set(middle) == {"*"}
    assert masked != e164


def test_mask_phone_example():
    assert mask_phone("+6281234567890") == "+62812****7890"


def test_mask_phone_of_a_short_value_hides_everything():
    assert mask_phone("+628") == "****"


def test_non_ascii_digits_are_refused():
    """Only ASCII digits: look-alike digits in other scripts are not a phone number we can text."""
    with pytest.raises(InvalidPhone):
        normalize_phone("٠٨١٢٣٤٥٦٧٨٩٠")
