"""Payment reminders: the daily pass plans rows in one set-based statement; batch tasks send them.

Reminders follow the payer: each member's current payer (the sponsor of their approved sponsorship,
or the worker themselves if self-enrolled) is reminded, never a former sponsor. A member whose
sponsorship ended and who has no payer now gets one notice by SMS, while covered months remain: at
D-7 of the first unpaid month, that their protection ends and how to continue (coverage_ending).

The schedule (DOMAIN.md: a month is due by the 15th of that month, no late fee; arrears up to 3
months; lapse after more than 3 consecutive unpaid months). For a pass on day `d` of month `C`, with
`pt` the member's last paid month:

| kind            | days   | whose pt                  | about month | due date |
| --------------- | ------ | ------------------------- | ----------- | -------- |
| due_d7          | 8–11   | C-1, or never paid        | C           | C-15     |
| due_d3          | 12–13  | C-1, or never paid        | C           | C-15     |
| due_d1          | 14–15  | C-1, or never paid        | C           | C-15     |
| overdue         | 16–20  | C-1                       | C           | C-15     |
| arrears_monthly | 8–11   | C-2 or C-3                | pt+1        | (pt+1)-15 |
| final_warning   | 8–15   | C-4 (3 months overdue)    | C-3         | C-15 (lapse after it) |
| coverage_lapsed | 16–end | C-4 (now 4 months overdue) | C-3        | C-15     |
| prepaid_ending  | 20–end | C, paid ahead with C-1    | C+1         | (C+1)-15 |
| coverage_ending | 8–11   | C-1 (no payer: ended)     | C           | C-15     |

due_d7, due_d3 and due_d1 are not planned for a member whose current payer has autopay linked (and
did not opt that sponsorship out): the charge day pays that month. Once the month's charge failed for good (or was skipped),
they are planned again (contributions/autopay.py).

Each kind has a window of days, not one day, so a pass missed for a day is caught up by the next
one; the unique (enrollment, due date, kind, channel) keeps it to one reminder.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from contributions.choices import ReminderChannel, ReminderKind, ReminderStatus
from contributions.gateways.methods import Kind, method_get
from contributions.models import InvoiceMonth, Reminder
from contributions.pricing import RateBook
from notifications import backends
from notifications.models import InboxItem
from notifications.templates import month_label, rupiah
from registration.choices import EnrollmentStatus
from registration.coverage import add_months, due_date
from registration import selectors as registration_selectors

logger = logging.getLogger(__name__)

QUIET_FROM = datetime.time(20, 0)
QUIET_UNTIL = datetime.time(8, 0)
BATCH_SIZE = 500
MAX_ATTEMPTS = 5
QUIET_CHANNELS = frozenset({ReminderChannel.SMS, ReminderChannel.WHATSAPP, ReminderChannel.WORKER_SMS})


@dataclass(frozen=True)
class Rule:
    kind: str
    paid_through: datetime.date
    allow_never_paid: bool
    month: datetime.date
    due: datetime.date
    notify_worker: bool = False
    needs_prepaid: bool = False
    # A notice to the worker of a member without a payer (their last sponsorship ended), not a payer's.
    no_payer: bool = False


def rules_for(day: datetime.date) -> list[Rule]:
    """Which reminders a pass on `day` plans (the table in this module's docstring)."""
    current = day.replace(day=1)
    d = day.day
    prev = add_months(current, -1)
    rules: list[Rule] = []
    if 8 <= d <= 11:
        rules.append(Rule(ReminderKind.DUE_IN_7_DAYS, prev, True, current, due_date(current)))
        rules.append(Rule(ReminderKind.COVERAGE_ENDING, prev, False, current, due_date(current), no_payer=True))
        for pt in (add_months(current, -2), add_months(current, -3)):
            first_unpaid = add_months(pt, 1)
            rules.append(Rule(ReminderKind.ARREARS_MONTHLY, pt, False, first_unpaid, due_date(first_unpaid)))
    if 12 <= d <= 13:
        rules.append(Rule(ReminderKind.DUE_IN_3_DAYS, prev, True, current, due_date(current)))
    if 14 <= d <= 15:
        rules.append(Rule(ReminderKind.DUE_IN_1_DAY, prev, True, current, due_date(current)))
    if 8 <= d <= 15:
        rules.append(Rule(ReminderKind.FINAL_WARNING, add_months(current, -4), False, add_months(current, -3), due_date(current)))
    if 16 <= d <= 20:
        rules.append(Rule(ReminderKind.OVERDUE, prev, False, current, due_date(current)))
    if d >= 16:
        rules.append(
            Rule(ReminderKind.COVERAGE_LAPSED, add_months(current, -4), False, add_months(current, -3), due_date(current),
                 notify_worker=True)
        )
    if d >= 20:
        following = add_months(current, 1)
        rules.append(Rule(ReminderKind.PREPAID_ENDING, current, False, following, due_date(following), needs_prepaid=True))
    return rules


def is_quiet(moment: datetime.datetime) -> bool:
    local = timezone.localtime(moment).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def next_send_time(moment: datetime.datetime) -> datetime.datetime:
    """The next 08:00 WIB at or after `moment`."""
    local = timezone.localtime(moment)
    candidate = local.replace(hour=QUIET_UNTIL.hour, minute=0, second=0, microsecond=0)
    if local.time() >= QUIET_UNTIL:
        candidate += timedelta(days=1)
    return candidate


# --- Planning -------------------------------------------------------------------------------------

# `paid_key`: the paid_through a rule applies to, NEVER_PAID standing for "never paid": members join
# the rules on COALESCE(paid_through, NEVER_PAID) = paid_key, an equality PostgreSQL hashes. The
# members due today (`due`) are MATERIALIZED before they meet their sponsorships, payers and channels:
# otherwise the planner, which cannot estimate the VALUES lists, paired every sponsorship with every
# rule and channel first (52 s instead of 28 s at 1 M members, docs/benchmarks.md).
NEVER_PAID = datetime.date(1, 1, 1)

_PLAN_SQL = """
WITH rules (kind, paid_key, paid_through, month, due_date, notify_worker, needs_prepaid, no_payer) AS (
    VALUES {rule_rows}
),
due AS MATERIALIZED (
    SELECT m.id AS member_id, r.kind, r.paid_through, r.month, r.due_date, r.notify_worker, r.needs_prepaid
    FROM registration_member m JOIN rules r ON r.paid_key = COALESCE(m.paid_through, %s) AND NOT r.no_payer
),
channels (channel) AS (
    VALUES ('sms'), ('whatsapp'), ('push'), ('inbox'), ('worker_sms')
)
INSERT INTO contributions_reminder
    (enrollment_id, user_id, kind, channel, month, due_date, status, respect_quiet_hours, attempts,
     claimed_by, provider_message_id, last_error, created_at, updated_at)
SELECT e.id, e.sponsor_id, r.kind, c.channel, r.month, r.due_date, 'planned', %s, 0, '', '', '', %s, %s
FROM due r
JOIN registration_enrollment e ON e.member_id = r.member_id AND e.status = 'approved'
JOIN sponsors_user u ON u.id = e.sponsor_id
JOIN channels c ON (
       c.channel = 'inbox'
    OR (c.channel = 'sms' AND u.remind_by_sms)
    OR (c.channel = 'whatsapp' AND u.remind_by_whatsapp AND u.whatsapp_opt_in_at IS NOT NULL)
    OR (c.channel = 'push' AND u.remind_by_push
        AND EXISTS (SELECT 1 FROM sponsors_device d WHERE d.user_id = u.id))
    OR (c.channel = 'worker_sms' AND r.notify_worker AND e.relationship <> 'self')
)
WHERE
  -- Issue 22: no reminder before the due date of a month autopay charges: the member's current payer
  -- (e.sponsor_id, e its approved sponsorship) has autopay linked and did not opt this sponsorship
  -- out, unless that month's charge failed or was skipped.
  NOT (r.kind IN ('due_d7', 'due_d3', 'due_d1')
       AND EXISTS (SELECT 1 FROM contributions_autopaymandate a
                   WHERE a.payer_id = e.sponsor_id AND a.status IN ('active', 'failed'))
       AND NOT EXISTS (SELECT 1 FROM contributions_autopayoptout o WHERE o.enrollment_id = e.id)
       AND NOT EXISTS (SELECT 1 FROM contributions_autopaycharge ac
                       WHERE ac.payer_id = e.sponsor_id AND ac.month = r.month AND ac.status IN ('failed', 'skipped')))
  AND (NOT r.needs_prepaid OR EXISTS (
        SELECT 1 FROM contributions_coveragemonth a
        JOIN contributions_coveragemonth b
          ON b.invoice_id = a.invoice_id AND b.member_id = a.member_id AND b.month = %s
        WHERE a.member_id = r.member_id AND a.month = r.paid_through))
UNION ALL
SELECT ended.id, NULL, r.kind, 'worker_sms', r.month, r.due_date, 'planned', %s, 0, '', '', '', %s, %s
FROM (
    SELECT x.member_id, max(x.id) AS id FROM registration_enrollment x
    WHERE x.status = 'ended' AND x.kpj_number IS NOT NULL GROUP BY x.member_id
) ended
JOIN registration_member m ON m.id = ended.member_id
JOIN rules r ON r.no_payer AND r.paid_key = m.paid_through
WHERE NOT EXISTS (SELECT 1 FROM registration_enrollment o WHERE o.member_id = m.id AND o.status = 'approved')
ON CONFLICT (enrollment_id, due_date, kind, channel) DO NOTHING
"""


def rule_rows(rules: list[Rule]) -> list[list]:
    """The VALUES rows of the rules: (kind, paid_key, paid_through, month, due_date, notify_worker,
    needs_prepaid, no_payer), a rule that also reminds never-paid members twice (once keyed NEVER_PAID)."""
    rows = []
    for rule in rules:
        keys = [rule.paid_through, NEVER_PAID] if rule.allow_never_paid else [rule.paid_through]
        rows += [
            [str(rule.kind), key, rule.paid_through, rule.month, rule.due, rule.notify_worker, rule.needs_prepaid,
             rule.no_payer]
            for key in keys
        ]
    return rows


def reminders_plan(*, day: datetime.date, respect_quiet_hours: bool = True) -> int:
    """Plan every reminder due on `day` in one INSERT … SELECT … ON CONFLICT DO NOTHING.

    Idempotent: running it twice, or twice at once, inserts nothing the second time.
    Returns the number of rows inserted.
    """
    rows = rule_rows(rules_for(day))
    if not rows:
        return 0
    params: list = [value for row in rows for value in row]
    now = timezone.now()
    params += [NEVER_PAID, respect_quiet_hours, now, now, add_months(day.replace(day=1), -1),
               respect_quiet_hours, now, now]
    row = "(%s, %s, %s, %s, %s, %s, %s, %s)"
    if connection.vendor == "postgresql":
        # Parameters in a VALUES list have no declared type: tell PostgreSQL which.
        row = "(%s::text, %s::date, %s::date, %s::date, %s::date, %s::boolean, %s::boolean, %s::boolean)"
    sql = _PLAN_SQL.format(rule_rows=", ".join([row] * len(rows)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount >= 0:
            return cursor.rowcount
        cursor.execute("SELECT changes()")  # SQLite does not count rows of a WITH … INSERT
        return cursor.fetchone()[0]


# --- Dispatch -------------------------------------------------------------------------------------


def reminders_queue(*, limit: int = 100_000, enqueue=None) -> int:
    """Hand planned reminders whose time has come to the batch task, BATCH_SIZE ids a message.

    Rows move planned → queued in the same statement that selects them, so two dispatchers never
    queue a row twice; if the broker is down the rows go back to planned.
    """
    from contributions import tasks

    enqueue = enqueue or tasks.enqueue_reminder_batch
    now = timezone.now()
    # Rows whose batch was lost (a worker died before acknowledging) go back to planned.
    Reminder.objects.filter(
        status__in=[ReminderStatus.QUEUED, ReminderStatus.SENDING], updated_at__lt=now - timedelta(minutes=30)
    ).filter(attempts__lt=MAX_ATTEMPTS).update(status=ReminderStatus.PLANNED, updated_at=now)
    Reminder.objects.filter(
        status__in=[ReminderStatus.QUEUED, ReminderStatus.SENDING], updated_at__lt=now - timedelta(minutes=30)
    ).update(status=ReminderStatus.FAILED, last_error="attempt cap reached", updated_at=now)
    queued = 0
    while queued < limit:
        with transaction.atomic():
            ids = list(
                Reminder.objects.select_for_update(skip_locked=True, no_key=True)
                .filter(status=ReminderStatus.PLANNED)
                .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
                .order_by("id")
                .values_list("id", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                break
            Reminder.objects.filter(pk__in=ids).update(status=ReminderStatus.QUEUED, updated_at=now)
        if not enqueue(ids):
            Reminder.objects.filter(pk__in=ids, status=ReminderStatus.QUEUED).update(
                status=ReminderStatus.PLANNED, updated_at=now
            )
            break
        queued += len(ids)
    return queued


def _still_true(reminder: Reminder, paid: set[int]) -> bool:
    """`paid`: the members of the batch that have a payer now (an approved sponsorship)."""
    enrollment = reminder.enrollment
    member = enrollment.member
    if reminder.kind == ReminderKind.COVERAGE_ENDING:
        # Still nobody pays, and the month is still the first unpaid one.
        return member.pk not in paid and member.paid_through == add_months(reminder.month, -1)
    if enrollment.status != EnrollmentStatus.APPROVED:
        return False
    if reminder.kind == ReminderKind.PREPAID_ENDING:
        return member.paid_through == add_months(reminder.month, -1)
    # Every other kind is about an unpaid month: paying it (or anything after it) makes it untrue.
    return member.paid_through is None or member.paid_through < reminder.month


# A `sending` row is resumed only by a redelivery of the task that claimed it (same task id: its
# first run died, acks_late gave the message back), or by anyone once its sender must be dead (the
# hard time limit kills any batch older than this). Two live copies of a batch never share a row.
SENDING_LEASE = timedelta(minutes=5)


def reminders_send(*, reminder_ids: list[int], claimant: str = "") -> dict[str, int]:
    """Send one batch. Rows are claimed (→ sending, committed) before any provider is called, and
    each row's result is committed right after its own send: a batch killed mid-way re-sends at most
    the one row in flight (and providers get `reminder-<id>` as a de-duplication reference).
    `claimant` is the Celery task id."""
    now = timezone.now()
    with transaction.atomic():
        claimable = Reminder.objects.select_for_update(skip_locked=True, no_key=True).filter(pk__in=reminder_ids).filter(
            Q(status__in=[ReminderStatus.QUEUED, ReminderStatus.PLANNED])
            | Q(status=ReminderStatus.SENDING, updated_at__lt=now - SENDING_LEASE)
            | (Q(status=ReminderStatus.SENDING, claimed_by=claimant) & ~Q(claimed_by=""))
        )
        claimable.filter(attempts__gte=MAX_ATTEMPTS).update(
            status=ReminderStatus.FAILED, last_error="attempt cap reached", updated_at=now
        )
        ids = list(claimable.filter(attempts__lt=MAX_ATTEMPTS).values_list("id", flat=True))
        Reminder.objects.filter(pk__in=ids).update(
            status=ReminderStatus.SENDING, attempts=F("attempts") + 1, claimed_by=claimant, updated_at=now
        )
    if not ids:
        return {}
    reminders = list(
        Reminder.objects.filter(pk__in=ids)
        .select_related("enrollment__occupation", "enrollment__member", "user")
        .order_by("id")
    )
    outcome: dict[str, int] = defaultdict(int)
    pending_va = _pending_invoices({r.enrollment_id for r in reminders})
    paid = registration_selectors.members_with_a_payer(member_ids={r.enrollment.member_id for r in reminders if r.kind == ReminderKind.COVERAGE_ENDING})
    devices = _devices([r.user_id for r in reminders if r.channel == ReminderChannel.PUSH])
    book = RateBook.current()
    done: set[int] = set()
    try:
        for reminder in reminders:
            _send_one(reminder, book, pending_va.get(reminder.enrollment_id), devices, paid)
            done.add(reminder.pk)
            outcome[reminder.status] += 1
    except SoftTimeLimitExceeded:
        # Out of time: what was not tried goes back to planned, without using up an attempt.
        left = [r.pk for r in reminders if r.pk not in done]
        Reminder.objects.filter(pk__in=left, status=ReminderStatus.SENDING).update(
            status=ReminderStatus.PLANNED, attempts=F("attempts") - 1, updated_at=timezone.now()
        )
        logger.warning("reminder batch stopped by its time limit; %s rows back to planned", len(left))
        raise
    return dict(outcome)


def _send_one(reminder: Reminder, book: RateBook, pending: tuple[str, str] | None, devices, paid: set[int]) -> None:
    now = timezone.now()
    inbox_item = None
    if not _still_true(reminder, paid):
        reminder.status = ReminderStatus.SKIPPED
    elif reminder.respect_quiet_hours and reminder.channel in QUIET_CHANNELS and is_quiet(now):
        # Deferred, not dropped; a deferral is not a delivery attempt.
        reminder.status = ReminderStatus.PLANNED
        reminder.not_before = next_send_time(now)
        reminder.attempts -= 1
    else:
        text = _render(reminder, book, pending)
        try:
            if reminder.channel == ReminderChannel.INBOX:
                inbox_item = InboxItem(user_id=reminder.user_id, kind=text.inbox_kind, title=text.title, body=text.body)
                reminder.provider_message_id = f"inbox-{reminder.pk}"
            else:
                reminder.provider_message_id = _deliver(reminder, text, devices)
            reminder.status = ReminderStatus.SENT
            reminder.sent_at = now
        except backends.TransientSendError as exc:
            reminder.last_error = str(exc)[:255]
            _retry_later(reminder, now)
        except backends.PermanentSendError as exc:
            reminder.last_error = str(exc)[:255]
            reminder.status = ReminderStatus.FAILED
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:  # noqa: BLE001 - a provider's surprise stays with its own reminder
            logger.exception("reminder %s: unexpected error from the %s provider", reminder.pk, reminder.channel)
            reminder.last_error = f"unexpected {type(exc).__name__}"[:255]
            _retry_later(reminder, now)
    with transaction.atomic():
        if inbox_item is not None:
            inbox_item.save()
        Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(
            status=reminder.status,
            not_before=reminder.not_before,
            attempts=reminder.attempts,
            provider_message_id=reminder.provider_message_id,
            last_error=reminder.last_error,
            sent_at=reminder.sent_at,
            updated_at=now,
        )


def _retry_later(reminder: Reminder, now: datetime.datetime) -> None:
    """Back to planned with an exponential backoff (2, 4, 8, 16 minutes), or failed at the cap."""
    if reminder.attempts >= MAX_ATTEMPTS:
        reminder.status = ReminderStatus.FAILED
    else:
        reminder.status = ReminderStatus.PLANNED
        reminder.not_before = now + timedelta(minutes=2**reminder.attempts)


def _pending_invoices(enrollment_ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """The pending invoice (number, the code the payer quotes, payment method) of each of these workers
    that has one: from the index of InvoiceMonth.pending (one entry per worker of a pending invoice),
    not from the workers' whole billing history."""
    rows = InvoiceMonth.objects.filter(enrollment_id__in=enrollment_ids, pending=True).values_list(
        "enrollment_id", "invoice__number", "invoice__va_number", "invoice__payment_method"
    )
    return {enrollment_id: (number, code, method) for enrollment_id, number, code, method in rows}


def _devices(user_ids: list[int]) -> dict[int, list[str]]:
    from sponsors.models import Device

    tokens: dict[int, list[str]] = defaultdict(list)
    for user_id, token in Device.objects.filter(user_id__in=set(user_ids)).values_list("user_id", "token"):
        tokens[user_id].append(token)
    return tokens


@dataclass(frozen=True)
class ReminderText:
    inbox_kind: str
    title: str
    body: str
    language: str = "id"


def _render(reminder: Reminder, book: RateBook, pending: tuple[str, str, str] | None) -> ReminderText:
    from notifications.templates import render

    enrollment = reminder.enrollment
    member = enrollment.member
    worker_channel = reminder.channel == ReminderChannel.WORKER_SMS
    language = "id" if worker_channel else reminder.user.language
    price = book.price(
        month=reminder.month,
        sector=enrollment.occupation.sector,
        income_level=enrollment.income_level_id,
        jht=enrollment.jht,
    )
    method = method_get(pending[2]) if pending else None
    if method is not None and method.kind == Kind.VA:
        how = render("how_to_pay_va", language, number=pending[0], va_number=pending[1]).body
    elif method is not None and pending[1]:  # issue 22: a Mandiri bill key, a store's payment code
        how = render("how_to_pay_code", language, number=pending[0], payment_code=pending[1], method=method.name).body
    else:  # QRIS and e-wallets are paid from the app
        how = render("how_to_pay_app", language).body
    kind = f"reminder_{reminder.kind}" + ("_worker" if worker_channel else "")
    rendered = render(
        kind,
        language,
        worker_name=enrollment.full_name,
        month=month_label(reminder.month, language),
        amount=rupiah(price.total),
        due_date=reminder.due_date.strftime("%d-%m-%Y"),
        how_to_pay=how,
        kpj_number=member.kpj_number or "",
        paid_month=month_label(member.paid_through, language) if member.paid_through else "",
    )
    inbox_kind = "coverage_lapsed" if reminder.kind == ReminderKind.COVERAGE_LAPSED else "payment_reminder"
    return ReminderText(inbox_kind=inbox_kind, title=rendered.title, body=rendered.body, language=language)


def _deliver(reminder: Reminder, text: ReminderText, devices: dict[int, list[str]]) -> str:
    if reminder.channel == ReminderChannel.PUSH:
        return _push_to_devices(reminder, text, devices.get(reminder.user_id, []))
    channel = "whatsapp" if reminder.channel == ReminderChannel.WHATSAPP else "sms"
    # The worker's phone on record (the member's), or the payer's.
    worker_phone = reminder.enrollment.member.phone or reminder.enrollment.phone
    to = worker_phone if reminder.channel == ReminderChannel.WORKER_SMS else reminder.user.phone
    return backends.get_backend(channel).send(
        backends.OutgoingMessage(
            id=reminder.pk, channel=channel, kind=text.inbox_kind, to=to, body=text.body, title=text.title,
            template=f"reminder_{reminder.kind}", language=text.language, source="reminder",
        )
    )


def _push_to_devices(reminder: Reminder, text: ReminderText, tokens: list[str]) -> str:
    """Every device of the payer; a dead token (removed by the backend) does not stop the others."""
    backend = backends.get_backend("push")
    sent, errors = [], []
    for token in tokens:
        message = backends.OutgoingMessage(
            id=reminder.pk, channel="push", kind=text.inbox_kind, to=token, body=text.body, title=text.title,
            language=text.language, source="reminder",
        )
        try:
            sent.append(backend.send(message))
        except backends.PermanentSendError as exc:
            errors.append(exc)
    if sent:
        return ",".join(sent)[:128]
    if errors:
        raise errors[0]
    raise backends.PermanentSendError("no registered device")


def daily_pass(*, day: datetime.date, respect_quiet_hours: bool = True) -> dict[str, int]:
    """The daily reminder pass (beat at 08:00 WIB, or `send_reminders --date`): plan, then queue."""
    planned = reminders_plan(day=day, respect_quiet_hours=respect_quiet_hours)
    queued = reminders_queue()
    logger.info("reminder pass for %s: %s planned, %s queued", day, planned, queued)
    return {"planned": planned, "queued": queued}

