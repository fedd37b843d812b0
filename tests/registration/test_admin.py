"""The back-office (Django admin): the review queue, least-privilege groups, NIK reveal, audit log."""

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditLog
from notifications.models import InboxItem
from registration import services
from registration.kpj import kpj_is_valid, luhn_check_digit
from registration.models import Enrollment, Member
from tests.factories import UserFactory, enrollment, make_nik, staff_in

pytestmark = pytest.mark.usefixtures("reference")

CHANGELIST = "/admin/registration/enrollment/"


def change_url(pk: int) -> str:
    return f"{CHANGELIST}{pk}/change/"


def reveal_url(pk: int) -> str:
    return f"{CHANGELIST}{pk}/reveal-nik/"


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Admin pages link their CSS through the staticfiles storage; a manifest storage (whitenoise)
    needs `collectstatic` first, which tests do not run. Static files are not under test here."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def reviewer(db):
    return staff_in("reviewer")


@pytest.fixture
def admin_staff(db):
    return staff_in("admin")


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def admin_client_(client, admin_staff):
    client.force_login(admin_staff)
    return client


@pytest.fixture
def pending(settings):
    """pending(**overrides) -> an enrollment waiting for review."""

    def make(**overrides) -> Enrollment:
        settings.REVIEW_MODE = "all"
        settings.SPONSOR_BURST_LIMIT = 1000
        made = enrollment(**overrides)
        settings.REVIEW_MODE = "flagged"
        assert made.status == "pending_review"
        return made

    return make


def listed(response) -> set[int]:
    assert response.status_code == 200, response.status_code
    return {obj.pk for obj in response.context["cl"].result_list}


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


# --- Review queue: list, change page, filters, search ------------------------------------------------------


def test_reviewer_sees_the_queue_and_the_change_page_with_a_masked_nik(reviewer_client, pending):
    nik = make_nik()
    made = pending(nik=nik)
    masked = "*" * 12 + nik[-4:]

    changelist = reviewer_client.get(CHANGELIST)
    assert changelist.status_code == 200
    assert made.pk in listed(changelist)
    assert masked in changelist.content.decode()
    assert nik not in changelist.content.decode()

    page = reviewer_client.get(change_url(made.pk))
    assert page.status_code == 200
    assert masked in page.content.decode()
    assert nik not in page.content.decode()


def test_filters(reviewer_client, pending, settings):
    settings.SPONSOR_BURST_LIMIT = 1000
    driver = pending(occupation="private_driver", nik=make_nik(province="32"))
    helper = pending(occupation="household_assistant", nik=make_nik(province="31"))
    approved = enrollment(occupation="gardener", nik=make_nik(province="31"))
    assert approved.status == "approved"

    assert listed(reviewer_client.get(CHANGELIST, {"status": "pending_review"})) == {driver.pk, helper.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"status": "approved"})) == {approved.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"sector": "transport"})) == {driver.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"sector": "non_transport"})) == {helper.pk, approved.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"occupation__code__exact": "gardener"})) == {approved.pk}
    both = {"status": "pending_review", "occupation__code__exact": "household_assistant"}
    assert listed(reviewer_client.get(CHANGELIST, both)) == {helper.pk}


def test_search_by_name_phone_and_full_nik(reviewer_client, pending):
    nik = make_nik()
    siti = pending(full_name="Siti Aminah", phone="+6281234567890", nik=nik)
    budi = pending(full_name="Budi Santoso", phone="+6281398765432")

    assert listed(reviewer_client.get(CHANGELIST, {"q": "Siti"})) == {siti.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"q": "santoso"})) == {budi.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"q": "0812-3456-7890"})) == {siti.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"q": "+62 813 9876 5432"})) == {budi.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"q": nik})) == {siti.pk}
    assert listed(reviewer_client.get(CHANGELIST, {"q": make_nik()})) == set()
    # Part of a NIK finds nothing: it is not stored in clear.
    assert listed(reviewer_client.get(CHANGELIST, {"q": nik[4:12]})) == set()


def _with_kpj(first_digits: str) -> Enrollment:
    """An approved enrollment whose (valid) KPJ number starts with `first_digits`."""
    made = enrollment()
    body = (first_digits + "7654321098")[:10]
    number = body + luhn_check_digit(body)
    assert kpj_is_valid(number)
    Member.objects.filter(sponsorships=made).update(kpj_number=number)
    Enrollment.objects.filter(pk=made.pk).update(kpj_number=number)
    made.refresh_from_db()
    return made


@pytest.mark.parametrize("first_digits", ["1", "2", "5", "9"])
def test_search_by_kpj(reviewer_client, first_digits):
    made = _with_kpj(first_digits)
    other = enrollment()
    assert listed(reviewer_client.get(CHANGELIST, {"q": made.kpj_number})) == {made.pk}
    assert other.pk not in listed(reviewer_client.get(CHANGELIST, {"q": made.kpj_number}))


@pytest.mark.parametrize("first_digits", ["8", "628"])
def test_search_by_kpj_that_looks_like_a_phone(reviewer_client, first_digits):
    made = _with_kpj(first_digits)
    assert listed(reviewer_client.get(CHANGELIST, {"q": made.kpj_number})) == {made.pk}


def _changelist_sql(client, params: dict) -> str:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST, params).status_code == 200
    return "\n".join(query["sql"] for query in queries.captured_queries if "registration_enrollment" in query["sql"])


def test_identifier_searches_are_exact_matches_on_an_index(reviewer_client, pending):
    # At 70 M enrollments a LIKE '%…%' reads the whole table, for the page and again for its count.
    nik = make_nik()
    siti = pending(full_name="Siti Aminah", phone="+6281234567890", nik=nik)
    with_kpj = _with_kpj("2")

    for term in [nik, "0812-3456-7890", with_kpj.kpj_number, "28765432109"]:
        sql = _changelist_sql(reviewer_client, {"q": term})
        assert "LIKE" not in sql.upper(), (term, sql)
    assert "LIKE" in _changelist_sql(reviewer_client, {"q": "Siti"}).upper()  # a name is searched inside
    assert listed(reviewer_client.get(CHANGELIST, {"q": "28765432109"})) == set()  # not a KPJ in use
    assert listed(reviewer_client.get(CHANGELIST, {"q": "0812-3456-7890"})) == {siti.pk}


def test_a_name_search_can_use_the_trigram_index(reviewer, pending, rf):
    # A name is searched inside the text; on PostgreSQL a trigram index serves that (registration
    # 0008), so a search reads the matching rows, not the table. The test table is tiny, so the
    # planner is told to avoid a full read if it can.
    siti = pending(full_name="Siti Aminah")
    request = rf.get(CHANGELIST, {"q": "siti aminah"})
    request.user = reviewer
    found, _ = admin.site._registry[Enrollment].get_search_results(request, Enrollment.objects.all(), "siti aminah")
    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "registration_enr_name_trgm" in plan, plan
    assert list(found) == [siti]


def test_an_ended_worker_is_found_by_phone(reviewer_client, pending):
    ended = services.enrollment_end(enrollment=pending(phone="+6281234567890"))
    assert ended.status == "ended"

    assert listed(reviewer_client.get(CHANGELIST, {"q": "081234567890"})) == {ended.pk}


def test_the_changelist_aggregates_no_dates_over_the_table(reviewer_client, pending):
    # A date_hierarchy computes its links with a DISTINCT (or MIN/MAX) over every row listed.
    pending()
    sql = _changelist_sql(reviewer_client, {}).upper()

    assert "DATE_TRUNC" not in sql and "MIN(" not in sql and "DISTINCT" not in sql


# --- Approve action -----------------------------------------------------------------------------------------


def approve(client, *ids):
    return client.post(
        CHANGELIST, {"action": "approve_selected", "_selected_action": [str(i) for i in ids]}, follow=True
    )


def test_approve_action_goes_through_the_service(reviewer_client, reviewer, pending):
    made = pending()
    response = approve(reviewer_client, made.pk)
    assert response.status_code == 200
    row = Enrollment.objects.get(pk=made.pk)
    assert row.status == "approved"
    assert kpj_is_valid(row.kpj_number)
    assert row.reviewed_by == reviewer
    assert row.approved_at is not None
    log = AuditLog.objects.get(action="enrollment_approve")
    assert log.actor == reviewer and log.object_id == str(made.pk)
    assert [i.kind for i in InboxItem.objects.filter(user=made.sponsor)] == ["enrollment_approved"]
    assert ("success", "1 pendaftaran diperbarui.") in messages_of(response)


def test_bulk_approve(reviewer_client, reviewer, pending):
    made = [pending() for _ in range(3)]
    approve(reviewer_client, *[m.pk for m in made])
    rows = Enrollment.objects.filter(pk__in=[m.pk for m in made])
    assert {r.status for r in rows} == {"approved"}
    assert len({r.kpj_number for r in rows}) == 3
    assert AuditLog.objects.filter(action="enrollment_approve", actor=reviewer).count() == 3


def test_approving_an_approved_one_leaves_it_and_warns(reviewer_client, pending):
    done = enrollment(full_name="Joko Susilo")
    assert done.status == "approved"
    waiting = pending()
    before = Enrollment.objects.filter(pk=done.pk).values().get()

    response = approve(reviewer_client, done.pk, waiting.pk)
    assert Enrollment.objects.filter(pk=done.pk).values().get() == before
    assert Enrollment.objects.get(pk=waiting.pk).status == "approved"
    levels = messages_of(response)
    assert any(level == "warning" and "Joko Susilo" in text for level, text in levels), levels
    assert AuditLog.objects.filter(action="enrollment_approve").count() == 1


def test_staff_without_a_group_cannot_use_the_queue(client, pending):
    made = pending()
    client.force_login(staff_in(None))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(made.pk)).status_code == 403
    client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [str(made.pk)]})
    assert Enrollment.objects.get(pk=made.pk).status == "pending_review"


# --- Reject action ------------------------------------------------------------------------------------------


def test_reject_action_asks_for_a_reason_first(reviewer_client, pending):
    made = [pending(), pending()]
    ids = [str(m.pk) for m in made]

    form = reviewer_client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": ids})
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()
    assert {e.status for e in Enrollment.objects.filter(pk__in=ids)} == {"pending_review"}

    empty = reviewer_client.post(
        CHANGELIST, {"action": "reject_selected", "_selected_action": ids, "apply": "1", "reason": "  "}
    )
    assert empty.status_code == 200
    assert 'name="reason"' in empty.content.decode()
    assert {e.status for e in Enrollment.objects.filter(pk__in=ids)} == {"pending_review"}
    assert not AuditLog.objects.exists()


def test_reject_action_with_a_reason(reviewer_client, reviewer, pending):
    made = [pending(), pending()]
    ids = [str(m.pk) for m in made]
    response = reviewer_client.post(
        CHANGELIST,
        {"action": "reject_selected", "_selected_action": ids, "apply": "1", "reason": "Nomor HP bukan milik pekerja"},
        follow=True,
    )
    assert response.status_code == 200
    for row in Enrollment.objects.filter(pk__in=ids):
        assert row.status == "rejected"
        assert row.rejection_reason == "Nomor HP bukan milik pekerja"
        assert row.reviewed_by == reviewer
    assert AuditLog.objects.filter(action="enrollment_reject", actor=reviewer).count() == 2
    assert InboxItem.objects.filter(kind="enrollment_rejected").count() == 2


# --- NIK reveal ---------------------------------------------------------------------------------------------


def test_reviewer_cannot_reveal_a_nik(reviewer_client, pending):
    made = pending()
    assert reviewer_client.get(reveal_url(made.pk)).status_code == 403
    assert reviewer_client.post(reveal_url(made.pk)).status_code == 403
    assert not AuditLog.objects.filter(action="nik_reveal").exists()
    assert reveal_url(made.pk) not in reviewer_client.get(change_url(made.pk)).content.decode()


def test_admin_reveals_a_nik_and_it_is_logged(admin_client_, admin_staff, pending):
    nik = make_nik()
    made = pending(nik=nik)

    page = admin_client_.get(change_url(made.pk))
    assert page.status_code == 200
    assert reveal_url(made.pk) in page.content.decode()
    assert nik not in page.content.decode()

    confirm = admin_client_.get(reveal_url(made.pk))
    assert confirm.status_code == 200
    assert nik not in confirm.content.decode()
    assert "*" * 12 + nik[-4:] in confirm.content.decode()
    assert not AuditLog.objects.filter(action="nik_reveal").exists()

    revealed = admin_client_.post(reveal_url(made.pk))
    assert revealed.status_code == 200
    assert nik in revealed.content.decode()
    log = AuditLog.objects.get(action="nik_reveal")
    assert log.actor == admin_staff
    assert log.object_type == "registration.enrollment" and log.object_id == str(made.pk)
    assert nik not in log.detail


def test_reveal_of_an_unknown_enrollment_is_404(admin_client_):
    assert admin_client_.post(reveal_url(987654)).status_code == 404
    assert not AuditLog.objects.exists()


# --- Least privilege: no add, no delete, no hand edits; the audit log is read-only ------------------------------


@pytest.mark.parametrize("who", ["reviewer", "admin", "superuser"])
def test_nobody_adds_or_deletes_an_enrollment(client, pending, who):
    made = pending()
    if who == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    else:
        user = staff_in(who)
    client.force_login(user)

    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{made.pk}/delete/").status_code == 403
    assert client.post(f"{CHANGELIST}{made.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [str(made.pk)], "post": "yes"})
    assert Enrollment.objects.filter(pk=made.pk).exists()


def test_the_change_page_edits_nothing_by_hand(reviewer_client, pending):
    made = pending()
    before = Enrollment.objects.filter(pk=made.pk).values().get()
    reviewer_client.post(
        change_url(made.pk),
        {"status": "approved", "kpj_number": "12345678903", "full_name": "Orang Lain", "phone": "+6281300000000"},
    )
    assert Enrollment.objects.filter(pk=made.pk).values().get() == before


def test_reviewer_cannot_change_reference_data_but_admin_can(client):
    reviewer, admin = staff_in("reviewer"), staff_in("admin")
    client.force_login(reviewer)
    assert client.get("/admin/registration/occupation/").status_code == 200
    assert client.get("/admin/registration/occupation/add/").status_code == 403
    client.force_login(admin)
    assert client.get("/admin/registration/occupation/add/").status_code == 200


@pytest.mark.parametrize("who", ["reviewer", "admin", "superuser"])
def test_audit_log_is_visible_and_read_only(client, pending, who):
    made = pending()
    actor = staff_in("reviewer")
    services.enrollment_approve(enrollment=made, actor=actor)
    log = AuditLog.objects.get()
    before = AuditLog.objects.filter(pk=log.pk).values().get()
    user = UserFactory(is_staff=True, is_superuser=True) if who == "superuser" else staff_in(who)
    client.force_login(user)

    listing = client.get("/admin/core/auditlog/")
    assert listing.status_code == 200
    assert log.pk in listed(listing)
    view = client.get(f"/admin/core/auditlog/{log.pk}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert client.post(f"/admin/core/auditlog/{log.pk}/change/", {"action": "x"}).status_code == 403
    assert client.get("/admin/core/auditlog/add/").status_code == 403
    assert client.get(f"/admin/core/auditlog/{log.pk}/delete/").status_code == 403
    assert client.post(f"/admin/core/auditlog/{log.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post("/admin/core/auditlog/", {"action": "delete_selected", "_selected_action": [str(log.pk)],
                                          "post": "yes"})
    assert AuditLog.objects.filter(pk=log.pk).values().get() == before


@pytest.mark.parametrize("path", [CHANGELIST, "/admin/", "/admin/core/auditlog/"])
def test_a_non_staff_user_is_sent_to_the_login_page(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, pending):
    made = pending()
    for path in [CHANGELIST, change_url(made.pk), reveal_url(made.pk)]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [str(made.pk)]})
    assert Enrollment.objects.get(pk=made.pk).status == "pending_review"


def test_the_change_page_shows_review_details(reviewer_client, pending):
    made = pending(birth_date_obj=datetime.date(1990, 7, 5))
    content = reviewer_client.get(change_url(made.pk)).content.decode()
    assert "Mode verifikasi mewajibkan setiap pendaftaran diperiksa" in content  # the flag, as people read it
    assert "Siti Aminah" in content
