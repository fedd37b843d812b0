"""The reviewer's workbench (issue 24): the queue oldest first with how long each waits and readable
flags; on the enrollment page the evidence of each flag, and Approve / Reject (a prepared reason and
a note) through the review services; no Save, no write, and no link into a 403."""

import datetime
import re

import pytest
from django.utils import timezone

from core.models import AuditLog
from registration.models import Enrollment
from tests.factories import UserFactory, enrollment, make_nik, staff_in

pytestmark = pytest.mark.usefixtures("reference")

CHANGELIST = "/admin/registration/enrollment/"


def change_url(pk: int) -> str:
    return f"{CHANGELIST}{pk}/change/"


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def reviewer_client(client):
    client.force_login(staff_in("reviewer"))
    return client


def text_of(response) -> str:
    """The page as read: tags and attributes removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_queue_is_oldest_first_with_waiting_time_and_readable_flags(reviewer_client, settings):
    settings.REVIEW_MODE = "all"
    older, newer = enrollment(full_name="Ani Older"), enrollment(full_name="Budi Newer")
    Enrollment.objects.filter(pk=older.pk).update(created_at=timezone.now() - datetime.timedelta(days=3),
                                                  consented_at=timezone.now() - datetime.timedelta(days=3))

    page = reviewer_client.get(CHANGELIST, {"status__exact": "pending_review"})

    assert [e.pk for e in page.context["cl"].result_list] == [older.pk, newer.pk]
    shown = text_of(page)
    assert "3 hari" in shown  # waiting since, in words
    assert "Mode verifikasi mewajibkan setiap pendaftaran diperiksa" in shown
    assert "review_all" not in shown
    # Elsewhere the list stays newest first.
    assert [e.pk for e in reviewer_client.get(CHANGELIST).context["cl"].result_list][:2] == [newer.pk, older.pk]


def test_registry_mismatch_shows_what_the_sponsor_typed_beside_the_registry(reviewer_client):
    # The local registry knows this NIK as "Dewi Lestari" (seeds/civil_registry_local.json).
    made = enrollment(nik="3273015208850007", full_name="Dewi Lestary", birth_date_obj=datetime.date(1985, 8, 12))
    assert made.status == "pending_review" and made.review_flags == ["registry_mismatch"]

    shown = text_of(reviewer_client.get(change_url(made.pk)))

    assert "Dukcapil melaporkan data tidak cocok" in shown
    assert re.search(r"Nama lengkap Dewi Lestary Dewi Lestari", shown), shown


def test_a_shared_phone_lists_the_other_registrations(reviewer_client, settings):
    settings.SPONSOR_BURST_LIMIT = 1000
    first = enrollment(full_name="Rina Pertama", phone="+6281355500011")
    second = enrollment(full_name="Sari Kedua", phone="+6281355500011")
    assert "phone_shared" in second.review_flags

    page = reviewer_client.get(change_url(second.pk))

    assert "Nomor HP sudah dipakai pendaftaran aktif lain" in text_of(page)
    assert f'href="{change_url(first.pk)}"' in page.content.decode()
    assert "Rina Pertama" in text_of(page)


def test_a_sponsor_burst_lists_the_sponsors_registrations_of_the_last_24_hours(reviewer_client, settings):
    settings.SPONSOR_BURST_LIMIT = 2
    sponsor = UserFactory()
    made = [enrollment(sponsor=sponsor, full_name=f"Pekerja {name}") for name in ("Satu", "Dua", "Tiga")]
    assert "sponsor_burst" in made[-1].review_flags

    shown = text_of(reviewer_client.get(change_url(made[-1].pk)))

    assert "Sponsor mendaftarkan 2 pekerja lain dalam 24 jam sebelum pendaftaran ini" in shown
    assert "Pekerja Satu" in shown and "Pekerja Dua" in shown


def test_the_sponsor_is_not_linked_for_a_reviewer_who_may_not_open_accounts(reviewer_client, client, settings):
    settings.REVIEW_MODE = "all"
    made = enrollment()
    page = reviewer_client.get(change_url(made.pk)).content.decode()
    assert f"/admin/sponsors/user/{made.sponsor_id}/change/" not in page
    assert made.sponsor.full_name in page
    for url in re.findall(r'href="(/admin/[^"#]*)"', page):
        assert reviewer_client.get(url.replace("&amp;", "&")).status_code == 200, url

    client.force_login(staff_in("admin"))  # admins manage accounts: the same page links the sponsor
    assert f"/admin/sponsors/user/{made.sponsor_id}/change/" in client.get(change_url(made.pk)).content.decode()


def test_approve_from_the_page_goes_through_the_service_and_opens_the_next_oldest(reviewer_client, settings):
    settings.REVIEW_MODE = "all"
    first, following = enrollment(), enrollment()
    page = reviewer_client.get(change_url(first.pk)).content.decode()
    assert f'action="{CHANGELIST}{first.pk}/approve/"' in page
    assert 'name="_save"' not in page

    response = reviewer_client.post(f"{CHANGELIST}{first.pk}/approve/")

    assert response.status_code == 302 and response["Location"] == change_url(following.pk)
    first.refresh_from_db()
    assert first.status == "approved" and first.kpj_number
    assert AuditLog.objects.filter(action="enrollment_approve", object_id=str(first.pk)).count() == 1
    assert reviewer_client.get(f"{CHANGELIST}{first.pk}/approve/").status_code == 405


def test_reject_from_the_page_with_a_prepared_reason_in_the_sponsors_language(reviewer_client, settings):
    settings.REVIEW_MODE = "all"
    sponsor = UserFactory(language="en")
    made = enrollment(sponsor=sponsor)

    response = reviewer_client.post(f"{CHANGELIST}{made.pk}/reject/",
                                    {"prepared": "nik_not_found", "reason": "Please check the KTP."})

    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == "rejected"
    assert made.rejection_reason == "The NIK is not in the civil registry. Please check the KTP."
    log = AuditLog.objects.get(action="enrollment_reject", object_id=str(made.pk))
    assert log.detail == made.rejection_reason


def test_reject_without_any_reason_changes_nothing(reviewer_client, settings):
    settings.REVIEW_MODE = "all"
    made = enrollment()
    response = reviewer_client.post(f"{CHANGELIST}{made.pk}/reject/", {"prepared": "", "reason": "  "})
    assert response.status_code == 302 and response["Location"] == change_url(made.pk)
    made.refresh_from_db()
    assert made.status == "pending_review"
    assert not AuditLog.objects.exists()


def test_the_page_saves_nothing_and_writes_no_history(reviewer_client, settings):
    settings.REVIEW_MODE = "all"
    made = enrollment()
    before = Enrollment.objects.filter(pk=made.pk).values("updated_at", "status").get()

    assert reviewer_client.post(change_url(made.pk), {"full_name": "Changed", "_save": "1"}).status_code == 403

    assert Enrollment.objects.filter(pk=made.pk).values("updated_at", "status").get() == before
    from django.contrib.admin.models import LogEntry
    assert not LogEntry.objects.exists()


def test_a_decided_enrollment_shows_no_decision_buttons(reviewer_client, settings):
    settings.REVIEW_MODE = "all"
    made = enrollment()
    reviewer_client.post(f"{CHANGELIST}{made.pk}/approve/")
    page = reviewer_client.get(change_url(made.pk)).content.decode()
    assert "/approve/" not in page and "/reject/" not in page


def test_the_audit_trail_link_lists_this_enrollments_actions(reviewer_client, settings):
    settings.REVIEW_MODE = "all"
    made, other = enrollment(nik=make_nik()), enrollment(nik=make_nik())
    reviewer_client.post(f"{CHANGELIST}{made.pk}/approve/")
    reviewer_client.post(f"{CHANGELIST}{other.pk}/approve/")
    page = reviewer_client.get(change_url(made.pk)).content.decode()
    url = re.search(r'href="(/admin/core/auditlog/\?[^"]+)"', page).group(1).replace("&amp;", "&")

    listing = reviewer_client.get(url)

    assert [log.object_id for log in listing.context["cl"].result_list] == [str(made.pk)]
    assert "Pendaftaran disetujui" in text_of(listing)
