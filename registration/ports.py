"""What registration needs from the contributions app, inverted so that imports point one way.

contributions depends on registration (CONVENTIONS.md), so registration cannot import it. The worker
resource still shows `monthly_contribution`, priced by contributions: contributions registers its
pricing function here when the app registry is ready (contributions.apps).
"""

from collections.abc import Callable, Iterable

MonthlyPricer = Callable[[Iterable], dict[int, int]]

_monthly_pricer: MonthlyPricer | None = None


def register_monthly_pricer(pricer: MonthlyPricer) -> None:
    global _monthly_pricer
    _monthly_pricer = pricer


def monthly_contributions(enrollments: Iterable) -> dict[int, int]:
    """Normal (unadjusted) monthly amount at today's rates, by enrollment id, in a fixed number of queries."""
    if _monthly_pricer is None:
        raise RuntimeError("No monthly pricer registered: is the contributions app installed?")
    return _monthly_pricer(enrollments)


# Ending a worker stops their billing: contributions registers what that means for its invoices.
BillingStopper = Callable[[int], None]

_billing_stopper: BillingStopper | None = None


def register_billing_stopper(stopper: BillingStopper) -> None:
    global _billing_stopper
    _billing_stopper = stopper


def billing_stop(enrollment_id: int) -> None:
    """Close what still bills this worker. Runs inside the caller's transaction."""
    if _billing_stopper is None:
        raise RuntimeError("No billing stopper registered: is the contributions app installed?")
    _billing_stopper(enrollment_id)
