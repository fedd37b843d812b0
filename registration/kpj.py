"""KPJ (Kartu Peserta Jamsostek) numbers: 11 digits, the last a Luhn check digit.

The first ten digits are random (not a sequence), so a number reveals nothing about how many
participants exist or when this one joined, and a typo in any single digit is caught.
"""

import secrets


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def kpj_generate() -> str:
    body = str(secrets.randbelow(9 * 10**9) + 10**9)  # 10 digits, no leading zero
    return body + luhn_check_digit(body)


def kpj_is_valid(value: str) -> bool:
    return len(value) == 11 and value.isdigit() and luhn_check_digit(value[:10]) == value[10]
