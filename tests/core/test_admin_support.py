"""Support and navigation in the back office (issue 24): the message list shows the recipient masked
and finds messages by the recipient's phone in any format, on an index; the audit log is found by
invoice number and KPJ and links its objects where the viewer may open them; a sponsor's page lists
their workers and invoices for the roles that may see them; no link leads a role into a 403."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contributions import services as contributions
from core.models import AuditLog
from notifications import services as notifications
from notifications.models import Message
from registration import services as registration
from tests.factories import UserFactory, enrollment, staff_in

pytestmark = pytest.mark.usefixtures("reference", "december")


@pytest.fixture
def december(pin_today):
    return pin_today(datetime.date(2026, 12, 3))

MESSAGES = "/admin/notifications/message/"
AUDIT = "/admin/core/auditlog/"


def found(client, url: str, term: str) -> set[int]:
    """The ids a changelist search finds, failing if it ran a LIKE (a read of the whole table)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"q": term})
    assert response.status_code == 200, term
    assert not [q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"].upper()], term
    return {obj.pk for obj in response.context["cl"].result_list}


def links(html: str) -> set[str]:
    return set(re.findall(r'href="(/admin/[^"?]+)', html))


# --- messages ---------------------------------------------------------------------------------------


@pytest.fixture
def support_client(client):
    client.force_login(staff_in("admin"))
    return client


def test_messages_show_the_recipient_masked_and_are_found_by_phone_in_any_format(support_client):
    someone = UserFactory(phone="+6281234567890")
    sms = notifications.sms_send(to="+6281234567890", kind="payment_received", language="id", number="INV-1",
                                 receipt_number="RCP-1", amount="Rp1", covered="-")
    push = Message.objects.create(channel="push", kind="payment_received", to="device-token-" + "x" * 300,
                                  user=someone, body="…")
    other = notifications.sms_send(to="+6281299990000", kind="payment_received", language="id", number="INV-2",
                                   receipt_number="RCP-2", amount="Rp1", covered="-")

    page = support_client.get(MESSAGES)
    assert page.status_code == 200
    assert "*********7890" in page.text
    assert "+6281234567890" not in page.text and "device-token" not in page.text
    for term in ["081234567890", "+6281234567890", "6281234567890", "0812-3456-7890"]:
        assert found(support_client, MESSAGES, term) == {sms.pk, push.pk}, term
    assert found(support_client, MESSAGES, "0812345") == set()  # no partial matches
    assert found(support_client, MESSAGES, str(other.pk)) == {other.pk}
    detail = support_client.get(f"{MESSAGES}{sms.pk}/change/")
    assert detail.status_code == 200 and "*********7890" in detail.text and "+6281234567890" not in detail.text


def test_the_recipient_search_reads_the_phone_index(support_client):
    notifications.sms_send(to="+6281234567890", kind="payment_received", language="id", number="INV-1",
                           receipt_number="RCP-1", amount="Rp1", covered="-")
    response = support_client.get(MESSAGES, {"q": "081234567890"})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "notifications_msg_to_idx" in response.context["cl"].queryset.explain()


@pytest.mark.parametrize("group", ["reviewer", "finance"])
def test_roles_without_the_outbox_cannot_read_it(client, group):
    client.force_login(staff_in(group))
    assert client.get(MESSAGES).status_code == 403


# --- the audit log ----------------------------------------------------------------------------------


@pytest.fixture
def audited(db):
    """An approval, a NIK reveal and a refund, audit-logged, and one about something else."""
    admin_user = staff_in("admin")
    worker = enrollment(occupation="household_assistant")
    if worker.status == "pending_review":
        registration.enrollment_approve(enrollment=worker, actor=admin_user)
    worker.refresh_from_db()
    registration.enrollment_reveal_nik(enrollment=worker, actor=admin_user)
    finance = staff_in("finance")
    invoice = contributions.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    from contributions.gateways import get_gateway

    get_gateway("simulator").pay(order_id=invoice.number, gross_amount=1000)
    invoice = contributions.invoice_sync(invoice=invoice)
    contributions.invoice_refund(invoice=invoice, actor=finance, amount=1000, reference="BCA-1",
                                 transferred_on=datetime.date(2026, 12, 1))
    elsewhere = enrollment()
    registration.enrollment_reveal_nik(enrollment=elsewhere, actor=admin_user)
    return {"worker": worker, "invoice": invoice, "finance": finance, "admin": admin_user}


def test_the_audit_log_is_found_by_invoice_number_and_kpj(client, audited):
    client.force_login(staff_in(None, is_superuser=True))
    worker, invoice = audited["worker"], audited["invoice"]
    refund_row = AuditLog.objects.get(action="invoice_refund")
    about_worker = set(AuditLog.objects.filter(object_type="registration.enrollment", object_id=str(worker.pk))
                       .values_list("pk", flat=True))
    assert len(about_worker) >= 1
    assert found(client, AUDIT, invoice.number) == {refund_row.pk}
    assert found(client, AUDIT, invoice.number.lower()) == {refund_row.pk}
    assert found(client, AUDIT, worker.member.kpj_number) == about_worker
    assert found(client, AUDIT, "INV-") == set()


def test_audit_objects_link_to_their_pages_only_for_viewers_who_may_open_them(client, audited):
    invoice_url = f"/admin/contributions/invoice/{audited['invoice'].pk}/change/"
    worker_url = f"/admin/registration/enrollment/{audited['worker'].pk}/change/"

    client.force_login(audited["finance"])  # sees invoices, not enrollments
    page = client.get(AUDIT)
    assert page.status_code == 200
    assert invoice_url in page.text and worker_url not in page.text
    assert str(audited["worker"].pk) in page.text  # the id, as text
    row = AuditLog.objects.get(action="invoice_refund")
    detail = client.get(f"{AUDIT}{row.pk}/change/")
    assert detail.status_code == 200 and invoice_url in detail.text

    client.force_login(staff_in("reviewer"))  # sees enrollments, not invoices
    page = client.get(AUDIT)
    assert worker_url in page.text and invoice_url not in page.text

    for user in (audited["finance"], staff_in("reviewer"), audited["admin"]):
        client.force_login(user)
        for url in links(client.get(AUDIT).text):
            if "/change/" in url and "/core/auditlog/" not in url:
                assert client.get(url).status_code == 200, (user, url)


# --- a sponsor's page ---------------------------------------------------------------------------------


def test_a_sponsors_page_lists_their_workers_and_invoices(client, monkeypatch):
    monkeypatch.setattr("sponsors.sponsor_pages.SHOWN", 3)
    sponsor = UserFactory()
    workers = [enrollment(sponsor=sponsor) for _ in range(5)]
    invoice = contributions.invoice_create(sponsor=sponsor, items=[{"worker": workers[0].pk, "months": 1}])
    someone_elses = enrollment()

    client.force_login(staff_in("admin"))
    page = client.get(f"/admin/sponsors/user/{sponsor.pk}/change/")
    assert page.status_code == 200
    shown = [worker for worker in workers if f"/admin/registration/enrollment/{worker.pk}/change/" in page.text]
    assert shown == workers[2:]  # the latest 3
    assert f"/admin/registration/enrollment/{someone_elses.pk}/change/" not in page.text
    assert invoice.number in page.text and f"/admin/contributions/invoice/{invoice.pk}/change/" in page.text
    assert f"/admin/registration/enrollment/?sponsor__id__exact={sponsor.pk}" in page.text
    assert f"/admin/contributions/invoice/?sponsor__id__exact={sponsor.pk}" in page.text

    every_worker = client.get("/admin/registration/enrollment/", {"sponsor__id__exact": sponsor.pk})
    assert every_worker.status_code == 200
    assert {obj.pk for obj in every_worker.context["cl"].result_list} == {worker.pk for worker in workers}
    every_invoice = client.get("/admin/contributions/invoice/", {"sponsor__id__exact": sponsor.pk})
    assert [obj.pk for obj in every_invoice.context["cl"].result_list] == [invoice.pk]
    for url in links(page.text):
        if "/registration/" in url or "/contributions/" in url:
            assert client.get(url).status_code == 200, url


def test_a_sponsors_page_links_nothing_a_role_may_not_open(client):
    sponsor = UserFactory()
    worker = enrollment(sponsor=sponsor)
    limited = staff_in(None)  # may see accounts only
    from django.contrib.auth.models import Permission

    limited.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(limited)
    page = client.get(f"/admin/sponsors/user/{sponsor.pk}/change/")
    assert page.status_code == 200
    assert "/admin/registration/enrollment/" not in page.text
    assert "/admin/contributions/invoice/" not in page.text
    assert worker.full_name not in page.text


# --- reminders ----------------------------------------------------------------------------------------


def test_support_finds_reminders_by_kpj_or_payer_phone(client):
    from django.utils import timezone

    from contributions.models import Reminder

    def reminder(worker, kind="due_d7"):
        now = timezone.now()
        return Reminder.objects.create(
            enrollment=worker, user=worker.sponsor, kind=kind, channel="sms", month=datetime.date(2026, 12, 1),
            due_date=datetime.date(2026, 12, 15), created_at=now, updated_at=now,
        )

    worker, other = enrollment(), enrollment()
    mine, theirs = reminder(worker), reminder(other)
    url = "/admin/contributions/reminder/"
    client.force_login(staff_in("admin"))
    page = client.get(url)
    assert page.status_code == 200
    assert worker.sponsor.phone not in page.text and worker.sponsor.phone[-4:] in page.text
    assert found(client, url, worker.member.kpj_number) == {mine.pk}
    assert found(client, url, "0" + other.sponsor.phone[3:]) == {theirs.pk}
    assert found(client, url, worker.member.kpj_number[:6]) == set()
    assert client.get(url, {"status__exact": "planned", "channel__exact": "sms"}).status_code == 200
    client.force_login(staff_in("reviewer"))
    assert client.get(url).status_code == 403


def test_the_audit_log_filters_by_action_and_object_without_reading_the_whole_log(client, audited):
    client.force_login(staff_in(None, is_superuser=True))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(AUDIT)
    assert page.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]
    assert "Pengembalian dana dicatat" in page.text and "NIK lengkap dibuka" in page.text  # not `nik_reveal`
    assert ">nik_reveal<" not in page.text
    refunds = client.get(AUDIT, {"action": "invoice_refund"})
    assert {row.action for row in refunds.context["cl"].result_list} == {"invoice_refund"}
    invoices = client.get(AUDIT, {"object_type": "contributions.invoice"})
    assert {row.object_type for row in invoices.context["cl"].result_list} == {"contributions.invoice"}


def test_the_reminder_list_makes_a_constant_number_of_queries(client, django_assert_max_num_queries):
    from django.utils import timezone

    from contributions.models import Reminder

    client.force_login(staff_in("admin"))
    for _ in range(4):
        worker = enrollment()
        now = timezone.now()
        Reminder.objects.create(enrollment=worker, user=worker.sponsor, kind="due_d7", channel="sms",
                                month=datetime.date(2026, 12, 1), due_date=datetime.date(2026, 12, 15),
                                created_at=now, updated_at=now)
    with django_assert_max_num_queries(8):
        assert client.get("/admin/contributions/reminder/").status_code == 200


def test_the_audit_log_names_object_types_as_people_read_them(client, audited):
    client.force_login(audited["admin"])
    page = client.get(AUDIT, HTTP_ACCEPT_LANGUAGE="id")
    assert page.status_code == 200
    shown = re.sub(r"<[^>]*>", " ", page.text)  # what a person reads: no tags, no filter URLs
    assert "Tagihan" in shown and "Pendaftaran" in shown
    for label in ("contributions.invoice", "registration.enrollment", "registration.member"):
        assert label not in shown
    row = AuditLog.objects.get(action="invoice_refund")
    detail = client.get(f"{AUDIT}{row.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Invoice" in detail.text and "contributions.invoice" not in re.sub(r"<[^>]*>", " ", detail.text)
