"""Members own their membership: one member per person (NIK), sponsorships (enrollments) come and go.

Until now the enrollment row was the membership: its KPJ, `paid_through` and coverage ledger belonged
to one sponsorship, so a worker who changed payers got a new KPJ and was billed again for months
already paid. This migration makes every person one `Member`, from the enrollments there are:

- one member per NIK blind index, with the NIK ciphertext, its last 4 digits, the birth date and sex
  of the enrollment registered first;
- its KPJ: the one issued first (a person who got a second KPJ on a second enrollment, the defect
  this fixes, keeps the first, the number for life; the later sponsorship keeps its own number in its
  `kpj_number` column, as history);
- `registered_at`: the day (WIB) of the first approval; the phone on record: that of the most recent
  approved enrollment; the count of approved sponsorships;
- `paid_through` and `coverage_started`: the enrollment's; for a person with several enrollments, the
  coverage periods of all of them joined (a period that continues where another ended is one period),
  and the latest one's;
- every enrollment points at its member. An ended enrollment keeps the coverage it had
  (`ended_paid_through`, `ended_coverage_started`: what it shows from now on); the others' copies
  are cleared, the member's are the truth.

The coverage ledger moves to members in contributions 0015; registration 0012 drops the enrollment
columns the member now owns. Set-based SQL for the many people with one enrollment (one statement
each, whatever the table's size); Python only for the few with several.
"""

import datetime
from zoneinfo import ZoneInfo

from django.db import migrations
from django.utils import timezone

WIB = ZoneInfo("Asia/Jakarta")


def _add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + (month.month - 1) + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def merged_coverage(periods: list[tuple]) -> tuple:
    """(paid_through, coverage_started) of a person from the (coverage_started, paid_through) of each
    of their enrollments: the latest paid month, and the start of the run of periods that reaches it
    (a period starting at most the month after another's end continues it)."""
    periods = sorted((start or end, end) for start, end in periods if end is not None)
    if not periods:
        return None, None
    run_start, run_end = periods[0]
    for start, end in periods[1:]:
        if start <= _add_months(run_end, 1):
            run_end = max(run_end, end)
        else:
            run_start, run_end = start, end
    return run_end, run_start


def _wib_date(column: str, vendor: str) -> str:
    if vendor == "postgresql":
        return f"({column} AT TIME ZONE 'Asia/Jakarta')::date"
    return f"date({column}, '+7 hours')"  # SQLite keeps UTC text


def members_from_enrollments(apps, schema_editor):
    connection = schema_editor.connection
    now = timezone.now()
    with connection.cursor() as cursor:
        # One member per NIK, from its first enrollment: exact for a person with one enrollment.
        cursor.execute(
            "INSERT INTO registration_member (created_at, updated_at, nik_encrypted, nik_hash, nik_last4, "
            "birth_date, gender, kpj_number, registered_at, phone, approved_sponsorships, paid_through, "
            "coverage_started) "
            f"SELECT e.created_at, %s, e.nik_encrypted, e.nik_hash, e.nik_last4, e.birth_date, e.gender, "
            f"e.kpj_number, {_wib_date('e.approved_at', connection.vendor)}, "
            "CASE WHEN e.approved_at IS NULL THEN '' ELSE e.phone END, "
            "CASE WHEN e.approved_at IS NULL THEN 0 ELSE 1 END, e.ended_paid_through, e.ended_coverage_started "
            "FROM registration_enrollment e "
            "WHERE e.id IN (SELECT min(id) FROM registration_enrollment GROUP BY nik_hash) ORDER BY e.id",
            [now],
        )
        cursor.execute(
            "UPDATE registration_enrollment SET member_id = "
            "(SELECT m.id FROM registration_member m WHERE m.nik_hash = registration_enrollment.nik_hash)"
        )
        cursor.execute("SELECT nik_hash FROM registration_enrollment GROUP BY nik_hash HAVING count(*) > 1")
        shared = [row[0] for row in cursor.fetchall()]
    Enrollment = apps.get_model("registration", "Enrollment")
    Member = apps.get_model("registration", "Member")
    for nik_hash in shared:
        rows = list(Enrollment.objects.filter(nik_hash=nik_hash).order_by("id"))
        approved = sorted((e for e in rows if e.approved_at is not None), key=lambda e: (e.approved_at, e.pk))
        paid_through, coverage_started = merged_coverage([(e.ended_coverage_started, e.ended_paid_through) for e in rows])
        issued = [e for e in approved if e.kpj_number] or [e for e in rows if e.kpj_number]
        Member.objects.filter(nik_hash=nik_hash).update(
            kpj_number=issued[0].kpj_number if issued else None,
            registered_at=timezone.localtime(approved[0].approved_at, WIB).date() if approved else None,
            phone=approved[-1].phone if approved else "",
            approved_sponsorships=len(approved),
            paid_through=paid_through,
            coverage_started=coverage_started,
        )
    # Only an ended sponsorship keeps a copy of the coverage (as it stood when it ended).
    Enrollment.objects.exclude(status="ended").exclude(ended_paid_through=None, ended_coverage_started=None).update(
        ended_paid_through=None, ended_coverage_started=None
    )


def enrollments_from_members(apps, schema_editor):
    """Back to the enrollment as the membership: each enrollment gets its member's coverage (an
    ended one keeps its own)."""
    with schema_editor.connection.cursor() as cursor:
        for column in ("paid_through", "coverage_started"):
            cursor.execute(
                f"UPDATE registration_enrollment SET ended_{column} = (SELECT m.{column} FROM registration_member m "
                "WHERE m.id = registration_enrollment.member_id) WHERE status <> 'ended'"
            )


class Migration(migrations.Migration):

    dependencies = [
        ("registration", "0010_member"),
    ]

    operations = [migrations.RunPython(members_from_enrollments, enrollments_from_members)]
