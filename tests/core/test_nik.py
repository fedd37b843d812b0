"""NIK parsing, gender, birth date and masking (DOMAIN.md "NIK", API.md "nik_masked")."""

import datetime
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.nik import PROVINCES, InvalidNik, Nik, mask_nik, parse_nik

HYPOTHESIS = settings(max_examples=200, deadline=None)

# DOMAIN.md: 11–19, 21, 31–36, 51–53, 61–65, 71–76, 81, 82, 91–96.
DOMAIN_PROVINCES = (
    [f"{n}" for n in range(11, 20)]
    + ["21"]
    + [f"{n}" for n in range(31, 37)]
    + [f"{n}" for n in range(51, 54)]
    + [f"{n}" for n in range(61, 66)]
    + [f"{n}" for n in range(71, 77)]
    + ["81", "82"]
    + [f"{n}" for n in range(91, 97)]
)
UNKNOWN_PROVINCES = sorted(f"{n:02d}" for n in range(100) if f"{n:02d}" not in DOMAIN_PROVINCES)

two_digits = st.integers(0, 99).map(lambda n: f"{n:02d}")
provinces = st.sampled_from(sorted(PROVINCES))
birth_dates = st.dates(min_value=datetime.date(1940, 1, 1), max_value=datetime.date(2025, 12, 31))
genders = st.sampled_from(["M", "F"])
serials = st.integers(1, 9999).map(lambda n: f"{n:04d}")


def build_nik(province: str, regency: str, district: str, birth: datetime.date, gender: str, serial: str) -> str:
    day = birth.day + (40 if gender == "F" else 0)
    return f"{province}{regency}{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial}"


@st.composite
def valid_niks(draw):
    province = draw(provinces)
    birth = draw(birth_dates)
    gender = draw(genders)
    nik = build_nik(province, draw(two_digits), draw(two_digits), birth, gender, draw(serials))
    return nik, province, birth, gender


def reason_of(raw) -> str:
    with pytest.raises(InvalidNik) as excinfo:
        parse_nik(raw)
    return excinfo.value.reason


# --- the province list itself ------------------------------------------------------------------


def test_province_list_is_exactly_the_domain_list():
    assert sorted(PROVINCES) == sorted(DOMAIN_PROVINCES)


# --- valid NIKs --------------------------------------------------------------------------------


@HYPOTHESIS
@given(valid_niks())
def test_valid_nik_is_accepted_with_gender_province_and_birth_date(case):
    value, province, birth, gender = case
    nik = parse_nik(value)
    assert isinstance(nik, Nik)
    assert nik.value == value
    assert nik.province == province
    assert nik.gender == gender
    assert nik.day == birth.day
    assert nik.month == birth.month
    assert nik.year_2d == birth.year % 100
    candidates = nik.birth_date_candidates()
    assert birth in candidates
    assert nik.matches_birth_date(birth)
    assert nik.matches_birth_date(birth + datetime.timedelta(days=1)) is False
    assert nik.matches_birth_date(birth - datetime.timedelta(days=1)) is False
    # Every candidate has the NIK's day and month, in either century.
    for candidate in candidates:
        assert (candidate.day, candidate.month, candidate.year % 100) == (birth.day, birth.month, birth.year % 100)
        assert candidate.year in (1900 + nik.year_2d, 2000 + nik.year_2d)


@HYPOTHESIS
@given(valid_niks())
def test_women_have_day_plus_40_and_men_the_plain_day(case):
    value, _, birth, gender = case
    encoded_day = int(value[6:8])
    if gender == "F":
        assert 41 <= encoded_day <= 71
        assert encoded_day == birth.day + 40
    else:
        assert 1 <= encoded_day <= 31
        assert encoded_day == birth.day
    assert parse_nik(value).gender == gender


@HYPOTHESIS
@given(valid_niks())
def test_mask_keeps_only_the_last_4_with_12_stars(case):
    value = case[0]
    masked = mask_nik(value)
    assert len(masked) == 16
    assert masked[-4:] == value[-4:]
    assert masked[:12] == "*" * 12
    assert re.fullmatch(r"\*{12}\d{4}", masked)
    # The region (province, regency, district) and the birth date are never shown.
    assert value not in masked
    assert parse_nik(value).masked == masked


def test_mask_example_from_api_md():
    assert mask_nik("3174014507900001") == "************0001"


def test_mask_hides_the_region_and_birth_date_of_the_api_example():
    masked = mask_nik("3174014507900001")
    assert "3174" not in masked
    assert "450790" not in masked


@pytest.mark.parametrize("province", ["65", "92", "93", "94", "95", "96", "91", "11", "21", "82"])
def test_new_and_edge_provinces_are_accepted(province):
    # python-stdnum's id.nik rejects some of these (65, 92, 93 ...): we must not.
    nik = parse_nik(f"{province}01011001900001")
    assert nik.province == province
    assert nik.gender == "M"
    assert nik.birth_date_candidates() == [datetime.date(1990, 1, 10), datetime.date(2090, 1, 10)]


@pytest.mark.parametrize(
    "value",
    [
        "6501014507900001",  # Kalimantan Utara
        "9201014507900001",  # Papua Barat Daya
        "9301014507900001",  # Papua Selatan
        "9501014507900001",  # Papua Pegunungan
        "9601014507900001",  # Papua Tengah
    ],
)
def test_provinces_rejected_by_stdnum_are_accepted(value):
    nik = parse_nik(value)
    assert nik.province == value[:2]
    assert nik.gender == "F"
    assert nik.matches_birth_date(datetime.date(1990, 7, 5))


def test_api_md_example_is_a_woman_born_5_july_1990():
    nik = parse_nik("3174014507900001")
    assert nik.gender == "F"
    assert nik.day == 5  # 45 - 40
    assert nik.month == 7
    assert nik.province == "31"
    assert datetime.date(1990, 7, 5) in nik.birth_date_candidates()
    assert nik.matches_birth_date(datetime.date(1990, 7, 5))
    assert not nik.matches_birth_date(datetime.date(1990, 7, 45 - 40 + 1))
    assert not nik.matches_birth_date(datetime.date(1990, 5, 7))


def test_man_with_same_digits_minus_40():
    nik = parse_nik("3174010507900001")
    assert nik.gender == "M"
    assert nik.matches_birth_date(datetime.date(1990, 7, 5))


def test_two_digit_year_fits_either_century():
    nik = parse_nik("3174011203050001")  # 12 March, YY=05
    assert nik.birth_date_candidates() == [datetime.date(1905, 3, 12), datetime.date(2005, 3, 12)]
    assert nik.matches_birth_date(datetime.date(1905, 3, 12))
    assert nik.matches_birth_date(datetime.date(2005, 3, 12))
    assert not nik.matches_birth_date(datetime.date(1805, 3, 12))


def test_29_february_year_00_only_2000_is_a_leap_year():
    nik = parse_nik("3174012902000001")
    assert nik.birth_date_candidates() == [datetime.date(2000, 2, 29)]
    assert nik.matches_birth_date(datetime.date(2000, 2, 29))


def test_29_february_woman_year_04_both_centuries_leap():
    nik = parse_nik("3174016902040001")  # 69 = 29 + 40
    assert nik.gender == "F"
    assert nik.birth_date_candidates() == [datetime.date(1904, 2, 29), datetime.date(2004, 2, 29)]


@HYPOTHESIS
@given(provinces, st.integers(0, 99))
def test_29_february_candidates_follow_leap_years(province, yy):
    value = f"{province}0101" + f"2902{yy:02d}" + "0001"
    expected = []
    for century in (1900, 2000):
        year = century + yy
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            expected.append(datetime.date(year, 2, 29))
    if expected:
        assert parse_nik(value).birth_date_candidates() == expected
    else:
        assert reason_of(value) == "date"


def test_serial_0001_and_9999_are_accepted():
    assert parse_nik("3174014507900001")
    assert parse_nik("3174014507909999")


# --- rejections --------------------------------------------------------------------------------


@HYPOTHESIS
@given(st.text(max_size=40))
def test_anything_not_16_ascii_digits_is_a_format_error(raw):
    assume(not re.fullmatch(r"[0-9]{16}", raw))
    assert reason_of(raw) == "format"


@HYPOTHESIS
@given(valid_niks(), st.integers(0, 15), st.sampled_from(["١", "٣", "０", "۱", "²", "₁", "߁", "१", "๑", " ", "a", "-", "\n"]))
def test_one_non_ascii_digit_or_separator_in_a_valid_nik_is_a_format_error(case, position, char):
    value = case[0]
    corrupted = value[:position] + char + value[position + 1 :]
    assert len(corrupted) == 16
    assert reason_of(corrupted) == "format"


@HYPOTHESIS
@given(valid_niks(), st.integers(1, 10))
def test_missing_or_extra_digits_are_a_format_error(case, extra):
    value = case[0]
    assert reason_of(value[:-1]) == "format"  # 15 digits
    assert reason_of(value[: 16 - extra]) == "format"
    assert reason_of(value + "1") == "format"  # 17 digits
    assert reason_of(value + "0" * extra) == "format"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "317401450790000",  # 15 digits
        "31740145079000011",  # 17 digits
        "3174 0145 0790 0001",  # spaces
        "3174-0145-0790-0001",
        " 3174014507900001",
        "3174014507900001 ",
        "3174014507900001\n",
        "٣١٧٤٠١٤٥٠٧٩٠٠٠٠١",  # Arabic-Indic digits, 16 characters
        "３１７４０１４５０７９０００１",  # full-width digits
        "317401450790000١",
        "+174014507900001",
        "-174014507900001",
        "3174O14507900001",  # letter O
        None,
        3174014507900001,  # an int, not a string
        b"3174014507900001",
        ["3174014507900001"],
    ],
)
def test_format_examples(raw):
    assert reason_of(raw) == "format"


def test_invalid_nik_is_a_value_error_with_reason():
    with pytest.raises(ValueError):
        parse_nik("123")
    err = InvalidNik("serial")
    assert err.reason == "serial"


@HYPOTHESIS
@given(st.sampled_from(UNKNOWN_PROVINCES), valid_niks())
def test_unknown_province_is_rejected(province, case):
    value = province + case[0][2:]
    assert reason_of(value) == "province"


@pytest.mark.parametrize("province", ["00", "10", "20", "22", "30", "37", "50", "54", "60", "66", "70", "77", "80", "83", "90", "97", "99"])
def test_unknown_province_examples(province):
    assert reason_of(f"{province}01014507900001") == "province"


@HYPOTHESIS
@given(valid_niks())
def test_serial_0000_is_rejected(case):
    value = case[0][:12] + "0000"
    assert reason_of(value) == "serial"


def test_serial_0000_example():
    assert reason_of("3174014507900000") == "serial"


@st.composite
def impossible_dates(draw):
    """(encoded day, month, yy) that make no real date in either century."""
    yy = draw(st.integers(0, 99))
    kind = draw(st.sampled_from(["day_too_big", "day_zero", "month", "short_month", "feb", "feb29"]))
    female = draw(st.booleans())
    month = draw(st.integers(1, 12))
    if kind == "day_too_big":
        day = draw(st.integers(32, 40))  # encoded 32–40 is neither a man's nor a woman's day
        female = False
    elif kind == "day_zero":
        day = 0
    elif kind == "month":
        day = draw(st.integers(1, 28))
        month = draw(st.sampled_from([0, *range(13, 100)]))
    elif kind == "short_month":
        day = 31
        month = draw(st.sampled_from([4, 6, 9, 11]))
    elif kind == "feb":
        day = draw(st.integers(30, 31))
        month = 2
    else:
        day = 29
        month = 2
        yy = draw(st.integers(0, 99).filter(lambda y: y % 4 != 0))
    encoded = day + (40 if female else 0)
    if kind == "day_too_big" and draw(st.booleans()):
        encoded = draw(st.integers(72, 99))  # a woman's day above 31
    return encoded, month, yy


@HYPOTHESIS
@given(provinces, two_digits, two_digits, impossible_dates(), serials)
def test_impossible_date_is_rejected(province, regency, district, date_parts, serial):
    encoded, month, yy = date_parts
    value = f"{province}{regency}{district}{encoded:02d}{month:02d}{yy:02d}{serial}"
    assert len(value) == 16
    assert reason_of(value) == "date"


@pytest.mark.parametrize(
    "ddmmyy",
    [
        "320190",  # day 32
        "000190",  # day 00
        "400190",  # day 40 (neither 1-31 nor 41-71)
        "100090",  # month 00
        "101390",  # month 13
        "300290",  # 30 February
        "700290",  # 30 February, woman
        "310490",  # 31 April
        "720190",  # encoded 72: woman, day 32
        "800190",  # encoded 80
        "990190",  # encoded 99
        "290201",  # 29 February 1901/2001: neither leap
        "690201",  # same, woman
    ],
)
def test_impossible_date_examples(ddmmyy):
    assert reason_of(f"317401{ddmmyy}0001") == "date"


def test_encoded_day_41_and_71_are_valid_women_days():
    assert datetime.date(1990, 1, 1) in parse_nik("3174014101900001").birth_date_candidates()
    assert datetime.date(1990, 1, 31) in parse_nik("3174017101900001").birth_date_candidates()
    assert parse_nik("3174014101900001").gender == "F"
