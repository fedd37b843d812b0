"""API.md "Members": one person (NIK) is one member for life; sponsorships come and go.

The scenario of the issue runs through the API: sponsor A registers and pays 3 months, A ends, the
worker enrolls themselves with the same NIK: same KPJ, billing after paid_through; another sponsor can
take over only when the member has no open sponsorship, with the worker's consent.
"""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from contributions.models import CoverageMonth, Invoice
from core.crypto import blind_index, decrypt_text
from notifications.models import InboxItem, Message
from registration import services
from registration.choices import ConsentMethod
from registration.models import Enrollment, Member
from tests.api import client_for, first_error
from tests.factories import UserFactory, enrollment, make_nik, random_mobile, worker_payload
from tests.registration.conftest import years_ago

pytestmark = pytest.mark.usefixtures("reference")

WORKERS = "/api/v1/workers"
D = datetime.date


@pytest.fixture
def december(pin_today):
    return pin_today(D(2026, 12, 3))


def register(client, **overrides):
    return client.post(WORKERS, worker_payload(**overrides))


def consent(client, worker_id: int, notify_file, phone: str):
    return client.post(f"{WORKERS}/{worker_id}/consent", {"code": notify_file.last_code(phone)})


def pay(client, worker_id: int, months: int, key: str) -> dict:
    invoice = client.post("/api/v1/invoices", {"items": [{"worker": worker_id, "months": months}]},
                          HTTP_IDEMPOTENCY_KEY=key)
    assert invoice.status_code == 201, invoice.content
    paid = client.post("/api/v1/payments/simulator/pay", {"number": invoice.json()["number"]})
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.content
    return paid.json()


def months_of(invoice: dict) -> list[str]:
    return [month["month"] for item in invoice["items"] for month in item["months"]]


def sponsored(sponsor, notify_file, committed, **overrides) -> dict:
    """A worker registered through the API and consented by the code sent to their phone."""
    client = client_for(sponsor)
    phone = overrides.setdefault("phone", random_mobile())
    created = committed(register, client, **overrides)
    assert created.status_code == 201, created.content
    consented = consent(client, created.json()["id"], notify_file, phone)
    assert consented.status_code == 200, consented.content
    return consented.json()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


# --- Continuing after a sponsor ends --------------------------------------------------------------------


def test_the_worker_continues_alone_with_the_same_kpj_and_no_month_billed_twice(december, notify_file, committed):
    sponsor_a, worker = UserFactory(), UserFactory()
    nik = make_nik()
    first = sponsored(sponsor_a, notify_file, committed, nik=nik, phone=worker.phone)
    assert first["status"] == "approved"
    kpj = first["kpj_number"]
    assert first["member"] == {"registered_at": "2026-12-03", "coverage_started": None, "sponsorships": 1}
    paid = pay(client_for(sponsor_a), first["id"], 3, "a-3")
    assert months_of(paid) == ["2026-12", "2027-01", "2027-02"]

    ended = committed(client_for(sponsor_a).post, f"{WORKERS}/{first['id']}/end")
    assert ended.status_code == 200
    assert (ended.json()["status"], ended.json()["end_reason"]) == ("ended", "sponsor_ended")
    assert ended.json()["ended_at"] is not None

    mine = committed(register, client_for(worker), nik=nik, phone=worker.phone, relationship="self")
    assert mine.status_code == 201, mine.content
    body = mine.json()
    assert body["status"] == "approved"
    assert body["kpj_number"] == kpj
    assert body["coverage"]["status"] == "active" and body["coverage"]["paid_through"] == "2027-02"
    assert body["member"] == {"registered_at": "2026-12-03", "coverage_started": "2026-12", "sponsorships": 2}
    assert Member.objects.count() == 1

    next_invoice = pay(client_for(worker), body["id"], 1, "self-1")
    assert months_of(next_invoice) == ["2027-03"]  # after paid_through: December is never billed again
    assert CoverageMonth.objects.filter(month=D(2026, 12, 1)).count() == 1


def test_arrears_continue_on_the_new_sponsorship(pin_today, notify_file, committed):
    pin_today(D(2026, 10, 3))
    sponsor_a, sponsor_b = UserFactory(), UserFactory()
    nik, phone = make_nik(), random_mobile()
    first = sponsored(sponsor_a, notify_file, committed, nik=nik, phone=phone)
    pay(client_for(sponsor_a), first["id"], 1, "oct")  # October paid
    committed(client_for(sponsor_a).post, f"{WORKERS}/{first['id']}/end")

    pin_today(D(2026, 12, 20))  # November and December are overdue
    second = sponsored(sponsor_b, notify_file, committed, nik=nik, phone=phone)
    assert second["kpj_number"] == first["kpj_number"]
    assert second["coverage"] == {"status": "arrears", "paid_through": "2026-10", "next_due_date": "2026-11-15",
                                  "arrears_months": 2}
    assert months_of(pay(client_for(sponsor_b), second["id"], 3, "b")) == ["2026-11", "2026-12", "2027-01"]
    assert Member.objects.get().coverage_started == D(2026, 10, 1)  # the same period, continued


def test_an_open_sponsorship_holds_the_member_until_it_ends(december, notify_file, committed):
    sponsor_a, sponsor_b = UserFactory(), UserFactory()
    nik, phone = make_nik(), random_mobile()
    first = sponsored(sponsor_a, notify_file, committed, nik=nik, phone=phone)

    refused = register(client_for(sponsor_b), nik=nik, phone=phone)
    assert (refused.status_code, first_error(refused)) == (409, ("nik_already_registered", "nik"))

    committed(client_for(sponsor_a).post, f"{WORKERS}/{first['id']}/end")
    taken_over = sponsored(sponsor_b, notify_file, committed, nik=nik, phone=phone)
    assert taken_over["status"] == "approved" and taken_over["kpj_number"] == first["kpj_number"]


# --- Age, phone on record ------------------------------------------------------------------------------


def test_the_age_limit_applies_only_to_a_persons_first_registration(settings, notify_file, committed):
    settings.WORKER_MAX_AGE = 64
    birth = years_ago(66)
    nik = make_nik(birth_date=birth)
    newcomer = register(client_for(UserFactory()), nik=nik, birth_date_obj=birth)
    assert (newcomer.status_code, first_error(newcomer)) == (400, ("age_not_eligible", "birth_date"))

    # The same person registered at 63 and was approved then: they may be sponsored again at 66.
    settings.WORKER_MAX_AGE = 70
    phone = random_mobile()
    first = sponsored(UserFactory(), notify_file, committed, nik=nik, birth_date_obj=birth, phone=phone)
    committed(client_for(Enrollment.objects.get(pk=first["id"]).sponsor).post, f"{WORKERS}/{first['id']}/end")
    settings.WORKER_MAX_AGE = 64
    again = sponsored(UserFactory(), notify_file, committed, nik=nik, birth_date_obj=birth, phone=phone)
    assert again["status"] == "approved" and again["kpj_number"] == first["kpj_number"]


def test_a_registration_that_never_got_approved_is_no_first_registration(settings):
    settings.WORKER_MAX_AGE = 64
    birth = years_ago(66)
    nik = make_nik(birth_date=birth)
    settings.WORKER_MAX_AGE = 70
    made = enrollment(nik=nik, birth_date_obj=birth, consent=False)
    services.enrollment_end(enrollment=made)
    settings.WORKER_MAX_AGE = 64
    response = register(client_for(UserFactory()), nik=nik, birth_date_obj=birth)
    assert (response.status_code, first_error(response)) == (400, ("age_not_eligible", "birth_date"))


def test_another_phone_than_the_one_on_record_goes_to_review_after_consent(december, notify_file, committed):
    sponsor_a, sponsor_b = UserFactory(), UserFactory()
    nik, phone = make_nik(), random_mobile()
    first = sponsored(sponsor_a, notify_file, committed, nik=nik, phone=phone)
    committed(client_for(sponsor_a).post, f"{WORKERS}/{first['id']}/end")

    new_phone = random_mobile()
    created = committed(register, client_for(sponsor_b), nik=nik, phone=new_phone)
    assert created.json()["status"] == "awaiting_consent"
    assert created.json()["kpj_number"] is None and created.json()["member"] is None  # nothing shown yet
    flagged = consent(client_for(sponsor_b), created.json()["id"], notify_file, new_phone)
    assert flagged.json()["status"] == "pending_review"
    assert flagged.json()["kpj_number"] is None and flagged.json()["coverage"]["paid_through"] is None
    assert "member_phone_changed" in Enrollment.objects.get(pk=created.json()["id"]).review_flags


def test_the_phone_on_record_follows_a_patch_of_the_approved_sponsorship(december, notify_file, committed):
    sponsor = UserFactory()
    first = sponsored(sponsor, notify_file, committed)
    new_phone = random_mobile()
    assert client_for(sponsor).patch(f"{WORKERS}/{first['id']}", {"phone": new_phone}).status_code == 200
    assert Member.objects.get().phone == new_phone


def test_a_self_enrollment_joins_through_the_phone_on_record_only(december, notify_file, committed):
    sponsor, stranger = UserFactory(), UserFactory()
    nik = make_nik()
    first = sponsored(sponsor, notify_file, committed, nik=nik)
    committed(client_for(sponsor).post, f"{WORKERS}/{first['id']}/end")

    # Someone else typing the NIK into their own self-enrollment sees no membership: it waits for review.
    theirs = committed(register, client_for(stranger), nik=nik, phone=stranger.phone, relationship="self")
    assert theirs.status_code == 201
    body = theirs.json()
    assert (body["status"], body["kpj_number"], body["member"]) == ("pending_review", None, None)
    assert body["coverage"]["paid_through"] is None
    assert Enrollment.objects.get(pk=body["id"]).review_flags == ["member_phone_changed"]


# --- Unconsented registrations ------------------------------------------------------------------------


def _age(made: Enrollment, hours: float) -> None:
    Enrollment.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(hours=hours))


def test_an_unconsented_registration_expires_and_frees_the_nik(settings, notify_file, committed):
    settings.CONSENT_TTL_HOURS = 72
    probe = enrollment(consent=False)
    fresh = enrollment(consent=False)
    _age(probe, 72.1)
    _age(fresh, 71.9)

    assert services.enrollments_expire_unconsented() == 1
    assert services.enrollments_expire_unconsented() == 0  # idempotent
    probe.refresh_from_db()
    assert probe.status == "expired" and probe.expired_at is not None
    assert Enrollment.objects.get(pk=fresh.pk).status == "awaiting_consent"
    inbox = InboxItem.objects.get(user=probe.sponsor)
    assert inbox.kind == "enrollment_expired" and probe.full_name in inbox.body
    assert not Message.objects.filter(user=probe.sponsor, kind="enrollment_expired").exists()  # inbox only

    shown = client_for(probe.sponsor).get(f"{WORKERS}/{probe.pk}").json()
    assert shown["status"] == "expired"
    late = client_for(probe.sponsor).post(f"{WORKERS}/{probe.pk}/consent", {"code": "123456"})
    assert (late.status_code, first_error(late)[0]) == (409, "invalid_status")
    # The NIK is free again for the real owner.
    nik = decrypt_text(probe.member.nik_encrypted)
    again = committed(register, client_for(UserFactory()), nik=nik)
    assert again.status_code == 201
    assert again.json()["status"] == "awaiting_consent"


def test_the_beat_task_expires_them(settings):
    from registration.tasks import expire_unconsented

    made = enrollment(consent=False)
    _age(made, settings.CONSENT_TTL_HOURS + 1)
    assert expire_unconsented() == 1
    assert Enrollment.objects.get(pk=made.pk).status == "expired"


def test_an_overdue_registration_does_not_hold_the_nik_while_the_beat_has_not_run(settings):
    probe = enrollment(consent=False)
    _age(probe, settings.CONSENT_TTL_HOURS + 1)
    nik = decrypt_text(probe.member.nik_encrypted)
    response = register(client_for(UserFactory()), nik=nik)
    assert response.status_code == 201, response.content
    assert Enrollment.objects.get(pk=probe.pk).status == "expired"
    # A consent code sent before the expiry no longer consents.
    refused = client_for(probe.sponsor).post(f"{WORKERS}/{probe.pk}/consent", {"code": "000000"})
    assert (refused.status_code, first_error(refused)[0]) == (409, "invalid_status")


def test_consent_after_the_ttl_expires_the_registration(settings, notify_file, committed):
    sponsor = UserFactory()
    phone = random_mobile()
    created = committed(register, client_for(sponsor), phone=phone)
    code = notify_file.last_code(phone)
    Enrollment.objects.filter(pk=created.json()["id"]).update(
        created_at=timezone.now() - timedelta(hours=settings.CONSENT_TTL_HOURS, seconds=1)
    )
    late = client_for(sponsor).post(f"{WORKERS}/{created.json()['id']}/consent", {"code": code})
    assert (late.status_code, first_error(late)) == (409, ("invalid_status", None))
    assert Enrollment.objects.get(pk=created.json()["id"]).status == "expired"


def test_the_named_workers_own_self_enrollment_replaces_an_unconsented_registration(notify_file, committed):
    worker, sponsor = UserFactory(), UserFactory()
    nik = make_nik()
    squatted = committed(register, client_for(sponsor), nik=nik, phone=worker.phone).json()

    mine = committed(register, client_for(worker), nik=nik, phone=worker.phone, relationship="self")
    assert mine.status_code == 201, mine.content
    assert mine.json()["status"] == "approved"
    assert Enrollment.objects.get(pk=squatted["id"]).status == "expired"
    assert InboxItem.objects.filter(user=sponsor, kind="enrollment_expired").count() == 1


def test_someone_elses_self_enrollment_does_not_replace_it(committed):
    sponsor, stranger = UserFactory(), UserFactory()
    nik = make_nik()
    squatted = committed(register, client_for(sponsor), nik=nik).json()  # another phone than the stranger's
    refused = register(client_for(stranger), nik=nik, phone=stranger.phone, relationship="self")
    assert (refused.status_code, first_error(refused)) == (409, ("nik_already_registered", "nik"))
    assert Enrollment.objects.get(pk=squatted["id"]).status == "awaiting_consent"


def test_a_consented_registration_is_never_replaced(settings, notify_file, committed):
    worker, sponsor = UserFactory(), UserFactory()
    nik = make_nik()
    settings.REVIEW_MODE = "all"
    held = sponsored(sponsor, notify_file, committed, nik=nik, phone=worker.phone)
    assert held["status"] == "pending_review"
    refused = register(client_for(worker), nik=nik, phone=worker.phone, relationship="self")
    assert (refused.status_code, first_error(refused)[0]) == (409, "nik_already_registered")


# --- Ending ---------------------------------------------------------------------------------------------


def test_ending_tells_the_worker_until_when_they_are_covered_and_how_to_continue(december, notify_file, committed):
    sponsor = UserFactory(full_name="Budi Santoso")
    made = sponsored(sponsor, notify_file, committed)
    pay(client_for(sponsor), made["id"], 3, "3")
    committed(client_for(sponsor).post, f"{WORKERS}/{made['id']}/end")

    [sms] = [m for m in notify_file.messages() if m["to"] == made["phone"] and "Februari 2027" in m["body"]]
    assert "Budi Santoso" in sms["body"] and made["kpj_number"] in sms["body"]
    assert "Daftarkan Diri Sendiri" in sms["body"]


def test_ending_before_any_payment_says_nothing_is_paid_yet(december, notify_file, committed):
    made = sponsored(UserFactory(), notify_file, committed)
    committed(client_for(Enrollment.objects.get(pk=made["id"]).sponsor).post, f"{WORKERS}/{made['id']}/end")
    [sms] = Message.objects.filter(to=made["phone"], kind="sponsorship_ended_unpaid")
    assert "Belum ada bulan yang dibayar" in sms.body


def test_the_workers_own_account_gets_the_notice_in_its_inbox(december, notify_file, committed):
    worker = UserFactory(language="en")
    made = sponsored(UserFactory(), notify_file, committed, phone=worker.phone)
    pay(client_for(Enrollment.objects.get(pk=made["id"]).sponsor), made["id"], 1, "1")
    committed(client_for(Enrollment.objects.get(pk=made["id"]).sponsor).post, f"{WORKERS}/{made['id']}/end")
    item = InboxItem.objects.get(user=worker)
    assert item.kind == "sponsorship_ended" and "December 2026" in item.body


def test_ending_an_unconsented_registration_tells_the_worker_nothing(notify_file, committed):
    sponsor, phone = UserFactory(), random_mobile()
    created = committed(register, client_for(sponsor), phone=phone).json()
    committed(client_for(sponsor).post, f"{WORKERS}/{created['id']}/end")
    assert [m["kind"] for m in notify_file.messages() if m["to"] == phone] == ["otp_consent"]


def test_an_ended_sponsorship_shows_the_coverage_as_it_stood_when_it_ended(december, notify_file, committed):
    sponsor_a, sponsor_b = UserFactory(), UserFactory()
    nik, phone = make_nik(), random_mobile()
    first = sponsored(sponsor_a, notify_file, committed, nik=nik, phone=phone)
    pay(client_for(sponsor_a), first["id"], 1, "a")
    committed(client_for(sponsor_a).post, f"{WORKERS}/{first['id']}/end")
    second = sponsored(sponsor_b, notify_file, committed, nik=nik, phone=phone)
    pay(client_for(sponsor_b), second["id"], 6, "b")

    former = client_for(sponsor_a).get(f"{WORKERS}/{first['id']}").json()
    assert former["kpj_number"] == first["kpj_number"]
    assert former["coverage"] == {"status": "active", "paid_through": "2026-12", "next_due_date": None,
                                  "arrears_months": 0}
    assert former["member"]["coverage_started"] == "2026-12"
    listed = client_for(sponsor_a).get(WORKERS).json()["results"][0]
    assert listed["coverage"]["paid_through"] == "2026-12"
    current = client_for(sponsor_b).get(f"{WORKERS}/{second['id']}").json()
    assert current["coverage"]["paid_through"] == "2027-06"
    assert current["member"]["sponsorships"] == 2


# --- The worker's own view: GET /me/sponsorships, withdraw ---------------------------------------------


def test_the_worker_sees_who_sponsors_them_and_withdraws(december, notify_file, committed):
    worker, sponsor = UserFactory(), UserFactory(full_name="Ani Lestari")
    nik = make_nik()
    made = sponsored(sponsor, notify_file, committed, nik=nik, phone=worker.phone)
    pay(client_for(sponsor), made["id"], 1, "1")
    unrelated = sponsored(UserFactory(), notify_file, committed)  # another phone: not the caller's

    listed = client_for(worker).get("/api/v1/me/sponsorships")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [made["id"]]
    [row] = listed.json()
    assert set(row) == {"id", "sponsor_name", "relationship", "status", "kpj_number", "coverage", "created_at",
                        "ended_at", "end_reason"}
    assert (row["sponsor_name"], row["status"], row["kpj_number"]) == ("Ani Lestari", "approved", made["kpj_number"])
    assert sponsor.phone not in listed.content.decode()

    withdrawn = committed(client_for(worker).post, f"/api/v1/me/sponsorships/{made['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.content
    assert (withdrawn.json()["status"], withdrawn.json()["end_reason"]) == ("ended", "consent_withdrawn")
    assert withdrawn.json()["kpj_number"] == made["kpj_number"]
    assert withdrawn.json()["coverage"]["paid_through"] == "2026-12"
    assert InboxItem.objects.filter(user=sponsor, kind="consent_withdrawn").count() == 1
    assert Message.objects.filter(to=sponsor.phone, kind="consent_withdrawn").count() == 1
    assert client_for(sponsor).get(f"{WORKERS}/{made['id']}").json()["end_reason"] == "consent_withdrawn"
    assert Member.objects.get(nik_hash=blind_index(nik)).paid_through == D(2026, 12, 1)

    again = client_for(worker).post(f"/api/v1/me/sponsorships/{made['id']}/withdraw")
    assert (again.status_code, first_error(again)[0]) == (409, "sponsorship_not_open")
    assert client_for(worker).post(f"/api/v1/me/sponsorships/{unrelated['id']}/withdraw").status_code == 404
    # The ended sponsorship is still listed, as it ended.
    assert client_for(worker).get("/api/v1/me/sponsorships").json()[0]["status"] == "ended"


def test_withdrawing_stops_billing_and_reminders(december, notify_file, committed):
    worker, sponsor = UserFactory(), UserFactory()
    made = sponsored(sponsor, notify_file, committed, phone=worker.phone)
    invoice = client_for(sponsor).post("/api/v1/invoices", {"items": [{"worker": made["id"], "months": 1}]},
                                       HTTP_IDEMPOTENCY_KEY="k").json()
    committed(client_for(worker).post, f"/api/v1/me/sponsorships/{made['id']}/withdraw")
    assert Invoice.objects.get(pk=invoice["id"]).status == "cancelled"


def test_a_sponsorship_awaiting_consent_can_be_withdrawn(notify_file, committed):
    worker, sponsor = UserFactory(), UserFactory()
    created = committed(register, client_for(sponsor), phone=worker.phone).json()
    withdrawn = client_for(worker).post(f"/api/v1/me/sponsorships/{created['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "ended"
    assert withdrawn.json()["kpj_number"] is None


def test_own_self_enrollment_and_other_peoples_workers_are_not_listed(notify_file, committed):
    worker = UserFactory()
    mine = committed(register, client_for(worker), phone=worker.phone, relationship="self").json()
    assert client_for(worker).get("/api/v1/me/sponsorships").json() == []
    assert client_for(worker).post(f"/api/v1/me/sponsorships/{mine['id']}/withdraw").status_code == 404


def test_the_sponsorship_list_makes_a_fixed_number_of_queries(notify_file, committed, django_assert_max_num_queries):
    worker = UserFactory()
    for _ in range(3):
        created = committed(register, client_for(UserFactory()), phone=worker.phone).json()
        services.enrollment_end(enrollment=Enrollment.objects.get(pk=created["id"]))
    client = client_for(worker)
    with django_assert_max_num_queries(2):  # the user, the sponsorships with their sponsors and members
        assert len(client.get("/api/v1/me/sponsorships").json()) == 3


# --- The worker object and the list filters ------------------------------------------------------------


def test_member_is_null_before_approval_and_the_end_fields_are_null_while_open(committed):
    created = committed(register, client_for(UserFactory())).json()
    assert (created["member"], created["ended_at"], created["end_reason"]) == (None, None, None)


def test_list_filters_by_status_and_coverage(pin_today, settings, notify_file, committed):
    pin_today(D(2026, 12, 20))
    sponsor = UserFactory()
    client = client_for(sponsor)
    active, arrears, lapsed, unpaid = (enrollment(sponsor=sponsor) for _ in range(4))
    for made, paid_through in ((active, D(2026, 12, 1)), (arrears, D(2026, 10, 1)), (lapsed, D(2026, 6, 1))):
        Member.objects.filter(sponsorships=made).update(paid_through=paid_through)
    waiting = enrollment(sponsor=sponsor, consent=False)
    services.enrollment_end(enrollment=lapsed)  # ended: its coverage as it stood (lapsed by now)

    def ids(query: str) -> set[int]:
        response = client.get(f"{WORKERS}?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("status=approved") == {active.pk, arrears.pk, unpaid.pk}
    assert ids("status=awaiting_consent,ended") == {waiting.pk, lapsed.pk}
    assert ids("coverage_status=active") == {active.pk}
    assert ids("coverage_status=arrears") == {arrears.pk}
    assert ids("coverage_status=lapsed") == {lapsed.pk}
    assert ids("coverage_status=not_started") == {unpaid.pk, waiting.pk}
    assert ids("status=approved&coverage_status=not_started") == {unpaid.pk}
    for query, attr in (("status=approved,bogus", "status"), ("status=", "status"), ("coverage_status=paid", "coverage_status")):
        response = client.get(f"{WORKERS}?{query}")
        assert (response.status_code, first_error(response)) == (400, ("invalid_choice", attr)), query


def test_the_filtered_list_makes_a_constant_number_of_queries(django_assert_max_num_queries):
    sponsor = UserFactory()
    client = client_for(sponsor)
    enrollment(sponsor=sponsor)
    client.get(WORKERS)  # the process's rate book and occupation sectors, read once a minute
    with django_assert_max_num_queries(2) as few:  # the user, the page with its members
        client.get(f"{WORKERS}?status=approved,ended&coverage_status=not_started")
    for _ in range(4):
        enrollment(sponsor=sponsor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{WORKERS}?status=approved,ended&coverage_status=not_started")
    assert len(response.json()["results"]) == 5


def test_consent_record_keeps_working_for_the_seed(notify_file):
    made = enrollment(consent=False)
    approved = services.enrollment_consent_record(enrollment=made, method=ConsentMethod.DEMO)
    assert approved.status == "approved" and approved.member.kpj_number == approved.kpj_number
