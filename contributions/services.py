"""Contribution writes and quotes."""

import datetime

from contributions.choices import ALLOWED_MONTH_COUNTS
from contributions.pricing import MonthPrice, RateBook
from core.exceptions import DomainError
from registration import services as registration
from registration.coverage import add_months


def months_require(months) -> int:
    if isinstance(months, bool) or months not in ALLOWED_MONTH_COUNTS:
        raise DomainError("months_not_allowed", attr="months")
    return months


def quote_months(
    *, income_level: int, programmes: list[str], occupation: str, months: int, start_month: datetime.date | None
) -> list[MonthPrice]:
    """Price `months` consecutive months from `start_month` (default: the current month, WIB)."""
    level = registration.income_level_require(income_level)
    jht = registration.programmes_require(programmes)
    sector = registration.occupation_require(occupation).sector
    count = months_require(months)
    first = start_month or registration.today_wib().replace(day=1)
    book = RateBook()
    return [
        book.price(month=add_months(first, offset), sector=sector, income_level=level.amount, jht=jht)
        for offset in range(count)
    ]
