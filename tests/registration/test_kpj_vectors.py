"""KPJ check digits against known answers, not against our own generator (registration/kpj.py).

The check digit is Luhn's (ISO/IEC 7812-1 annex B). 79927398713 is the worked example of the Luhn
algorithm in its usual references (account number 7992739871, check digit 3); the others were worked
out by hand, digit by digit from the right, doubling every second digit starting with the rightmost
digit of the body: 1234567890 → 0+9+7+7+3+5+8+3+4+1 = 47 → check digit 3.
"""

import pytest

from registration.kpj import kpj_is_valid, luhn_check_digit

KNOWN = [
    ("7992739871", "3"),
    ("1000000000", "9"),
    ("1234567890", "3"),
    ("3273015208", "2"),
    ("9999999999", "0"),
    ("5000000005", "4"),
]


@pytest.mark.parametrize("body, check", KNOWN)
def test_check_digit_of_known_numbers(body, check):
    assert luhn_check_digit(body) == check
    assert kpj_is_valid(body + check)


@pytest.mark.parametrize("number", ["79927398710", "79927398711", "79927398712", "79927398714",
                                    "79927398715", "79927398716", "79927398717", "79927398718",
                                    "79927398719", "12345678900", "12345678904"])
def test_known_numbers_with_any_other_check_digit_are_invalid(number):
    assert not kpj_is_valid(number)


@pytest.mark.parametrize("typo", [
    "79927398703",  # one digit changed
    "97927398713",  # two adjacent digits swapped
    "79927389713",  # two adjacent digits swapped
    "17992739871",  # shifted
])
def test_typos_of_a_known_number_are_invalid(typo):
    assert not kpj_is_valid(typo)
