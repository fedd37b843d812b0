"""The figures of the back office's home pages about money and reminders (config.dashboard).

Bounded in time (today, this month, the last 30 days) and, for the tables that grow with every payer
and month (payments, reminders), cached for a few minutes (DASHBOARD_CACHE_SECONDS). The needs-review
queue is read live on its (status, needs_review_at) index.
"""

import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.utils import timezone

from contributions.choices import AutopayChargeStatus, ReminderStatus
from contributions.desk import open_cases
from contributions.models import AutopayCharge, CoverageMonth, Invoice, Payment, Reminder
from registration.coverage import month_start

CONVERSION_DAYS = 7


def _cached(key: str, compute):
    return cache.get_or_set(f"dashboard:{key}", compute, settings.DASHBOARD_CACHE_SECONDS)


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def needs_review_figures() -> dict:
    """Finance's open cases (needs review, no outcome yet: contributions.desk.open_cases): how many,
    how old (and which is the oldest), and the money received on them that is still to be refunded or credited (`refunds`,
    `refund_money`: the open cases where money came in)."""
    queue = Invoice.objects.filter(open_cases())
    now = timezone.now()
    received = Q(received_amount__gt=0)
    figures = queue.aggregate(
        count=Count("pk"),
        money=Sum("received_amount"),
        oldest=Min("needs_review_at"),
        refunds=Count("pk", filter=received),
        refund_money=Sum("received_amount", filter=received),
        under_1_day=Count("pk", filter=Q(needs_review_at__gte=now - datetime.timedelta(days=1))),
        under_7_days=Count("pk", filter=Q(needs_review_at__lt=now - datetime.timedelta(days=1),
                                          needs_review_at__gte=now - datetime.timedelta(days=7))),
        older=Count("pk", filter=Q(needs_review_at__lt=now - datetime.timedelta(days=7))),
    )
    figures["oldest_id"] = queue.order_by("needs_review_at", "pk").values_list("pk", flat=True).first()
    return figures


def collection_figures() -> dict:
    """Money confirmed today and this month (WIB), per gateway and payment method."""
    today = timezone.localdate()
    return _cached(f"collections:{today:%Y-%m-%d}", lambda: _collection_figures(today))


def _collection_figures(today: datetime.date) -> dict:
    day_start = _day_start(today)
    rows = (
        Payment.objects.filter(confirmed_at__gte=_day_start(month_start(today)))
        .values_list("gateway", "invoice__payment_method")
        .annotate(
            month_amount=Sum("gross_amount"),
            month_count=Count("pk"),
            today_amount=Sum("gross_amount", filter=Q(confirmed_at__gte=day_start)),
            today_count=Count("pk", filter=Q(confirmed_at__gte=day_start)),
        )
        .order_by("gateway", "invoice__payment_method")
    )
    lines = [
        {"gateway": gateway, "method": method, "month_amount": month_amount or 0, "month_count": month_count,
         "today_amount": today_amount or 0, "today_count": today_count}
        for gateway, method, month_amount, month_count, today_amount, today_count in rows
    ]
    return {
        "lines": lines,
        "today_amount": sum(line["today_amount"] for line in lines),
        "today_count": sum(line["today_count"] for line in lines),
        "month_amount": sum(line["month_amount"] for line in lines),
        "month_count": sum(line["month_count"] for line in lines),
    }


def autopay_figures() -> dict:
    """This month's automatic payments: charged, failed, still going; the success rate of those decided."""
    month = month_start(timezone.localdate())
    counts = AutopayCharge.objects.filter(month=month).aggregate(
        charged=Count("pk", filter=Q(status=AutopayChargeStatus.CHARGED)),
        failed=Count("pk", filter=Q(status=AutopayChargeStatus.FAILED)),
        open=Count("pk", filter=Q(status__in=[AutopayChargeStatus.PLANNED, AutopayChargeStatus.CHARGING,
                                              AutopayChargeStatus.RETRY])),
    )
    decided = counts["charged"] + counts["failed"]
    counts["success_rate"] = round(100 * counts["charged"] / decided) if decided else None
    return counts


def reminder_conversion(*, days: int = 30) -> list[dict]:
    """Of the reminders sent over `days` days whose 7-day window has closed, the share followed by a
    payment of their month for that member within 7 days, per kind and channel. Cached."""
    today = timezone.localdate()
    return _cached(f"conversion:{today:%Y-%m-%d}:{days}", lambda: _reminder_conversion(today, days))


def _reminder_conversion(today: datetime.date, days: int) -> list[dict]:
    window_end = _day_start(today) - datetime.timedelta(days=CONVERSION_DAYS)
    window_start = window_end - datetime.timedelta(days=days)
    paid_in_time = CoverageMonth.objects.filter(
        member_id=OuterRef("enrollment__member_id"),
        month=OuterRef("month"),
        created_at__gte=OuterRef("sent_at"),
        created_at__lt=OuterRef("sent_at") + datetime.timedelta(days=CONVERSION_DAYS),
    )
    rows = (
        Reminder.objects.filter(status=ReminderStatus.SENT, sent_at__gte=window_start, sent_at__lt=window_end)
        .values_list("kind", "channel")
        .annotate(sent=Count("pk"), paid_count=Count("pk", filter=Exists(paid_in_time)))
        .order_by("kind", "channel")
    )
    return [
        {"kind": kind, "channel": channel, "sent": sent, "paid": paid,
         "rate": round(100 * paid / sent) if sent else 0}
        for kind, channel, sent, paid in rows
    ]
