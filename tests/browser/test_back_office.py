"""A day in the back office, in a real browser (issue 24 "Done when"): a reviewer lands on the review
queue, opens the oldest flagged enrollment, sees the evidence and rejects it with a prepared reason from
the page; an admin's home draws its charts; English is one click away. Every page of the walk is
checked for 403s, raw codes, untranslated English and anything loaded from another host."""

import datetime

import pytest
from django.utils import timezone

from core.models import AuditLog
from registration.models import Enrollment
from tests.factories import PASSWORD, UserFactory, enrollment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference", "staff_groups")]


def staff(group: str, name: str):
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, full_name=name)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def queue(settings):
    """Two flagged enrollments: the older one the civil registry disputes, a newer one in review mode."""
    settings.SPONSOR_BURST_LIMIT = 1000
    disputed = enrollment(nik="3273015208850007", full_name="Dewi Lestary", birth_date_obj=datetime.date(1985, 8, 12))
    Enrollment.objects.filter(pk=disputed.pk).update(created_at=timezone.now() - datetime.timedelta(days=2),
                                                     consented_at=timezone.now() - datetime.timedelta(days=2))
    settings.REVIEW_MODE = "all"
    newer = enrollment(full_name="Rina Wati")
    settings.REVIEW_MODE = "flagged"
    return disputed, newer


def test_a_reviewer_rejects_the_oldest_flagged_enrollment_from_its_page(walk, queue):
    disputed, newer = queue
    reviewer = staff("reviewer", "Rahmat Reviewer")
    browser = walk("reviewer")

    home = browser.log_in(reviewer.phone, PASSWORD)
    assert "Antrean verifikasi" in home and "Menunggu verifikasi" in home
    assert browser.page.locator("canvas.chart").count() == 2

    browser.page.get_by_text("buka pendaftaran terlama").click()
    page = browser.check()
    assert browser.page.url.endswith(f"/admin/registration/enrollment/{disputed.pk}/change/")
    assert "Dukcapil melaporkan data tidak cocok" in page
    evidence = browser.page.locator('[data-evidence="registry_mismatch"]').inner_text()
    assert "Dewi Lestary" in evidence and "Dewi Lestari" in evidence  # typed, beside the registry's
    assert "Menunggu verifikasi selama 2" in page.replace("\xa0", " "), page[:600]
    assert browser.page.locator('input[name="_save"], button[name="_save"]').count() == 0

    browser.page.select_option('#reject-form select[name="prepared"]', "registry_mismatch")
    browser.page.fill('#reject-form textarea[name="reason"]', "Mohon periksa kembali KTP pekerja.")
    browser.page.click('#reject-form button[type="submit"]')
    browser.page.wait_for_url(f"**/admin/registration/enrollment/{newer.pk}/change/")  # the next one waiting
    after = browser.check()
    assert "1 pendaftaran diperbarui." in after

    disputed.refresh_from_db()
    assert disputed.status == "rejected"
    assert disputed.rejection_reason == ("Nama atau tanggal lahir tidak cocok dengan data Dukcapil. "
                                         "Mohon periksa kembali KTP pekerja.")
    assert AuditLog.objects.get(action="enrollment_reject").actor == reviewer

    listing = browser.goto("/admin/registration/enrollment/?status__exact=pending_review")
    assert "Rina Wati" in listing and "Dewi Lestary" not in listing
    flags_column = browser.page.locator("th", has_text="Tanda").first.bounding_box()
    assert flags_column["x"] + flags_column["width"] <= 1440  # on screen, no horizontal scroll
    assert browser.page.evaluate("document.documentElement.scrollWidth") <= 1440
    browser.goto("/admin/core/auditlog/")


def test_an_admins_home_draws_its_charts_and_speaks_english_on_request(walk, queue):
    admin = staff("admin", "Ayu Admin")
    browser = walk("admin")

    home = browser.log_in(admin.phone, PASSWORD)
    assert "Peserta dan perlindungan" in home
    charts = browser.page.locator("canvas.chart")
    assert charts.count() == 3
    drawn = browser.page.evaluate(
        "[...document.querySelectorAll('canvas.chart')].map(c => !!Chart.getChart(c) && c.width > 0 && c.height > 0)"
    )
    assert drawn == [True, True, True]

    for path in ["/admin/registration/enrollment/", "/admin/registration/member/", "/admin/core/auditlog/",
                 f"/admin/registration/enrollment/{queue[0].pk}/change/",
                 f"/admin/registration/member/{queue[0].member_id}/change/"]:
        browser.goto(path)

    browser.page.goto(browser.base + "/admin/")
    browser.page.evaluate(
        "document.querySelector('form[action=\"/i18n/setlang/\"] input[name=language][value=en]').form.submit()"
    )
    browser.page.wait_for_load_state("load")
    english = browser.check(language="en")
    assert "Members and coverage" in english and "Peserta dan perlindungan" not in english
