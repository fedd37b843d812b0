"""Reminders follow the payer (issue 20): the current payer of each member is reminded, never a former
sponsor; a member without a payer (the sponsorship ended, nobody took over) gets one SMS while covered
months remain, at D-7 of the first unpaid month: until when they are covered and how to continue."""

import datetime

import pytest

from contributions import reminders
from contributions.models import Reminder
from core.crypto import decrypt_text
from registration import services as registration
from registration.models import Member
from tests.factories import UserFactory
from tests.factories import enrollment as make_enrollment
from tests.reminders.helpers import month, worker

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 8)  # D-7 of December: who is paid through November is reminded


def plan_and_send(day: datetime.date = DAY) -> None:
    reminders.reminders_plan(day=day, respect_quiet_hours=False)
    reminders.reminders_queue()


def recipients() -> set[tuple]:
    return set(Reminder.objects.values_list("enrollment_id", "user_id", "kind", "channel"))


def ended_with_nobody_paying(*, paid_through, phone=None):
    sponsor = UserFactory()
    made = worker(sponsor=sponsor, paid_through=paid_through, **({"phone": phone} if phone else {}))
    return registration.enrollment_end(enrollment=made)


def test_a_member_whose_sponsor_ended_gets_one_notice_and_the_former_sponsor_nothing(reference, notify_file):
    ended = ended_with_nobody_paying(paid_through=month(2026, 11))
    before = len(notify_file.messages())

    plan_and_send()
    plan_and_send()  # twice: nothing twice

    assert recipients() == {(ended.pk, None, "coverage_ending", "worker_sms")}
    sent = notify_file.messages()[before:]
    assert [m["to"] for m in sent] == [ended.member.phone]
    body = sent[0]["body"]
    assert ended.kpj_number in body and "November 2026" in body and "Desember 2026" in body
    assert "Rp28.400" in body and "15-12-2026" in body and "Daftarkan Diri Sendiri" in body
    assert not [m for m in notify_file.messages() if m["to"] == ended.sponsor.phone]


def test_no_notice_without_covered_months(reference, notify_file):
    never_paid = ended_with_nobody_paying(paid_through=None)
    in_arrears = ended_with_nobody_paying(paid_through=month(2026, 10))
    paid_ahead = ended_with_nobody_paying(paid_through=month(2027, 2))
    plan_and_send()
    assert not Reminder.objects.filter(enrollment__in=[never_paid, in_arrears, paid_ahead]).exists()


def test_a_prepaid_member_is_told_when_the_last_paid_month_is_over(reference, notify_file):
    ended = ended_with_nobody_paying(paid_through=month(2027, 2))
    plan_and_send(datetime.date(2027, 3, 9))
    assert recipients() == {(ended.pk, None, "coverage_ending", "worker_sms")}


def test_the_worker_who_continues_alone_is_reminded_as_the_payer(reference, notify_file):
    account = UserFactory()
    ended = ended_with_nobody_paying(paid_through=month(2026, 11), phone=account.phone)
    nik = decrypt_text(ended.member.nik_encrypted)
    mine = make_enrollment(sponsor=account, relationship="self", phone=account.phone, nik=nik)
    assert mine.status == "approved" and mine.member_id == ended.member_id

    plan_and_send()
    assert {(e, u, kind) for e, u, kind, _ in recipients()} == {(mine.pk, account.pk, "due_d7")}
    assert not Reminder.objects.filter(enrollment=ended).exists()


def test_a_new_sponsor_who_took_over_is_reminded_never_the_old_one(reference, notify_file):
    ended = ended_with_nobody_paying(paid_through=month(2026, 11))
    new_sponsor = UserFactory()
    taken_over = make_enrollment(sponsor=new_sponsor, phone=ended.member.phone,
                                 nik=decrypt_text(ended.member.nik_encrypted))
    assert taken_over.status == "approved"
    plan_and_send()
    assert {u for _, u, _, _ in recipients()} == {new_sponsor.pk}
    assert not Reminder.objects.filter(user=ended.sponsor).exists()


def test_the_notice_is_skipped_if_someone_pays_again_before_it_is_sent(reference, notify_file):
    account = UserFactory()
    ended = ended_with_nobody_paying(paid_through=month(2026, 11), phone=account.phone)
    reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    assert Reminder.objects.filter(kind="coverage_ending").count() == 1

    make_enrollment(sponsor=account, relationship="self", phone=account.phone,
                    nik=decrypt_text(ended.member.nik_encrypted))
    reminders.reminders_queue()
    assert Reminder.objects.get(kind="coverage_ending").status == "skipped"


def test_the_notice_is_skipped_once_the_month_is_paid(reference, notify_file):
    ended = ended_with_nobody_paying(paid_through=month(2026, 11))
    reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    Member.objects.filter(pk=ended.member_id).update(paid_through=month(2026, 12))
    reminders.reminders_queue()
    assert Reminder.objects.get(kind="coverage_ending").status == "skipped"
