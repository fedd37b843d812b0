"""The reminder schedule (contributions/reminders.py docstring table), its recipients, its texts and its
exactly-once guarantees (QUALITY.md "Background work" 1; DOMAIN.md "Paying"; API.md "Operations").

The expected rows are computed here from the table itself (`expected_for`), independently of the
application's `rules_for`, and compared with what `reminders_plan` writes for every day of a month.
"""

import calendar
import datetime
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction

from contributions import reminders
from contributions.models import Reminder
from notifications import backends
from notifications.backends import PermanentSendError, TransientSendError
from notifications.models import InboxItem
from registration import services as registration
from registration.models import Enrollment, Member
from sponsors.models import Device, User
from tests.api import client_for
from tests.concurrency import run_together
from tests.factories import UserFactory
from tests.factories import enrollment as make_enrollment
from tests.reminders.helpers import invoice_for, month, pay_invoice, pay_through, rows, statuses, wib, worker

pytestmark = pytest.mark.django_db

APP_HINT = "Bayar di aplikasi JMO"


# --- an oracle written from the docstring table ---------------------------------------------------


def shift(first_of_month: datetime.date, count: int) -> datetime.date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def due(first_of_month: datetime.date) -> datetime.date:
    return first_of_month.replace(day=15)


def expected_for(day: datetime.date, paid_through: datetime.date | None, *, prepaid_with_previous: bool = False):
    """{(kind, month, due_date)} a pass on `day` plans for a worker paid through `paid_through`.

    | kind            | days   | whose pt                  | about month | due date |
    | due_d7          | 8–11   | C-1, or never paid        | C           | C-15     |
    | due_d3          | 12–13  | C-1, or never paid        | C           | C-15     |
    | due_d1          | 14–15  | C-1, or never paid        | C           | C-15     |
    | overdue         | 16–20  | C-1                       | C           | C-15     |
    | arrears_monthly | 8–11   | C-2 or C-3                | pt+1        | (pt+1)-15 |
    | final_warning   | 8–15   | C-4 (3 months overdue)    | C-3         | C-15     |
    | coverage_lapsed | 16–end | C-4 (now 4 months overdue) | C-3        | C-15     |
    | prepaid_ending  | 20–end | C, paid ahead with C-1    | C+1         | (C+1)-15 |
    """
    c = day.replace(day=1)
    d = day.day
    out = set()
    if paid_through is None or paid_through == shift(c, -1):
        if 8 <= d <= 11:
            out.add(("due_d7", c, due(c)))
        if 12 <= d <= 13:
            out.add(("due_d3", c, due(c)))
        if 14 <= d <= 15:
            out.add(("due_d1", c, due(c)))
    if paid_through == shift(c, -1) and 16 <= d <= 20:
        out.add(("overdue", c, due(c)))
    if paid_through in (shift(c, -2), shift(c, -3)) and 8 <= d <= 11:
        out.add(("arrears_monthly", shift(paid_through, 1), due(shift(paid_through, 1))))
    if paid_through == shift(c, -4) and 8 <= d <= 15:
        out.add(("final_warning", shift(c, -3), due(c)))
    if paid_through == shift(c, -4) and d >= 16:
        out.add(("coverage_lapsed", shift(c, -3), due(c)))
    if paid_through == c and prepaid_with_previous and d >= 20:
        out.add(("prepaid_ending", shift(c, 1), due(shift(c, 1))))
    return out


def oracle_rows(day, paid_through, *, prepaid_with_previous=False, payer_channels=("sms", "inbox"), sponsored=True):
    """The rows (kind, channel, month, due_date): each kind on each payer channel, plus the worker's SMS
    for a lapse when the worker is not the payer."""
    out = set()
    for kind, about, due_date in expected_for(day, paid_through, prepaid_with_previous=prepaid_with_previous):
        for channel in payer_channels:
            out.add((kind, channel, about, due_date))
        if kind == "coverage_lapsed" and sponsored:
            out.add((kind, "worker_sms", about, due_date))
    return out


def test_the_oracle_reads_the_table_like_the_examples_in_the_brief():
    # Never paid: only the three "due" kinds, in their windows.
    assert {k for k, _, _ in expected_for(datetime.date(2026, 12, 9), None)} == {"due_d7"}
    assert expected_for(datetime.date(2026, 12, 16), None) == set()
    # Year change: the January pass reminds about September (C-3) and a Dec→Jan prepaid period.
    assert expected_for(datetime.date(2027, 1, 16), month(2026, 9)) == {
        ("coverage_lapsed", month(2026, 10), datetime.date(2027, 1, 15))}
    assert expected_for(datetime.date(2026, 12, 31), month(2026, 12), prepaid_with_previous=True) == {
        ("prepaid_ending", month(2027, 1), datetime.date(2027, 1, 15))}


# --- every kind, every day of a month --------------------------------------------------------------

PROFILES = {
    # label: (months relative to the pass month C, or None; paid by a multi-month invoice ending at C?)
    "never paid": (None, False),
    "pt C-5": (-5, False),
    "pt C-4": (-4, False),
    "pt C-3": (-3, False),
    "pt C-2": (-2, False),
    "pt C-1": (-1, False),
    "pt C, paid monthly": (0, False),
    "pt C, paid ahead with C-1": (0, True),
    "pt C+1": (1, False),
}


@pytest.mark.parametrize(
    "pass_month",
    [month(2026, 11), month(2026, 12), month(2027, 1), month(2027, 2)],
    ids=["Nov-2026 (30 days)", "Dec-2026 (C+1 is next year)", "Jan-2027 (C-n is last year)", "Feb-2027 (28 days)"],
)
def test_every_kind_is_planned_on_exactly_its_days_for_exactly_its_workers(reference, pin_today, pass_month):
    workers = {}
    for label, (offset, prepaid) in PROFILES.items():
        if offset is None:
            workers[label] = (worker(), None, False)
            continue
        paid_through = shift(pass_month, offset)
        if offset == 0:
            # Real invoices and settlements write the ledger the prepaid_ending rule looks at.
            enrollment = pay_through(worker(), paid_through, months=3 if prepaid else 1, pin_today=pin_today)
        else:
            enrollment = worker(paid_through=paid_through)
        workers[label] = (enrollment, paid_through, prepaid)
    by_id = {enrollment.pk: label for label, (enrollment, _, _) in workers.items()}

    days = calendar.monthrange(pass_month.year, pass_month.month)[1]
    seen_kinds = set()
    for number in range(1, days + 1):
        day = pass_month.replace(day=number)
        with transaction.atomic():
            inserted = reminders.reminders_plan(day=day, respect_quiet_hours=False)
            got = {
                (by_id[r.enrollment_id], r.kind, r.channel, r.month, r.due_date)
                for r in Reminder.objects.all()
            }
            want = {
                (label, kind, channel, about, due_date)
                for label, (enrollment, paid_through, prepaid) in workers.items()
                for kind, channel, about, due_date in oracle_rows(day, paid_through, prepaid_with_previous=prepaid)
            }
            assert got == want, f"pass on {day}: missing {sorted(want - got)}, unexpected {sorted(got - want)}"
            assert inserted == len(want), f"pass on {day}"
            for r in Reminder.objects.select_related("enrollment"):
                assert r.user_id == r.enrollment.sponsor_id
                assert r.status == "planned" and r.attempts == 0
            seen_kinds |= {kind for _, kind, _, _, _ in got}
            transaction.set_rollback(True)
    # The month exercised every kind of the table.
    assert seen_kinds == {"due_d7", "due_d3", "due_d1", "overdue", "arrears_monthly", "final_warning",
                          "coverage_lapsed", "prepaid_ending"}


def test_a_missed_day_is_caught_up_by_the_next_and_the_window_keeps_it_to_one(reference):
    enrollment = worker(paid_through=month(2026, 11))

    for number in (9, 10, 11):  # the pass of the 8th never ran
        reminders.reminders_plan(day=datetime.date(2026, 12, number), respect_quiet_hours=False)

    assert rows(enrollment) == {
        ("due_d7", "sms", month(2026, 12), datetime.date(2026, 12, 15)),
        ("due_d7", "inbox", month(2026, 12), datetime.date(2026, 12, 15)),
    }


# --- texts and PP 50/2025 amounts -----------------------------------------------------------------


@pytest.mark.parametrize(
    "occupation, relationship, paid_through, day, label, amount",
    [
        ("household_assistant", "household_helper", month(2026, 11), datetime.date(2026, 12, 8), "Desember 2026",
         "Rp28.400"),
        ("household_assistant", "household_helper", month(2026, 12), datetime.date(2027, 1, 8), "Januari 2027",
         "Rp36.800"),
        ("private_driver", "driver", month(2027, 1), datetime.date(2027, 2, 8), "Februari 2027", "Rp28.400"),
        ("private_driver", "driver", month(2027, 2), datetime.date(2027, 3, 8), "Maret 2027", "Rp28.400"),
        ("private_driver", "driver", month(2027, 3), datetime.date(2027, 4, 8), "April 2027", "Rp36.800"),
        ("household_assistant", "household_helper", month(2026, 2), datetime.date(2026, 3, 8), "Maret 2026",
         "Rp36.800"),
        ("household_assistant", "household_helper", month(2026, 3), datetime.date(2026, 4, 8), "April 2026",
         "Rp28.400"),
    ],
    ids=["assistant Dec-2026 discounted", "assistant Jan-2027 normal", "driver Feb-2027 discounted",
         "driver Mar-2027 last discounted", "driver Apr-2027 normal", "assistant Mar-2026 not yet",
         "assistant Apr-2026 first discounted"],
)
def test_the_reminder_names_the_worker_the_month_the_amount_and_how_to_pay(
    reference, notify_file, occupation, relationship, paid_through, day, label, amount
):
    enrollment = worker(paid_through=paid_through, occupation=occupation, relationship=relationship,
                        full_name="Budi Santoso")
    sponsor = enrollment.sponsor

    reminders.daily_pass(day=day, respect_quiet_hours=False)

    assert statuses(enrollment) == {"due_d7/sms": "sent", "due_d7/inbox": "sent"}
    [sms] = notify_file.messages()
    assert (sms["channel"], sms["to"], sms["kind"]) == ("sms", sponsor.phone, "payment_reminder")
    for part in ("Budi Santoso", label, amount, day.replace(day=15).strftime("%d-%m-%Y"), APP_HINT):
        assert part in sms["body"], (part, sms["body"])
    [item] = InboxItem.objects.filter(user=sponsor, kind="payment_reminder")
    assert item.body == sms["body"]
    assert item.title


def test_an_english_speaking_payer_gets_the_english_text(reference, notify_file):
    enrollment = worker(paid_through=month(2026, 11), full_name="Budi Santoso")
    User.objects.filter(pk=enrollment.sponsor_id).update(language="en")

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    [sms] = notify_file.messages()
    for part in ("Budi Santoso", "December 2026", "Rp28.400", "Pay in the JMO app"):
        assert part in sms["body"], (part, sms["body"])


KIND_CASES = {
    # kind: (paid_through, pass day, month named, amount named)
    "due_d7": (month(2026, 11), datetime.date(2026, 12, 8), "Desember 2026", "Rp28.400"),
    "due_d3": (month(2026, 11), datetime.date(2026, 12, 12), "Desember 2026", "Rp28.400"),
    "due_d1": (month(2026, 11), datetime.date(2026, 12, 14), "Desember 2026", "Rp28.400"),
    "overdue": (month(2026, 11), datetime.date(2026, 12, 16), "Desember 2026", "Rp28.400"),
    "arrears_monthly": (month(2026, 10), datetime.date(2026, 12, 9), "November 2026", "Rp28.400"),
    "final_warning": (month(2026, 8), datetime.date(2026, 12, 10), "September 2026", None),
    "coverage_lapsed": (month(2026, 8), datetime.date(2026, 12, 16), None, None),
}


@pytest.mark.parametrize("kind", list(KIND_CASES))
def test_each_kind_is_sent_with_its_text(reference, notify_file, kind):
    paid_through, day, label, amount = KIND_CASES[kind]
    enrollment = worker(paid_through=paid_through, full_name="Budi Santoso")
    sponsor = enrollment.sponsor

    reminders.daily_pass(day=day, respect_quiet_hours=False)

    assert {r.split("/")[0] for r in statuses(enrollment)} == {kind}
    assert set(statuses(enrollment).values()) == {"sent"}
    to_sponsor = [m for m in notify_file.messages() if m["to"] == sponsor.phone]
    [sms] = to_sponsor
    expected_parts = ["Budi Santoso", APP_HINT] + [p for p in (label, amount) if p]
    for part in expected_parts:
        assert part in sms["body"], (part, sms["body"])
    inbox_kind = "coverage_lapsed" if kind == "coverage_lapsed" else "payment_reminder"
    assert sms["kind"] == inbox_kind
    [item] = InboxItem.objects.filter(user=sponsor, kind=inbox_kind)
    assert item.body == sms["body"]


def test_prepaid_ending_names_the_next_month_at_its_own_price(reference, notify_file, pin_today):
    # Paid Nov + Dec 2026 on one invoice; on 20 Dec the payer hears January (no more discount) is next.
    enrollment = pay_through(worker(full_name="Budi Santoso"), month(2026, 12), months=3, pin_today=pin_today)
    before = len(notify_file.messages())

    reminders.daily_pass(day=datetime.date(2026, 12, 20), respect_quiet_hours=False)

    assert statuses(enrollment) == {"prepaid_ending/sms": "sent", "prepaid_ending/inbox": "sent"}
    [sms] = notify_file.messages()[before:]
    for part in ("Budi Santoso", "Januari 2027", "Rp36.800", "15-01-2027", APP_HINT):
        assert part in sms["body"], (part, sms["body"])


def test_with_a_pending_invoice_the_text_gives_its_va_number_instead_of_the_app_hint(
    reference, notify_file, pin_today
):
    billed = worker(paid_through=month(2026, 11), full_name="Budi Santoso")
    other = worker(paid_through=month(2026, 11), full_name="Ani Lestari")
    pin_today(datetime.date(2026, 12, 3))
    invoice = invoice_for(billed, 1)
    assert invoice.status == "pending" and invoice.va_number

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    sms = {m["to"]: m["body"] for m in notify_file.messages() if m["channel"] == "sms"}
    assert invoice.va_number in sms[billed.sponsor.phone]
    assert invoice.number in sms[billed.sponsor.phone]
    assert APP_HINT not in sms[billed.sponsor.phone]
    assert APP_HINT in sms[other.sponsor.phone]
    assert invoice.va_number not in sms[other.sponsor.phone]


@pytest.mark.parametrize("method, hint", [("indomaret", "Bayar lewat Indomaret dengan kode"), ("qris", APP_HINT)])
def test_a_pending_invoice_by_another_method_is_explained_by_its_kind(reference, notify_file, pin_today, method, hint):
    """Issue 22: a store's payment code (or a Mandiri bill key) is quoted as a code, not as a VA; a
    QRIS or e-wallet payment is made from the app."""
    from contributions import services

    billed = worker(paid_through=month(2026, 11), full_name="Budi Santoso")
    pin_today(datetime.date(2026, 12, 3))
    invoice = services.invoice_create(sponsor=billed.sponsor, items=[{"worker": billed.pk, "months": 3}], payment_method=method)

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    [sms] = [m["body"] for m in notify_file.messages() if m["channel"] == "sms" and m["to"] == billed.sponsor.phone]
    assert hint in sms
    assert "Virtual Account" not in sms
    if invoice.va_number:
        assert f"kode {invoice.va_number} (tagihan {invoice.number})" in sms


# --- recipients ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sms, whatsapp, opted_in, push, device, channels",
    [
        (True, False, False, True, False, {"sms", "inbox"}),  # the defaults, no phone app registered
        (True, True, True, True, True, {"sms", "whatsapp", "push", "inbox"}),
        (False, True, False, False, False, {"inbox"}),  # WhatsApp without opt-in: never
        (False, False, True, False, False, {"inbox"}),  # opted in once, but WhatsApp not chosen
        (False, False, False, True, False, {"inbox"}),  # push without a device
        (False, False, False, False, True, {"inbox"}),  # a device, push not chosen
        (False, False, False, False, False, {"inbox"}),  # the inbox always
    ],
)
def test_the_payer_is_reminded_on_each_chosen_channel_and_always_in_the_inbox(
    reference, notify_file, sms, whatsapp, opted_in, push, device, channels
):
    from django.utils import timezone

    sponsor = UserFactory(remind_by_sms=sms, remind_by_whatsapp=whatsapp, remind_by_push=push,
                          whatsapp_opt_in_at=timezone.now() if opted_in else None)
    if device:
        Device.objects.create(user=sponsor, token="fcm-token-of-the-sponsor", platform="android")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 11))

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    assert {c for _, c, _, _ in rows(enrollment)} == channels
    assert set(Reminder.objects.values_list("user_id", flat=True)) == {sponsor.pk}
    assert set(statuses(enrollment).values()) == {"sent"}
    sent = {(m["channel"], m["to"]) for m in notify_file.messages()}
    want = set()
    if "sms" in channels:
        want.add(("sms", sponsor.phone))
    if "whatsapp" in channels:
        want.add(("whatsapp", sponsor.phone))
    if "push" in channels:
        want.add(("push", "fcm-token-of-the-sponsor"))
    assert sent == want
    assert len(notify_file.messages()) == len(want)
    assert InboxItem.objects.filter(user=sponsor, kind="payment_reminder").count() == 1


def test_a_lapse_also_tells_the_worker_by_sms_with_the_kpj_number(reference, notify_file):
    enrollment = worker(paid_through=month(2026, 8), full_name="Budi Santoso")
    sponsor = enrollment.sponsor

    reminders.daily_pass(day=datetime.date(2026, 12, 16), respect_quiet_hours=False)

    assert statuses(enrollment) == {"coverage_lapsed/sms": "sent", "coverage_lapsed/inbox": "sent",
                                    "coverage_lapsed/worker_sms": "sent"}
    by_to = {m["to"]: m for m in notify_file.messages()}
    assert set(by_to) == {sponsor.phone, enrollment.phone}
    to_worker = by_to[enrollment.phone]
    assert to_worker["channel"] == "sms"
    assert enrollment.kpj_number in to_worker["body"]
    assert InboxItem.objects.filter(user=sponsor, kind="coverage_lapsed").count() == 1
    assert not InboxItem.objects.filter(kind="payment_reminder").exists()


@pytest.mark.parametrize("day", [datetime.date(2026, 12, 8), datetime.date(2026, 12, 16), datetime.date(2026, 12, 9)])
def test_the_worker_gets_no_sms_except_for_a_lapse(reference, notify_file, day):
    paid_through = {8: month(2026, 11), 16: month(2026, 11), 9: month(2026, 10)}[day.day]
    enrollment = worker(paid_through=paid_through)

    reminders.daily_pass(day=day, respect_quiet_hours=False)

    assert rows(enrollment)
    assert not Reminder.objects.filter(channel="worker_sms").exists()
    assert enrollment.phone not in {m["to"] for m in notify_file.messages()}


def test_a_self_enrolled_worker_is_the_payer_and_gets_no_second_sms_for_a_lapse(reference, notify_file):
    account = UserFactory()
    enrollment = worker(sponsor=account, relationship="self", phone=account.phone, paid_through=month(2026, 8))
    assert enrollment.sponsor_id == account.pk

    reminders.daily_pass(day=datetime.date(2026, 12, 16), respect_quiet_hours=False)

    assert {c for _, c, _, _ in rows(enrollment)} == {"sms", "inbox"}
    assert set(Reminder.objects.values_list("user_id", flat=True)) == {account.pk}
    assert [m["to"] for m in notify_file.messages()] == [account.phone]
    assert InboxItem.objects.filter(user=account, kind="coverage_lapsed").count() == 1


def test_a_self_enrolled_worker_is_reminded_as_the_payer(reference, notify_file):
    account = UserFactory()
    enrollment = worker(sponsor=account, relationship="self", phone=account.phone, paid_through=month(2026, 11))

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    assert statuses(enrollment) == {"due_d7/sms": "sent", "due_d7/inbox": "sent"}
    assert [m["to"] for m in notify_file.messages()] == [account.phone]


# --- exactly once ----------------------------------------------------------------------------------


def _snapshot(notify_file) -> tuple[int, int, int, int]:
    return (
        Reminder.objects.count(),
        Reminder.objects.filter(status="sent").count(),
        len(notify_file.messages()),
        InboxItem.objects.filter(kind__in=["payment_reminder", "coverage_lapsed"]).count(),
    )


def _population():
    """Workers that get something on 8 Dec 2026 (due_d7, arrears, final warning), with a device and
    WhatsApp for one payer."""
    from django.utils import timezone

    rich = UserFactory(remind_by_whatsapp=True, whatsapp_opt_in_at=timezone.now())
    Device.objects.create(user=rich, token="tok-rich", platform="ios")
    return [
        worker(sponsor=rich, paid_through=month(2026, 11)),
        worker(),  # never paid
        worker(paid_through=month(2026, 10)),
        worker(paid_through=month(2026, 9)),
        worker(paid_through=month(2026, 8)),
    ]


def test_the_daily_pass_twice_for_a_date_sends_nothing_twice(reference, notify_file):
    _population()
    day = datetime.date(2026, 12, 8)

    first = reminders.daily_pass(day=day, respect_quiet_hours=False)
    after_first = _snapshot(notify_file)
    second = reminders.daily_pass(day=day, respect_quiet_hours=False)

    assert first["planned"] == after_first[0] > 0
    assert after_first[1] == after_first[0]  # everything went out
    assert second == {"planned": 0, "queued": 0}
    assert _snapshot(notify_file) == after_first
    # Same window, next day: nothing new either.
    assert reminders.daily_pass(day=day + timedelta(days=1), respect_quiet_hours=False)["planned"] == 0
    assert _snapshot(notify_file) == after_first


def test_send_reminders_twice_for_a_date_sends_nothing_twice(reference, notify_file, capsys):
    _population()

    call_command("send_reminders", "--date", "2026-12-08")
    after_first = _snapshot(notify_file)
    call_command("send_reminders", "--date", "2026-12-08")

    assert after_first[0] > 0 and after_first[1] == after_first[0]
    assert after_first[2] == Reminder.objects.exclude(channel="inbox").count()
    assert _snapshot(notify_file) == after_first
    out = capsys.readouterr().out
    assert f"{after_first[0]} planned" in out
    assert "0 planned, 0 queued" in out


def test_send_reminders_refuses_a_malformed_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "08-12-2026")
    assert not Reminder.objects.exists()


def test_sending_a_batch_again_sends_nothing(reference, notify_file):
    _population()
    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)
    before = _snapshot(notify_file)

    again = reminders.reminders_send(reminder_ids=list(Reminder.objects.values_list("id", flat=True)))

    assert again == {}
    assert _snapshot(notify_file) == before


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_passes_plan_each_reminder_once(reference):
    _population()
    day = datetime.date(2026, 12, 8)

    def plan(n):
        with transaction.atomic():
            planned = reminders.reminders_plan(day=day, respect_quiet_hours=False)
            time.sleep(0.3)  # hold the inserted rows uncommitted while the other pass runs
        return planned

    results = run_together(plan, 2, timeout=30)

    total = Reminder.objects.count()
    # What one pass plans: due_d7 (sms, whatsapp, push, inbox for the rich payer; sms + inbox for the
    # never-paid worker), two arrears (sms + inbox each), a final warning (sms + inbox).
    assert total == 4 + 2 + 2 + 2 + 2
    assert len(results) == 2 and sum(results) == total  # the second pass inserted what the first did not
    assert Reminder.objects.values("enrollment", "due_date", "kind", "channel").distinct().count() == total


# --- nothing for those who owe nothing --------------------------------------------------------------


def test_nothing_is_planned_for_a_paid_month_an_ended_or_a_rejected_enrollment(reference, settings):
    day = datetime.date(2026, 12, 8)
    paid = worker(paid_through=month(2026, 12))
    paid_ahead = worker(paid_through=month(2027, 5))
    ended = worker(paid_through=month(2026, 11))
    registration.enrollment_end(enrollment=ended)
    control = worker(paid_through=month(2026, 11))
    settings.REVIEW_MODE = "all"
    staff = UserFactory(is_staff=True)
    rejected = make_enrollment()
    assert rejected.status == "pending_review"
    registration.enrollment_reject(enrollment=rejected, actor=staff, reason="Nama tidak sesuai KTP")
    in_review = make_enrollment()
    awaiting = make_enrollment(consent=False)
    assert awaiting.status == "awaiting_consent"
    for enrollment in (rejected, in_review, awaiting):
        Member.objects.filter(sponsorships=enrollment).update(paid_through=month(2026, 11))

    reminders.reminders_plan(day=day, respect_quiet_hours=False)

    planned_for = set(Reminder.objects.filter(user__isnull=False).values_list("enrollment_id", flat=True))
    assert planned_for == {control.pk}
    for enrollment in (paid, paid_ahead, ended, rejected, in_review, awaiting):
        assert enrollment.pk not in planned_for
    # The ended sponsorship's former sponsor gets nothing; its worker, who has no payer now, the notice
    # that the protection ends (tests/reminders/test_payer.py).
    assert set(Reminder.objects.filter(user__isnull=True).values_list("enrollment_id", "kind", "channel")) == {
        (ended.pk, "coverage_ending", "worker_sms")
    }


def _plan_then(change, notify_file, *, day=datetime.date(2026, 12, 8)):
    reminders.reminders_plan(day=day, respect_quiet_hours=False)
    assert Reminder.objects.filter(status="planned").exists()
    change()
    reminders.reminders_queue()


@pytest.mark.parametrize("how", ["paid_through updated", "paid through the simulator"])
def test_a_month_paid_after_planning_is_skipped_not_sent(reference, notify_file, pin_today, how):
    enrollment = worker(paid_through=month(2026, 11))
    control = worker(paid_through=month(2026, 11))
    before = len(notify_file.messages())

    def pay():
        if how == "paid_through updated":
            Member.objects.filter(sponsorships=enrollment).update(paid_through=month(2026, 12))
        else:
            pin_today(datetime.date(2026, 12, 8))
            pay_invoice(invoice_for(enrollment, 1))
            enrollment.refresh_from_db()
            assert enrollment.member.paid_through == month(2026, 12)

    _plan_then(pay, notify_file)

    assert statuses(enrollment) == {"due_d7/sms": "skipped", "due_d7/inbox": "skipped"}
    assert statuses(control) == {"due_d7/sms": "sent", "due_d7/inbox": "sent"}
    reminder_lines = [m for m in notify_file.messages()[before:] if m["kind"] == "payment_reminder"]
    assert [m["to"] for m in reminder_lines] == [control.sponsor.phone]
    assert not InboxItem.objects.filter(user=enrollment.sponsor, kind="payment_reminder").exists()
    assert Reminder.objects.get(enrollment=enrollment, channel="sms").sent_at is None


def test_an_enrollment_ended_after_planning_is_skipped_not_sent(reference, notify_file):
    enrollment = worker(paid_through=month(2026, 8))
    control = worker(paid_through=month(2026, 8))

    _plan_then(lambda: registration.enrollment_end(enrollment=enrollment), notify_file,
               day=datetime.date(2026, 12, 16))

    assert set(statuses(enrollment).values()) == {"skipped"}
    assert len(statuses(enrollment)) == 3  # sms, inbox, worker_sms
    assert set(statuses(control).values()) == {"sent"}
    assert {m["to"] for m in notify_file.messages()} == {control.sponsor.phone, control.phone}
    assert not InboxItem.objects.filter(user=enrollment.sponsor, kind="coverage_lapsed").exists()


def test_arrears_paid_after_planning_are_skipped(reference, notify_file):
    enrollment = worker(paid_through=month(2026, 9))  # arrears since October

    _plan_then(lambda: Member.objects.filter(sponsorships=enrollment).update(paid_through=month(2026, 10)),
               notify_file)

    assert statuses(enrollment) == {"arrears_monthly/sms": "skipped", "arrears_monthly/inbox": "skipped"}
    assert notify_file.messages() == []


def test_a_prepaid_period_extended_after_planning_is_skipped(reference, notify_file, pin_today):
    enrollment = pay_through(worker(), month(2026, 12), months=3, pin_today=pin_today)
    before = len(notify_file.messages())

    _plan_then(lambda: Member.objects.filter(sponsorships=enrollment).update(paid_through=month(2027, 3)),
               notify_file, day=datetime.date(2026, 12, 21))

    assert statuses(enrollment) == {"prepaid_ending/sms": "skipped", "prepaid_ending/inbox": "skipped"}
    assert notify_file.messages()[before:] == []


# --- quiet hours -----------------------------------------------------------------------------------


@pytest.fixture
def all_channels_payer(db):
    from django.utils import timezone

    sponsor = UserFactory(remind_by_whatsapp=True, whatsapp_opt_in_at=timezone.now())
    Device.objects.create(user=sponsor, token="tok-quiet", platform="android")
    return sponsor


def test_at_night_sms_and_whatsapp_wait_for_8_am_while_inbox_and_push_go_at_once(
    reference, notify_file, clock, all_channels_payer
):
    enrollment = worker(sponsor=all_channels_payer, paid_through=month(2026, 11))
    clock(wib(2026, 12, 8, 21, 0))

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=True)

    by_channel = {r.channel: r for r in Reminder.objects.filter(enrollment=enrollment)}
    assert set(by_channel) == {"sms", "whatsapp", "push", "inbox"}
    assert by_channel["inbox"].status == by_channel["push"].status == "sent"
    for channel in ("sms", "whatsapp"):
        assert by_channel[channel].status == "planned"
        assert by_channel[channel].not_before == wib(2026, 12, 9, 8, 0)
    assert [m["channel"] for m in notify_file.messages()] == ["push"]
    assert InboxItem.objects.filter(user=all_channels_payer, kind="payment_reminder").count() == 1

    clock(wib(2026, 12, 9, 7, 59))
    reminders.reminders_queue()
    assert [m["channel"] for m in notify_file.messages()] == ["push"]

    clock(wib(2026, 12, 9, 8, 0))
    reminders.reminders_queue()
    assert sorted(m["channel"] for m in notify_file.messages()) == ["push", "sms", "whatsapp"]
    assert set(statuses(enrollment).values()) == {"sent"}
    assert InboxItem.objects.filter(user=all_channels_payer, kind="payment_reminder").count() == 1


def test_just_after_midnight_the_wait_is_until_8_am_the_same_day(reference, notify_file, clock):
    enrollment = worker(paid_through=month(2026, 11))
    clock(wib(2026, 12, 9, 0, 30))

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=True)

    sms = Reminder.objects.get(enrollment=enrollment, channel="sms")
    assert (sms.status, sms.not_before) == ("planned", wib(2026, 12, 9, 8, 0))
    assert notify_file.messages() == []


def test_send_reminders_with_a_date_sends_at_once_even_at_night(reference, notify_file, clock, all_channels_payer):
    enrollment = worker(sponsor=all_channels_payer, paid_through=month(2026, 11))
    clock(wib(2026, 12, 8, 21, 0))

    call_command("send_reminders", "--date", "2026-12-08")

    assert set(statuses(enrollment).values()) == {"sent"}
    assert sorted(m["channel"] for m in notify_file.messages()) == ["push", "sms", "whatsapp"]


def test_send_reminders_without_a_date_runs_today_and_respects_quiet_hours(reference, notify_file, clock):
    enrollment = worker(paid_through=month(2026, 11))
    clock(wib(2026, 12, 8, 21, 0))  # today (WIB) is the 8th, at night

    call_command("send_reminders")

    assert statuses(enrollment) == {"due_d7/sms": "planned", "due_d7/inbox": "sent"}
    assert Reminder.objects.get(enrollment=enrollment, channel="sms").not_before == wib(2026, 12, 9, 8, 0)
    assert notify_file.messages() == []


def test_the_beat_task_runs_the_pass_for_today_in_jakarta(reference, notify_file, clock):
    from contributions.tasks import daily_reminder_pass

    enrollment = worker(paid_through=month(2026, 11))
    clock(wib(2026, 12, 8, 8, 0))

    daily_reminder_pass.apply()

    assert rows(enrollment) == {
        ("due_d7", "sms", month(2026, 12), datetime.date(2026, 12, 15)),
        ("due_d7", "inbox", month(2026, 12), datetime.date(2026, 12, 15)),
    }
    assert set(statuses(enrollment).values()) == {"sent"}
    assert [m["to"] for m in notify_file.messages()] == [enrollment.sponsor.phone]


# --- the acceptance story, through the API --------------------------------------------------------


def test_a_worker_paid_through_last_month_gets_one_reminder_on_the_8th(reference, notify_file):
    today = registration.today_wib()
    this_month = today.replace(day=1)
    enrollment = worker(paid_through=shift(this_month, -1), full_name="Budi Santoso")
    sponsor = enrollment.sponsor
    api_client = client_for(sponsor)
    before = [m for m in notify_file.messages() if m["channel"] == "sms" and m["to"] == sponsor.phone]

    call_command("send_reminders", "--date", this_month.replace(day=8).isoformat())

    response = api_client.get("/api/v1/notifications")
    assert response.status_code == 200
    reminders_seen = [n for n in response.json()["results"] if n["kind"] == "payment_reminder"]
    assert len(reminders_seen) == 1
    assert "Budi Santoso" in reminders_seen[0]["body"]
    to_sponsor = [m for m in notify_file.messages() if m["channel"] == "sms" and m["to"] == sponsor.phone]
    assert len(to_sponsor) == len(before) + 1
    assert to_sponsor[-1]["kind"] == "payment_reminder"
    assert "Budi Santoso" in to_sponsor[-1]["body"]

    call_command("send_reminders", "--date", this_month.replace(day=8).isoformat())

    again = api_client.get("/api/v1/notifications").json()["results"]
    assert [n["kind"] for n in again].count("payment_reminder") == 1
    assert [m for m in notify_file.messages() if m["channel"] == "sms" and m["to"] == sponsor.phone] == to_sponsor


# --- provider errors -------------------------------------------------------------------------------


class FakeSms:
    """The SMS provider: fails as told, counts what it was asked."""

    calls: list[int] = []
    error: Exception | None = None

    def send(self, message):
        FakeSms.calls.append(message.id)
        if FakeSms.error is not None:
            raise FakeSms.error
        return f"fake-{message.id}"


@pytest.fixture
def fake_sms(monkeypatch, settings):
    FakeSms.calls = []
    FakeSms.error = None
    monkeypatch.setitem(backends.BACKENDS["sms"], "fake", FakeSms)
    settings.NOTIFY_SMS_BACKEND = "fake"
    return FakeSms


def _make_due_again(reminder: Reminder) -> None:
    Reminder.objects.filter(pk=reminder.pk).update(not_before=reminder.not_before - timedelta(days=1))


def test_a_transient_error_puts_the_reminder_back_with_a_later_time_and_counts_the_attempt(reference, fake_sms):
    from django.utils import timezone

    enrollment = worker(paid_through=month(2026, 11))
    fake_sms.error = TransientSendError("gateway answered HTTP 503")
    started = timezone.now()

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    sms = Reminder.objects.get(enrollment=enrollment, channel="sms")
    assert (sms.status, sms.attempts) == ("planned", 1)
    assert sms.not_before > started
    assert "503" in sms.last_error
    assert sms.sent_at is None
    assert Reminder.objects.get(enrollment=enrollment, channel="inbox").status == "sent"
    # Not before its time.
    reminders.reminders_queue()
    assert len(fake_sms.calls) == 1

    # Its time comes, the provider is back.
    fake_sms.error = None
    _make_due_again(sms)
    reminders.reminders_queue()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.provider_message_id) == ("sent", 2, f"fake-{sms.pk}")
    assert fake_sms.calls == [sms.pk, sms.pk]


def test_transient_errors_back_off_and_stop_at_the_attempt_cap(reference, fake_sms):
    enrollment = worker(paid_through=month(2026, 11))
    fake_sms.error = TransientSendError("timeout")

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)
    sms = Reminder.objects.get(enrollment=enrollment, channel="sms")
    delays = []
    for attempt in range(1, reminders.MAX_ATTEMPTS):
        sms.refresh_from_db()
        assert (sms.status, sms.attempts) == ("planned", attempt)
        delays.append(sms.not_before - sms.updated_at)
        _make_due_again(sms)
        reminders.reminders_queue()

    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("failed", reminders.MAX_ATTEMPTS)
    assert sms.last_error
    assert len(fake_sms.calls) == reminders.MAX_ATTEMPTS
    assert delays == sorted(delays) and delays[0] < delays[-1]  # backing off
    assert all(d <= timedelta(hours=1) for d in delays)
    # Failed is final.
    Reminder.objects.filter(pk=sms.pk).update(not_before=None)
    reminders.reminders_queue()
    assert reminders.reminders_send(reminder_ids=[sms.pk]) == {}
    assert len(fake_sms.calls) == reminders.MAX_ATTEMPTS


def test_a_permanent_error_fails_at_once_and_is_never_retried(reference, fake_sms):
    enrollment = worker(paid_through=month(2026, 11))
    fake_sms.error = PermanentSendError("number is not on a mobile network")

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    sms = Reminder.objects.get(enrollment=enrollment, channel="sms")
    assert (sms.status, sms.attempts) == ("failed", 1)
    assert "mobile network" in sms.last_error
    assert Reminder.objects.get(enrollment=enrollment, channel="inbox").status == "sent"
    reminders.reminders_queue()
    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)
    assert reminders.reminders_send(reminder_ids=[sms.pk]) == {}
    assert fake_sms.calls == [sms.pk]
