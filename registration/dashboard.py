"""The figures of the back office's home pages about enrollments and members (config.dashboard).

Every query is bounded: the review queue is read on its (status, created_at) index, decisions on the
audit log's `at` index, and the member figures are one pass over the members' coverage columns, cached
for a few minutes (DASHBOARD_CACHE_SECONDS), so no page view counts a large table.
"""

import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.models import AuditLog
from registration.choices import EnrollmentStatus, ReviewFlag
from registration.coverage import MAX_ARREARS_MONTHS, add_months, due_date, month_start
from registration.models import Enrollment, Member

DECISIONS = ("enrollment_approve", "enrollment_reject")


def _today_start() -> datetime.datetime:
    local = timezone.localtime()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def review_queue_figures(*, user=None) -> dict:
    """The reviewer's numbers, live: the queue, its oldest, today's decisions, the flags waiting."""
    queue = Enrollment.objects.filter(status=EnrollmentStatus.PENDING_REVIEW)
    summary = queue.aggregate(size=Count("pk"), oldest=Min("created_at"))
    summary.update(_flag_counts(queue))
    decided = AuditLog.objects.filter(at__gte=_today_start(), action__in=DECISIONS)
    today = decided.aggregate(
        total=Count("pk"),
        approved=Count("pk", filter=Q(action="enrollment_approve")),
        mine=Count("pk", filter=Q(actor=user)) if user is not None else Count("pk", filter=Q(pk__in=[])),
    )
    oldest_id = queue.order_by("created_at", "id").values_list("pk", flat=True).first()
    return {
        "size": summary["size"],
        "oldest": summary["oldest"],
        "oldest_id": oldest_id,
        "decided_today": today["total"],
        "approved_today": today["approved"],
        "decided_today_by_me": today["mine"],
        "flags": [(flag, summary[f"flag_{flag.value}"]) for flag in ReviewFlag],
    }


def _flag_counts(queue) -> dict[str, int]:
    """How many enrollments in the queue carry each flag: counted by PostgreSQL on the queue's rows
    (`@>` on the JSON list), or in Python where the database cannot (SQLite, for trying the app)."""
    if connections[queue.db].features.supports_json_field_contains:
        return queue.aggregate(**{f"flag_{flag.value}": Count("pk", filter=Q(review_flags__contains=[flag.value]))
                                  for flag in ReviewFlag})
    counts = {f"flag_{flag.value}": 0 for flag in ReviewFlag}
    for flags in queue.values_list("review_flags", flat=True).iterator(chunk_size=2000):
        for code in flags:
            if f"flag_{code}" in counts:
                counts[f"flag_{code}"] += 1
    return counts


def decisions_per_day(*, days: int = 14) -> list[tuple[datetime.date, int, int]]:
    """(day, approved, rejected) for the last `days` days (WIB), from the audit log's `at` index."""
    start = _today_start() - datetime.timedelta(days=days - 1)
    rows = (
        AuditLog.objects.filter(at__gte=start, action__in=DECISIONS)
        .values_list("at", "action")
        .iterator(chunk_size=2000)
    )
    counts: dict[datetime.date, list[int]] = {}
    for at, action in rows:
        day = timezone.localtime(at).date()
        counts.setdefault(day, [0, 0])[0 if action == "enrollment_approve" else 1] += 1
    first = start.date()
    return [(first + datetime.timedelta(days=i), *counts.get(first + datetime.timedelta(days=i), [0, 0]))
            for i in range(days)]


def _cached(key: str, compute):
    return cache.get_or_set(f"dashboard:{key}", compute, settings.DASHBOARD_CACHE_SECONDS)


def membership_figures(*, months: int = 12) -> dict:
    """Enrollments per month, active members per month, the coverage mix today and lapses per month,
    over the last `months` months. Cached: one pass over enrollments and members each."""
    return _cached(f"membership:{timezone.localdate():%Y-%m-%d}:{months}", lambda: _membership_figures(months))


def _membership_figures(months: int) -> dict:
    today = timezone.localdate()
    current = month_start(today)
    first = add_months(current, -(months - 1))
    series = [add_months(first, i) for i in range(months)]

    created = dict(
        Enrollment.objects.filter(created_at__gte=datetime.datetime.combine(first, datetime.time.min,
                                                                             tzinfo=timezone.get_current_timezone()))
        .annotate(month=TruncMonth("created_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    created = {timezone.localtime(k).date().replace(day=1) if isinstance(k, datetime.datetime) else k: v
               for k, v in created.items()}

    # Covered in month M: a coverage period that started by M and is paid through M at least.
    active = Member.objects.filter(paid_through__gte=first).aggregate(
        **{f"m{i}": Count("pk", filter=Q(coverage_started__lte=month, paid_through__gte=month))
           for i, month in enumerate(series)}
    )

    # The coverage mix today (registration.coverage): paid up, in arrears (at most 3 overdue months),
    # lapsed, or never paid. A member paid through P is lapsed once more than 3 months after P are overdue.
    last_overdue = current if today > due_date(current) else add_months(current, -1)
    lapse_line = add_months(last_overdue, -MAX_ARREARS_MONTHS)
    mix = Member.objects.filter(kpj_number__isnull=False).aggregate(
        active=Count("pk", filter=Q(paid_through__gte=last_overdue)),
        arrears=Count("pk", filter=Q(paid_through__lt=last_overdue, paid_through__gte=lapse_line)),
        lapsed=Count("pk", filter=Q(paid_through__lt=lapse_line)),
        not_started=Count("pk", filter=Q(paid_through__isnull=True)),
    )

    # Lapses per month: a member paid through P lapsed when month P + 4's due date passed. Counted from
    # the members who are still lapsed (who paid again since then started a new period).
    lapsed_through = dict(
        Member.objects.filter(paid_through__gte=add_months(first, -(MAX_ARREARS_MONTHS + 1)),
                              paid_through__lt=lapse_line)
        .values_list("paid_through")
        .annotate(n=Count("pk"))
        .values_list("paid_through", "n")
    )
    lapses = {month: 0 for month in series}
    for paid_through, n in lapsed_through.items():
        lapse_month = add_months(month_start(paid_through), MAX_ARREARS_MONTHS + 1)
        if lapse_month in lapses:
            lapses[lapse_month] += n

    return {
        "months": series,
        "enrollments": [created.get(month, 0) for month in series],
        "active": [active[f"m{i}"] for i in range(months)],
        "mix": mix,
        "lapses": [lapses[month] for month in series],
    }
