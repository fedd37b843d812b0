"""Helpers for the reminder tests: approved workers with a given `paid_through`, prepaid ledgers made
through the real invoice and settlement services, and row read-outs."""

import datetime
from zoneinfo import ZoneInfo

from contributions.models import Reminder
from registration.coverage import add_months
from registration.models import Enrollment, Member
from tests.factories import UserFactory
from tests.factories import enrollment as make_enrollment

WIB = ZoneInfo("Asia/Jakarta")


def month(year: int, number: int) -> datetime.date:
    return datetime.date(year, number, 1)


def wib(year: int, number: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, number, day, hour, minute, tzinfo=WIB)


def worker(
    *,
    sponsor=None,
    paid_through: datetime.date | None = None,
    occupation: str = "household_assistant",
    relationship: str = "household_helper",
    full_name: str = "Siti Aminah",
    **overrides,
) -> Enrollment:
    """An APPROVED enrollment (through the services) whose member's ledger summary says `paid_through`."""
    sponsor = sponsor or UserFactory()
    made = make_enrollment(
        sponsor=sponsor, occupation=occupation, relationship=relationship, full_name=full_name, **overrides
    )
    assert made.status == "approved", made.review_flags
    if paid_through is not None:
        Member.objects.filter(sponsorships=made).update(paid_through=paid_through)
    made.refresh_from_db()
    return made


def pay_invoice(invoice) -> None:
    """Pay an invoice the way the simulator endpoint does: the ledger, then the signed notification."""
    from contributions import services
    from contributions.gateways import get_gateway

    payload = get_gateway("simulator").pay(order_id=invoice.number)
    notification = services.notification_receive(gateway_name="simulator", payload=payload)
    services.notification_process(notification_id=notification.pk)


def invoice_for(enrollment: Enrollment, months: int):
    from contributions import services

    return services.invoice_create(sponsor=enrollment.sponsor, items=[{"worker": enrollment.pk, "months": months}])


def pay_through(enrollment: Enrollment, last: datetime.date, *, months: int, pin_today) -> Enrollment:
    """Make the coverage ledger end at `last`, the final `months` months paid by ONE invoice (real
    invoice + settlement services, with "today" in the first of those months)."""
    first = add_months(last, -(months - 1))
    Member.objects.filter(sponsorships=enrollment).update(paid_through=add_months(first, -1))
    enrollment.refresh_from_db()
    pin_today(first.replace(day=2))
    invoice = invoice_for(enrollment, months)
    assert sorted(invoice.lines.values_list("month", flat=True)) == [add_months(first, i) for i in range(months)]
    pay_invoice(invoice)
    enrollment.refresh_from_db()
    assert enrollment.member.paid_through == last
    return enrollment


def rows(enrollment: Enrollment | None = None) -> set[tuple]:
    """(kind, channel, month, due_date) of the planned reminders (of one enrollment)."""
    qs = Reminder.objects.all() if enrollment is None else Reminder.objects.filter(enrollment=enrollment)
    return set(qs.values_list("kind", "channel", "month", "due_date"))


def statuses(enrollment: Enrollment | None = None) -> dict[str, str]:
    qs = Reminder.objects.all() if enrollment is None else Reminder.objects.filter(enrollment=enrollment)
    return {f"{kind}/{channel}": status for kind, channel, status in qs.values_list("kind", "channel", "status")}
