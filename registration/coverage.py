"""A worker's coverage state, derived from the last paid month (the coverage ledger's summary).

Rules (DOMAIN.md, Paying): a month is due by the 15th of that month; there is no late fee. A month
whose due date has passed unpaid is in arrears; arrears can be paid for up to 3 months, oldest first.
More than 3 consecutive unpaid (overdue) months and the membership lapses: paying again starts a new
coverage period from the current month, and the old months are not billed.
"""

import datetime
from dataclasses import dataclass

DUE_DAY = 15
MAX_ARREARS_MONTHS = 3


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + (month.month - 1) + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from `start` to `end` (both first-of-month); negative if end is before start."""
    return (end.year - start.year) * 12 + (end.month - start.month)


def due_date(month: datetime.date) -> datetime.date:
    return month.replace(day=DUE_DAY)


@dataclass(frozen=True)
class Coverage:
    status: str  # not_started | active | arrears | lapsed
    paid_through: datetime.date | None
    next_due_date: datetime.date | None
    arrears_months: int
    # The first month a new payment would cover (None when nothing can be paid).
    first_payable_month: datetime.date | None


def overdue_months(paid_through: datetime.date, today: datetime.date) -> int:
    """Unpaid months after `paid_through` whose due date (the 15th) has passed by `today`."""
    current = month_start(today)
    last_overdue = current if today > due_date(current) else add_months(current, -1)
    return max(months_between(paid_through, last_overdue), 0)


def coverage_for(*, paid_through: datetime.date | None, today: datetime.date, payable: bool = True) -> Coverage:
    """`payable` is False for enrollments that can no longer be paid for (ended, not approved)."""
    current = month_start(today)
    if paid_through is None:
        first = current if payable else None
        return Coverage("not_started", None, due_date(current) if payable else None, 0, first)
    first_unpaid = add_months(paid_through, 1)
    overdue = overdue_months(paid_through, today)
    if overdue > MAX_ARREARS_MONTHS:
        return Coverage("lapsed", paid_through, due_date(current) if payable else None, 0, current if payable else None)
    next_due = due_date(first_unpaid) if payable else None
    first = first_unpaid if payable else None
    if overdue == 0:
        return Coverage("active", paid_through, next_due, 0, first)
    return Coverage("arrears", paid_through, next_due, overdue, first)
