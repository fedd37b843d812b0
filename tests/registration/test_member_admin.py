"""The back office shows a member with all their sponsorships and the coverage ledger on one page, and
the review queue shows `member_phone_changed` with the phone on record beside the new one."""

import pytest

from contributions import services as contributions
from contributions.gateways import get_gateway
from core.crypto import decrypt_text
from registration import services
from registration.models import Enrollment, Member
from tests.factories import UserFactory, enrollment, random_mobile
from tests.registration.test_admin import _plain_static_files, staff_in  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.usefixtures("reference")

MEMBERS = "/admin/registration/member/"


def pay_one_month(worker: Enrollment) -> None:
    invoice = contributions.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    get_gateway("simulator").pay(order_id=invoice.number)
    contributions.invoice_sync(invoice=invoice)


@pytest.fixture
def member_with_history(pin_today):
    """A member sponsored by A (who paid a month and ended), then by B (who paid the next one)."""
    import datetime

    pin_today(datetime.date(2026, 12, 3))
    phone = random_mobile()
    first = enrollment(sponsor=UserFactory(full_name="Ani Lestari"), phone=phone)
    pay_one_month(first)
    services.enrollment_end(enrollment=first)
    second = enrollment(sponsor=UserFactory(full_name="Budi Santoso"), phone=phone,
                        nik=decrypt_text(first.member.nik_encrypted))
    pay_one_month(second)
    return Member.objects.get(pk=first.member_id), first, second


@pytest.mark.parametrize("group", ["reviewer", "finance", "admin"])
def test_the_member_page_shows_every_sponsorship_and_the_ledger(client, member_with_history, group):
    member, first, second = member_with_history
    client.force_login(staff_in(group))
    page = client.get(f"{MEMBERS}{member.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    for sponsorship in (first, second):
        # Finance sees the ledger, not the sponsorships (no enrollment pages: no link into a 403).
        assert (f"/admin/registration/enrollment/{sponsorship.pk}/change/" in text) == (group != "finance")
    assert "Ani Lestari" in text and "Budi Santoso" in text  # who paid each covered month
    for invoice_number in member.coverage_months.values_list("invoice__number", flat=True):
        assert invoice_number in text
    assert member.kpj_number in text and member.nik_masked in text
    assert decrypt_text(member.nik_encrypted) not in text
    assert member.phone not in text  # masked to its last 4 digits
    assert 'name="_save"' not in text


def test_members_are_found_by_nik_kpj_or_phone_exactly(client, member_with_history):
    member, first, _ = member_with_history
    other = enrollment().member
    client.force_login(staff_in("reviewer"))
    for term in (decrypt_text(member.nik_encrypted), member.kpj_number, member.phone, member.phone.replace("+62", "0")):
        listed = client.get(MEMBERS, {"q": term})
        assert {row.pk for row in listed.context["cl"].result_list} == {member.pk}, term
    assert other.pk in {row.pk for row in client.get(MEMBERS).context["cl"].result_list}
    assert client.get(MEMBERS, {"q": member.kpj_number[:6]}).context["cl"].result_list.count() == 0


def test_the_enrollment_page_links_its_member(client, member_with_history):
    member, first, _ = member_with_history
    client.force_login(staff_in("reviewer"))
    page = client.get(f"/admin/registration/enrollment/{first.pk}/change/")
    assert f"{MEMBERS}{member.pk}/change/" in page.content.decode()


def test_the_review_queue_shows_the_phone_on_record_beside_the_new_one(client, member_with_history):
    member, _, second = member_with_history
    services.enrollment_end(enrollment=second)
    new_phone = random_mobile()
    changed = enrollment(sponsor=UserFactory(), phone=new_phone, nik=decrypt_text(member.nik_encrypted))
    assert changed.status == "pending_review" and changed.review_flags == ["member_phone_changed"]

    client.force_login(staff_in("reviewer"))
    queue = client.get("/admin/registration/enrollment/", {"status": "pending_review"}).content.decode()
    shown = f"tercatat {'*' * (len(member.phone) - 4)}{member.phone[-4:]}, baru {'*' * (len(new_phone) - 4)}{new_phone[-4:]}"
    assert shown in queue
    assert member.phone not in queue and new_phone not in queue
    page = client.get(f"/admin/registration/enrollment/{changed.pk}/change/").content.decode()
    assert f"{'*' * (len(member.phone) - 4)}{member.phone[-4:]}" in page

    # The reviewer approves: the member keeps the KPJ, and the new phone is the one on record.
    approved = services.enrollment_approve(enrollment=changed, actor=staff_in("reviewer"))
    assert approved.kpj_number == member.kpj_number
    assert Member.objects.get(pk=member.pk).phone == new_phone


def test_nobody_adds_changes_or_deletes_a_member(client, member_with_history):
    member, _, _ = member_with_history
    client.force_login(staff_in("admin"))
    assert client.get(f"{MEMBERS}add/").status_code == 403
    assert client.get(f"{MEMBERS}{member.pk}/delete/").status_code == 403
    before = Member.objects.filter(pk=member.pk).values().get()
    client.post(f"{MEMBERS}{member.pk}/change/", {"kpj_number": "12345678903", "paid_through": "2030-01-01"})
    assert Member.objects.filter(pk=member.pk).values().get() == before


def test_the_member_list_counts_no_large_table_exactly(client, member_with_history, django_assert_max_num_queries):
    client.force_login(staff_in("reviewer"))
    with django_assert_max_num_queries(12):
        assert client.get(MEMBERS).status_code == 200
