"""What a contribution month costs: one function that quotes, invoices, receipts and reminders share.

PP 44/2015 (BPU): JKK is a percentage of the declared income level, JKM a flat amount, JHT a
percentage (optional). Each month is priced by the rates in force for that month and the worker's
sector (PP 50/2025 halves JKK and JKM for a sector-dependent period). Amounts are whole rupiah,
rounded half up.
"""

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from contributions.choices import RateKind
from contributions.models import ContributionRate
from core.exceptions import DomainError
from registration import selectors as registration_selectors
from registration import services as registration

RATE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class MonthPrice:
    month: datetime.date
    jkk: int
    jkm: int
    jht: int
    adjustment: str | None

    @property
    def total(self) -> int:
        return self.jkk + self.jkm + self.jht

    def as_dict(self) -> dict:
        return {
            "month": self.month.strftime("%Y-%m"),
            "jkk": self.jkk,
            "jkm": self.jkm,
            "jht": self.jht,
            "total": self.total,
            "adjustment": self.adjustment,
        }


def _percent_of(amount: int, percent: Decimal) -> int:
    return int((Decimal(amount) * percent / Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class RateBook:
    """All rate rows, loaded once (the table is tiny), answering any month and sector in memory.

    `RateBook.current()` shares one book per process for RATE_CACHE_SECONDS: rates change by
    regulation a few times a year, and a request should not pay a query (and ORM decoding) for them.
    Saving a rate clears this process's copy; other processes see it within the TTL.
    """

    _shared: "RateBook | None" = None
    _loaded_at = 0.0

    def __init__(self, rows: Iterable[ContributionRate] | None = None):
        self.rows = list(rows if rows is not None else ContributionRate.objects.all())

    @classmethod
    def current(cls) -> "RateBook":
        now = time.monotonic()
        if cls._shared is None or now - cls._loaded_at > RATE_CACHE_SECONDS:
            cls._shared, cls._loaded_at = cls(), now
        return cls._shared

    @classmethod
    def forget(cls) -> None:
        cls._shared = None

    def rate_for(self, *, month: datetime.date, sector: str, normal_only: bool = False) -> ContributionRate:
        def applies(row: ContributionRate) -> bool:
            in_force = row.valid_from <= month and (row.valid_to is None or row.valid_to >= month)
            return in_force and row.sector in ("", sector) and (row.kind == RateKind.NORMAL or not normal_only)

        candidates = [row for row in self.rows if applies(row)]
        if not candidates:
            raise DomainError("rate_unavailable", month=month.strftime("%Y-%m"))
        # Adjustments beat normal rates; a sector's own row beats an all-sector row.
        return max(candidates, key=lambda row: (row.kind == RateKind.ADJUSTMENT, row.sector != ""))

    def price(
        self, *, month: datetime.date, sector: str, income_level: int, jht: bool, normal_only: bool = False
    ) -> MonthPrice:
        rate = self.rate_for(month=month, sector=sector, normal_only=normal_only)
        return MonthPrice(
            month=month,
            jkk=_percent_of(income_level, rate.jkk_percent),
            jkm=rate.jkm_amount,
            jht=_percent_of(income_level, rate.jht_percent) if jht else 0,
            adjustment=rate.regulation if rate.kind == RateKind.ADJUSTMENT else None,
        )


def month_price(*, month: datetime.date, sector: str, income_level: int, jht: bool) -> MonthPrice:
    return RateBook.current().price(month=month, sector=sector, income_level=income_level, jht=jht)


def monthly_contributions_normal(enrollments: Iterable) -> dict[int, int]:
    """The normal (unadjusted) monthly amount at today's rates, for each enrollment (the shared rate book
    and occupation sectors: no query while they are fresh)."""
    book = RateBook.current()
    month = registration.today_wib().replace(day=1)
    return {
        enrollment.pk: book.price(
            month=month,
            sector=registration_selectors.occupation_sectors.get(enrollment.occupation_id),
            income_level=enrollment.income_level_id,
            jht=enrollment.jht,
            normal_only=True,
        ).total
        for enrollment in enrollments
    }
