"""The workers (enrollments) API of API.md: registration, consent, automated checks, changes, end,
listing, object-level authorization and the error contract."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.crypto import blind_index
from notifications.models import InboxItem, Message
from registration import services
from registration.api.serializers import CoverageSerializer, WorkerSerializer
from registration.kpj import kpj_is_valid
from registration.models import Enrollment, IncomeLevel, Occupation
from sponsors.choices import OtpPurpose
from sponsors.models import OtpChallenge
from tests.factories import UserFactory, enrollment, make_nik, worker_payload
from tests.api import client_for, first_error
from tests.registration.conftest import db_row, years_ago

pytestmark = pytest.mark.usefixtures("reference")

WORKERS = "/api/v1/workers"
WORKER_KEYS = {
    "id",
    "full_name",
    "nik_masked",
    "gender",
    "birth_date",
    "phone",
    "occupation",
    "relationship",
    "income_level",
    "programmes",
    "status",
    "kpj_number",
    "monthly_contribution",
    "coverage",
    "member",
    "created_at",
    "ended_at",
    "end_reason",
}
COVERAGE_KEYS = {"status", "paid_through", "next_due_date", "arrears_months"}


def url(worker_id: int, action: str = "") -> str:
    return f"{WORKERS}/{worker_id}" + (f"/{action}" if action else "")


def create(client, committed, **overrides) -> dict:
    response = committed(client.post, WORKERS, worker_payload(**overrides))
    assert response.status_code == 201, response.content
    return response.json()


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def consent_challenges(worker_id: int):
    return OtpChallenge.objects.filter(purpose=OtpPurpose.WORKER_CONSENT, subject_id=worker_id)


def staff():
    return UserFactory(is_staff=True)


def in_state(state: str, settings, *, sponsor=None, **overrides) -> Enrollment:
    """An enrollment in `state`, made through the services."""
    previous = settings.REVIEW_MODE
    if state == "awaiting_consent":
        made = enrollment(sponsor=sponsor, consent=False, **overrides)
    elif state == "approved":
        made = enrollment(sponsor=sponsor, **overrides)
    else:
        settings.REVIEW_MODE = "all"
        made = enrollment(sponsor=sponsor, **overrides)
        settings.REVIEW_MODE = previous
        if state == "rejected":
            made = services.enrollment_reject(enrollment=made, actor=staff(), reason="Data tidak cocok")
        elif state == "ended":
            made = services.enrollment_end(enrollment=made)
    assert made.status == state
    return made


# --- POST /workers: the worker object ---------------------------------------------------------------


@pytest.mark.parametrize(
    "programmes, monthly", [(["JKK", "JKM", "JHT"], 36800), (["JKK", "JKM"], 16800)], ids=["with-JHT", "no-JHT"]
)
def test_create_answers_201_with_the_worker_object(auth_client, user, notify_file, committed, programmes, monthly):
    nik = make_nik(birth_date=datetime.date(1990, 7, 5), female=True)
    payload = worker_payload(nik=nik, phone="0812-3456-7890", programmes=programmes)
    response = committed(auth_client.post, WORKERS, payload)

    assert response.status_code == 201, response.content
    worker = response.json()
    assert WORKER_KEYS <= set(worker), WORKER_KEYS - set(worker)
    assert set(worker["coverage"]) >= COVERAGE_KEYS
    assert worker["full_name"] == "Siti Aminah"
    assert worker["nik_masked"] == "*" * 12 + nik[-4:]
    assert nik not in response.content.decode()
    assert worker["gender"] == "F"
    assert worker["birth_date"] == "1990-07-05"
    assert worker["phone"] == "+6281234567890"
    assert worker["occupation"] == "household_assistant"
    assert worker["relationship"] == "household_helper"
    assert worker["income_level"] == 1_000_000
    assert worker["programmes"] == programmes
    assert worker["status"] == "awaiting_consent"
    assert worker["kpj_number"] is None
    assert worker["monthly_contribution"] == monthly
    assert isinstance(worker["monthly_contribution"], int)
    assert worker["coverage"]["status"] == "not_started"
    assert worker["coverage"]["paid_through"] is None
    assert worker["coverage"]["arrears_months"] == 0
    assert datetime.datetime.fromisoformat(worker["created_at"]).tzinfo is not None

    row = Enrollment.objects.get(pk=worker["id"])
    assert row.sponsor == user
    assert row.status == "awaiting_consent"

    # The consent code goes to the WORKER's phone, not to the sponsor.
    messages = notify_file.messages()
    assert [m["to"] for m in messages] == ["+6281234567890"]
    codes = re.findall(r"\b\d{6}\b", messages[0]["body"])
    assert len(codes) == 1
    assert not [m for m in messages if m["to"] == user.phone]
    consented = auth_client.post(url(worker["id"], "consent"), {"code": codes[0]})
    assert consented.status_code == 200, consented.content


def test_worker_object_has_exactly_the_schema_fields_in_the_current_time_zone(auth_client, user):
    """The worker object is rendered by one function, not field by field: it must still be what
    WorkerSerializer (the schema) declares, with DRF's time formatting."""
    made = enrollment(sponsor=user)
    listed = auth_client.get(WORKERS).json()["results"][0]
    shown = auth_client.get(url(made.pk)).json()

    assert listed == shown
    assert set(shown) == set(WorkerSerializer().fields)
    assert set(shown["coverage"]) == set(CoverageSerializer().fields)
    made.refresh_from_db()
    for name in ("consented_at", "created_at"):
        moment = datetime.datetime.fromisoformat(shown[name])
        assert moment == getattr(made, name)
        assert moment.utcoffset() == datetime.timedelta(hours=7)  # TIME_ZONE Asia/Jakarta


@pytest.mark.parametrize("female, gender", [(True, "F"), (False, "M")])
def test_gender_is_derived_from_the_nik_day(auth_client, female, gender):
    birth = datetime.date(1988, 3, 12)
    nik = make_nik(birth_date=birth, female=female)
    response = auth_client.post(WORKERS, worker_payload(nik=nik, birth_date_obj=birth))
    assert response.status_code == 201, response.content
    assert response.json()["gender"] == gender
    assert Enrollment.objects.get(pk=response.json()["id"]).gender == gender


@pytest.mark.parametrize("raw", ["0812-3456-7890", "62812 3456 7890", "+6281234567890", "081234567890"])
def test_phone_is_accepted_in_local_forms_and_returned_in_e164(auth_client, raw):
    response = auth_client.post(WORKERS, worker_payload(phone=raw))
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+6281234567890"
    assert Enrollment.objects.get(pk=response.json()["id"]).phone == "+6281234567890"


# --- POST /workers: every error code ---------------------------------------------------------------


def assert_rejected(response, status: int, code: str, attr):
    assert response.status_code == status, response.content
    assert first_error(response) == (code, attr)


@pytest.mark.parametrize(
    "nik",
    [
        "317401450790001",  # 15 digits
        "31740145079000011",  # 17 digits
        "",
        "9974014507900001",  # unknown province 99
        "0074014507900001",  # unknown province 00
        "3174017102900001",  # 31 February (female day 71)
        "3174014513900001",  # month 13
        "3174010007900001",  # day 00
        "3174013207900001",  # day 32 (male)
        "3174017207900001",  # day 72 (female 32)
        "3174014507900000",  # serial 0000
        "317401450790000A",  # non-digit
        "3174-01450790001",  # a dash
        "\uff13\uff11\uff17\uff14\uff10\uff11\uff14\uff15\uff10\uff17\uff19\uff10\uff10\uff10\uff10\uff11",  # full-width
    ],
)
def test_nik_invalid(auth_client, nik):
    response = auth_client.post(WORKERS, worker_payload(nik=nik))
    assert_rejected(response, 400, "nik_invalid", "nik")
    assert not Enrollment.objects.exists()


def test_nik_invalid_detail_follows_accept_language(auth_client):
    response = auth_client.post(WORKERS, worker_payload(nik="9974014507900001"), HTTP_ACCEPT_LANGUAGE="en")
    assert_rejected(response, 400, "nik_invalid", "nik")
    assert response.json()["errors"][0]["detail"].startswith("Invalid NIK")


@pytest.mark.parametrize("birth_date", ["1990-07-06", "1991-07-05", "1990-08-05"])
def test_nik_birth_date_mismatch(auth_client, birth_date):
    nik = make_nik(birth_date=datetime.date(1990, 7, 5))
    response = auth_client.post(WORKERS, worker_payload(nik=nik, birth_date=birth_date))
    assert_rejected(response, 400, "nik_birth_date_mismatch", "birth_date")
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    "years, plus_days, accepted",
    [
        (16, 0, False),  # 16 today
        (17, 1, False),  # 16, turns 17 tomorrow
        (17, 0, True),  # 17 today
        (65, 1, True),  # 64, turns 65 tomorrow
        (65, 0, False),  # 65 today
        (70, 0, False),
    ],
)
def test_age_limits_on_the_day_of_registration(auth_client, years, plus_days, accepted):
    birth = years_ago(years, plus_days=plus_days)
    payload = worker_payload(nik=make_nik(birth_date=birth), birth_date_obj=birth)
    response = auth_client.post(WORKERS, payload)
    if accepted:
        assert response.status_code == 201, response.content
    else:
        assert_rejected(response, 400, "age_not_eligible", "birth_date")
        assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    "utc_now, accepted",
    [
        ("2026-11-21T16:59:00+00:00", False),  # 23:59 WIB on 21 Nov: still 16
        ("2026-11-21T17:00:00+00:00", True),  # 00:00 WIB on 22 Nov: 17 in Jakarta, still 21 Nov in UTC
    ],
)
def test_age_is_computed_on_the_wib_date(monkeypatch, user, utc_now, accepted):
    from core.exceptions import DomainError

    fixed = datetime.datetime.fromisoformat(utc_now)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    birth = datetime.date(2009, 11, 22)
    data = worker_payload(nik=make_nik(birth_date=birth), birth_date_obj=birth)
    data["birth_date"] = birth
    if accepted:
        assert services.enrollment_create(sponsor=user, **data).pk
    else:
        with pytest.raises(DomainError) as caught:
            services.enrollment_create(sponsor=user, **data)
        assert caught.value.code == "age_not_eligible"


@pytest.mark.parametrize(
    "years, plus_days, accepted",
    [(17, 0, False), (18, 0, True), (31, 1, True), (31, 0, False)],
)
def test_age_limits_come_from_settings(auth_client, settings, years, plus_days, accepted):
    settings.WORKER_MIN_AGE = 18
    settings.WORKER_MAX_AGE = 30
    birth = years_ago(years, plus_days=plus_days)
    response = auth_client.post(WORKERS, worker_payload(nik=make_nik(birth_date=birth), birth_date_obj=birth))
    if accepted:
        assert response.status_code == 201, response.content
    else:
        assert_rejected(response, 400, "age_not_eligible", "birth_date")


@pytest.mark.parametrize("state", ["awaiting_consent", "pending_review", "approved"])
def test_nik_already_registered_while_an_enrollment_is_open(auth_client, other_user, settings, state):
    nik = make_nik()
    in_state(state, settings, sponsor=other_user, nik=nik)
    response = auth_client.post(WORKERS, worker_payload(nik=nik))
    assert_rejected(response, 409, "nik_already_registered", "nik")
    assert Enrollment.objects.filter(member__nik_hash=blind_index(nik)).count() == 1


@pytest.mark.parametrize("state", ["ended", "rejected"])
def test_nik_can_register_again_after_end_or_rejection(auth_client, other_user, settings, state):
    nik = make_nik()
    in_state(state, settings, sponsor=other_user, nik=nik)
    response = auth_client.post(WORKERS, worker_payload(nik=nik))
    assert response.status_code == 201, response.content
    assert Enrollment.objects.filter(member__nik_hash=blind_index(nik)).count() == 2


def test_nik_already_registered_by_the_same_sponsor_then_free_after_end(auth_client):
    payload = worker_payload()
    first = auth_client.post(WORKERS, payload)
    assert first.status_code == 201
    assert_rejected(auth_client.post(WORKERS, payload), 409, "nik_already_registered", "nik")
    assert auth_client.post(url(first.json()["id"], "end")).status_code == 200
    assert auth_client.post(WORKERS, payload).status_code == 201


@pytest.mark.parametrize("phone", ["12345", "021-555-1234", "+6591234567", "0812", "abc", 81234567890])
def test_phone_invalid(auth_client, phone):
    response = auth_client.post(WORKERS, worker_payload(phone=phone))
    assert_rejected(response, 400, "phone_invalid", "phone")
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("phone", ["", "   "])
def test_phone_invalid_when_empty(auth_client, phone):
    response = auth_client.post(WORKERS, worker_payload(phone=phone))
    assert_rejected(response, 400, "phone_invalid", "phone")


@pytest.mark.parametrize("occupation", ["astronaut", "", 123, "inactive"])
def test_occupation_invalid(auth_client, occupation):
    if occupation == "inactive":
        Occupation.objects.create(code="inactive", name_id="x", name_en="x", sector="transport", is_active=False)
    response = auth_client.post(WORKERS, worker_payload(occupation=occupation))
    assert_rejected(response, 400, "occupation_invalid", "occupation")
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("income_level", [2_000_000, "satu juta", "", 0, -1_000_000, 1_000_000.5, "inactive"])
def test_income_level_invalid(auth_client, income_level):
    if income_level == "inactive":
        IncomeLevel.objects.create(amount=1_500_000, is_active=False)
        income_level = 1_500_000
    response = auth_client.post(WORKERS, worker_payload(income_level=income_level))
    assert_rejected(response, 400, "income_level_invalid", "income_level")
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    "programmes",
    [
        ["JKM", "JHT"],  # no JKK
        ["JKK", "JHT"],  # no JKM
        ["JKK"],
        [],
        ["JKK", "JKM", "XYZ"],
        ["JKK", "JKM", "JKM"],
        ["JKK", "JKK", "JKM"],
        ["JKK", "JKM", "JHT", "JHT"],
        ["jkk", "jkm"],
        "JKK,JKM",
    ],
)
def test_programmes_invalid(auth_client, programmes):
    response = auth_client.post(WORKERS, worker_payload(programmes=programmes))
    assert_rejected(response, 400, "programmes_invalid", "programmes")
    assert not Enrollment.objects.exists()


def test_programmes_order_does_not_matter(auth_client):
    response = auth_client.post(WORKERS, worker_payload(programmes=["JHT", "JKM", "JKK"]))
    assert response.status_code == 201, response.content
    assert sorted(response.json()["programmes"]) == ["JHT", "JKK", "JKM"]
    assert response.json()["monthly_contribution"] == 36800


def test_sponsor_limit_reached_counts_open_enrollments_only(auth_client, user, other_user, settings):
    settings.SPONSOR_MAX_OPEN_ENROLLMENTS = 3
    settings.SPONSOR_DAILY_REGISTRATIONS = 100  # the open limit, not the daily one (test_limits.py)
    in_state("ended", settings, sponsor=user)
    in_state("rejected", settings, sponsor=user)
    awaiting = in_state("awaiting_consent", settings, sponsor=user)
    in_state("approved", settings, sponsor=user)
    in_state("pending_review", settings, sponsor=user)

    response = auth_client.post(WORKERS, worker_payload())
    assert_rejected(response, 409, "sponsor_limit_reached", None)
    assert Enrollment.objects.filter(sponsor=user).count() == 5

    # Another sponsor is not affected.
    assert client_for(other_user).post(WORKERS, worker_payload()).status_code == 201
    # Ending one frees a place.
    assert auth_client.post(url(awaiting.pk, "end")).status_code == 200
    assert auth_client.post(WORKERS, worker_payload()).status_code == 201
    assert_rejected(auth_client.post(WORKERS, worker_payload()), 409, "sponsor_limit_reached", None)


def test_self_enrollment_skips_consent_and_is_approved(auth_client, user, notify_file, committed):
    """The account holder registers themselves: their phone is already verified."""
    response = committed(auth_client.post, WORKERS, worker_payload(relationship="self", phone=user.phone))
    assert response.status_code == 201, response.content
    worker = response.json()
    assert worker["status"] == "approved"
    assert kpj_is_valid(worker["kpj_number"])
    row = Enrollment.objects.get(pk=worker["id"])
    assert row.consent_method == "account_holder"
    assert row.consented_at is not None
    assert not consent_challenges(row.pk).exists()
    assert not [m for m in notify_file.messages() if m["kind"] == "otp_consent"]


def test_self_already_registered(auth_client, user):
    first = auth_client.post(WORKERS, worker_payload(relationship="self", phone=user.phone))
    assert first.status_code == 201, first.content
    response = auth_client.post(WORKERS, worker_payload(relationship="self", phone=user.phone))
    assert_rejected(response, 409, "self_already_registered", "relationship")
    assert Enrollment.objects.filter(relationship="self").count() == 1
    # Sponsored workers are still allowed.
    assert auth_client.post(WORKERS, worker_payload()).status_code == 201
    # After the first self-enrollment ended, a new one is allowed.
    assert auth_client.post(url(first.json()["id"], "end")).status_code == 200
    assert auth_client.post(WORKERS, worker_payload(relationship="self", phone=user.phone)).status_code == 201


def test_self_enrollment_with_someone_elses_phone_is_not_consented(auth_client, user):
    """Calling someone else "self" would skip their consent: refused, and nothing is written."""
    response = auth_client.post(WORKERS, worker_payload(relationship="self", phone="0813-4321-8765"))
    assert_rejected(response, 400, "self_phone_mismatch", "phone")
    assert not Enrollment.objects.exists()


def test_missing_fields_are_validation_errors(auth_client):
    response = auth_client.post(WORKERS, {})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    attrs = {error["attr"] for error in body["errors"]}
    assert {"nik", "full_name", "birth_date", "phone", "occupation", "relationship", "income_level",
            "programmes"} <= attrs


# --- Server-owned fields -------------------------------------------------------------------------


def test_server_owned_fields_are_ignored_on_create(auth_client, user, other_user):
    payload = worker_payload(
        status="approved",
        kpj_number="12345678903",
        monthly_contribution=1,
        sponsor=other_user.pk,
        consent_method="sms_otp",
        review_flags=[],
        id=999999,
    )
    response = auth_client.post(WORKERS, payload)
    assert response.status_code == 201, response.content
    worker = response.json()
    assert worker["status"] == "awaiting_consent"
    assert worker["kpj_number"] is None
    assert worker["monthly_contribution"] == 36800
    row = Enrollment.objects.get(pk=worker["id"])
    assert row.pk != 999999
    assert row.sponsor_id == user.pk
    assert row.status == "awaiting_consent"
    assert row.kpj_number is None
    assert row.consent_method == ""
    assert not Enrollment.objects.filter(sponsor=other_user).exists()


def test_server_owned_fields_are_ignored_on_patch(auth_client, user, other_user, settings):
    worker = in_state("awaiting_consent", settings, sponsor=user)
    before = db_row(worker.pk)
    response = auth_client.patch(
        url(worker.pk),
        {
            "status": "approved",
            "kpj_number": "12345678903",
            "monthly_contribution": 1,
            "sponsor": other_user.pk,
            "nik": make_nik(),
            "full_name": "Orang Lain",
            "birth_date": "1980-01-01",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "awaiting_consent"
    assert response.json()["monthly_contribution"] == 36800
    after = db_row(worker.pk)
    for field in ("status", "kpj_number", "sponsor_id", "member_id", "full_name"):
        assert after[field] == before[field], field


# --- Consent ----------------------------------------------------------------------------------------


def test_consent_with_the_right_code_approves(auth_client, settings, notify_file, committed):
    settings.CONSENT_NOTICE_VERSION = "2026-test"
    worker = create(auth_client, committed, phone="0813-9999-0000")
    code = notify_file.last_code("+6281399990000")

    before = timezone.now()
    response = committed(auth_client.post, url(worker["id"], "consent"), {"code": code})
    assert response.status_code == 200, response.content
    body = response.json()
    assert WORKER_KEYS <= set(body)
    assert body["status"] == "approved"
    assert re.fullmatch(r"\d{11}", body["kpj_number"])
    assert kpj_is_valid(body["kpj_number"])

    row = Enrollment.objects.get(pk=worker["id"])
    assert row.status == "approved"
    assert row.kpj_number == body["kpj_number"]
    assert row.consent_method == "sms_otp"
    assert row.consented_at is not None and before <= row.consented_at <= timezone.now()
    assert row.consent_notice_version == "2026-test"
    assert row.approved_at is not None
    assert row.reviewed_by is None
    current_due = timezone.localdate().replace(day=15).isoformat()
    assert body["coverage"] == {"status": "not_started", "paid_through": None, "next_due_date": current_due,
                                "arrears_months": 0}

    again = auth_client.post(url(worker["id"], "consent"), {"code": code})
    assert_rejected(again, 409, "invalid_status", None)


def test_consent_with_a_wrong_code(auth_client, notify_file, committed):
    worker = create(auth_client, committed)
    code = notify_file.last_code()
    response = auth_client.post(url(worker["id"], "consent"), {"code": wrong_code(code)})
    assert_rejected(response, 400, "otp_invalid", "code")
    row = Enrollment.objects.get(pk=worker["id"])
    assert row.status == "awaiting_consent"
    assert row.consented_at is None
    assert consent_challenges(worker["id"]).get().attempts == 1


def test_consent_locks_after_five_wrong_codes(auth_client, notify_file, committed):
    worker = create(auth_client, committed)
    code = notify_file.last_code()
    for _ in range(5):
        response = auth_client.post(url(worker["id"], "consent"), {"code": wrong_code(code)})
        assert_rejected(response, 400, "otp_invalid", "code")
    response = auth_client.post(url(worker["id"], "consent"), {"code": code})
    assert_rejected(response, 400, "otp_locked", "code")
    assert Enrollment.objects.get(pk=worker["id"]).status == "awaiting_consent"

    # A new code unlocks it.
    assert committed(auth_client.post, url(worker["id"], "resend-consent-code")).status_code == 202
    new_code = notify_file.last_code()
    response = auth_client.post(url(worker["id"], "consent"), {"code": new_code})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"


def test_consent_with_an_expired_code(auth_client, notify_file, committed):
    worker = create(auth_client, committed)
    code = notify_file.last_code()
    consent_challenges(worker["id"]).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = auth_client.post(url(worker["id"], "consent"), {"code": code})
    assert_rejected(response, 400, "otp_expired", "code")
    row = Enrollment.objects.get(pk=worker["id"])
    assert row.status == "awaiting_consent"
    assert row.consented_at is None


def test_code_lives_five_minutes(auth_client, notify_file, committed):
    worker = create(auth_client, committed)
    challenge = consent_challenges(worker["id"]).get()
    lifetime = challenge.expires_at - challenge.created_at
    assert datetime.timedelta(minutes=4, seconds=59) <= lifetime <= datetime.timedelta(minutes=5, seconds=1)


def test_resend_consent_code_replaces_the_old_code(auth_client, notify_file, committed):
    worker = create(auth_client, committed, phone="0813-5555-6666")
    old_code = notify_file.last_code("+6281355556666")
    response = committed(auth_client.post, url(worker["id"], "resend-consent-code"))
    assert response.status_code == 202, response.content
    consent_sms = [m for m in notify_file.messages() if m["kind"] == "otp_consent"]
    assert [m["to"] for m in consent_sms] == ["+6281355556666", "+6281355556666"]
    new_code = notify_file.last_code("+6281355556666")
    if new_code == old_code:  # one chance in a million
        pytest.skip("the new code happens to equal the old one")

    assert_rejected(auth_client.post(url(worker["id"], "consent"), {"code": old_code}), 400, "otp_invalid", "code")
    response = auth_client.post(url(worker["id"], "consent"), {"code": new_code})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"


@pytest.mark.parametrize("state", ["approved", "pending_review", "ended", "rejected"])
def test_resend_consent_code_only_while_awaiting_consent(auth_client, user, settings, state):
    worker = in_state(state, settings, sponsor=user)
    challenges = consent_challenges(worker.pk).count()
    response = auth_client.post(url(worker.pk, "resend-consent-code"))
    assert_rejected(response, 409, "invalid_status", None)
    assert consent_challenges(worker.pk).count() == challenges


def test_resend_consent_code_is_throttled(auth_client, user, settings):
    settings.CONSENT_SMS_PER_PHONE_DAILY = 100  # the request rate, not the per-phone cap (test_sms_abuse.py)
    worker = in_state("awaiting_consent", settings, sponsor=user)
    statuses = [auth_client.post(url(worker.pk, "resend-consent-code")).status_code for _ in range(6)]
    assert statuses[0] == 202
    assert statuses[-1] == 429


@pytest.mark.parametrize("state", ["pending_review", "ended", "rejected"])
def test_consent_only_while_awaiting_consent(auth_client, user, settings, state):
    worker = in_state(state, settings, sponsor=user)
    before = db_row(worker.pk)
    response = auth_client.post(url(worker.pk, "consent"), {"code": "123456"})
    assert_rejected(response, 409, "invalid_status", None)
    assert db_row(worker.pk) == before


def test_consent_after_the_worker_was_ended_is_refused(auth_client, notify_file, committed):
    worker = create(auth_client, committed)
    code = notify_file.last_code()
    assert auth_client.post(url(worker["id"], "end")).status_code == 200
    assert_rejected(auth_client.post(url(worker["id"], "consent"), {"code": code}), 409, "invalid_status", None)
    assert Enrollment.objects.get(pk=worker["id"]).status == "ended"


# --- Automated checks -------------------------------------------------------------------------------


def consent_via_api(client, committed, notify_file, **overrides) -> dict:
    worker = create(client, committed, **overrides)
    response = committed(client.post, url(worker["id"], "consent"), {"code": notify_file.last_code(worker["phone"])})
    assert response.status_code == 200, response.content
    return response.json()


def test_clean_enrollment_is_approved_in_flagged_mode(auth_client, settings, notify_file, committed):
    settings.REVIEW_MODE = "flagged"
    worker = consent_via_api(auth_client, committed, notify_file)
    assert worker["status"] == "approved"
    assert Enrollment.objects.get(pk=worker["id"]).review_flags == []


def test_review_mode_all_sends_a_clean_enrollment_to_review(auth_client, settings, notify_file, committed):
    settings.REVIEW_MODE = "all"
    worker = consent_via_api(auth_client, committed, notify_file)
    assert worker["status"] == "pending_review"
    assert worker["kpj_number"] is None
    assert Enrollment.objects.get(pk=worker["id"]).review_flags == ["review_all"]


def test_phone_shared_with_another_open_enrollment(auth_client, other_user, notify_file, committed):
    enrollment(sponsor=other_user, consent=False, phone="+6281377778888")
    worker = consent_via_api(auth_client, committed, notify_file, phone="0813-7777-8888")
    assert worker["status"] == "pending_review"
    assert worker["kpj_number"] is None
    assert Enrollment.objects.get(pk=worker["id"]).review_flags == ["phone_shared"]


def test_phone_of_an_ended_enrollment_is_not_shared(auth_client, other_user, notify_file, committed):
    old = enrollment(sponsor=other_user, phone="+6281377778888")
    services.enrollment_end(enrollment=old)
    worker = consent_via_api(auth_client, committed, notify_file, phone="0813-7777-8888")
    assert worker["status"] == "approved"


def test_sponsor_burst(auth_client, user, settings, notify_file, committed):
    settings.SPONSOR_BURST_LIMIT = 3
    made = [enrollment(sponsor=user) for _ in range(3)]
    assert [m.status for m in made] == ["approved"] * 3  # exactly at the limit is fine
    worker = consent_via_api(auth_client, committed, notify_file)
    assert worker["status"] == "pending_review"
    assert Enrollment.objects.get(pk=worker["id"]).review_flags == ["sponsor_burst"]


def test_sponsor_burst_only_counts_the_last_24_hours(auth_client, user, settings, notify_file, committed):
    settings.SPONSOR_BURST_LIMIT = 3
    made = [enrollment(sponsor=user) for _ in range(3)]
    Enrollment.objects.filter(pk__in=[m.pk for m in made]).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    worker = consent_via_api(auth_client, committed, notify_file)
    assert worker["status"] == "approved"


REGISTRY_NIK = "3273015208850007"  # seeds/civil_registry_local.json: Dewi Lestari, 1985-08-12


@pytest.mark.parametrize("name, status", [("Dewi Lestary", "pending_review"), ("Siti Aminah", "pending_review"),
                                          ("Dewi Lestari", "approved"), ("  dewi   LESTARI ", "approved")])
def test_civil_registry_check(auth_client, notify_file, committed, name, status):
    worker = consent_via_api(
        auth_client, committed, notify_file, nik=REGISTRY_NIK, full_name=name, birth_date="1985-08-12"
    )
    assert worker["status"] == status
    expected_flags = ["registry_mismatch"] if status == "pending_review" else []
    assert Enrollment.objects.get(pk=worker["id"]).review_flags == expected_flags


def test_approval_notifies_the_sponsor(auth_client, user, notify_file, committed):
    worker = consent_via_api(auth_client, committed, notify_file)
    assert worker["status"] == "approved"
    items = InboxItem.objects.filter(user=user)
    assert [item.kind for item in items] == ["enrollment_approved"]
    inbox = auth_client.get("/api/v1/notifications").json()["results"]
    assert [item["kind"] for item in inbox] == ["enrollment_approved"]
    sms = [m for m in notify_file.messages() if m["to"] == user.phone]
    assert [m["kind"] for m in sms] == ["enrollment_approved"]
    assert worker["kpj_number"] in sms[0]["body"]


def test_review_does_not_notify_approval(auth_client, user, settings, notify_file, committed):
    settings.REVIEW_MODE = "all"
    consent_via_api(auth_client, committed, notify_file)
    assert not InboxItem.objects.filter(user=user).exists()
    assert not Message.objects.filter(to=user.phone).exists()


# --- PATCH /workers/{id} ----------------------------------------------------------------------------


def test_patch_changes_what_the_sponsor_may_change(auth_client, notify_file, committed):
    worker = create(auth_client, committed, phone="0812-1111-0000")
    old_code = notify_file.last_code("+6281211110000")
    response = committed(
        auth_client.patch,
        url(worker["id"]),
        {
            "phone": "0813-1111-2222",
            "occupation": "private_driver",
            "income_level": 1_000_000,
            "programmes": ["JKK", "JKM"],
            "address": "Jl. Baru 1, Depok",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert WORKER_KEYS <= set(body)
    assert body["phone"] == "+6281311112222"
    assert body["occupation"] == "private_driver"
    assert body["programmes"] == ["JKK", "JKM"]
    assert body["monthly_contribution"] == 16800
    assert body["status"] == "awaiting_consent"
    row = Enrollment.objects.get(pk=worker["id"])
    assert row.phone == "+6281311112222"
    assert row.occupation_id == "private_driver"
    assert row.jht is False
    assert row.address == "Jl. Baru 1, Depok"

    # The consent must now come from the new phone: a new code went there and the old one is dead.
    new_code = notify_file.last_code("+6281311112222")
    if new_code != old_code:
        assert_rejected(
            auth_client.post(url(worker["id"], "consent"), {"code": old_code}), 400, "otp_invalid", "code"
        )
    response = auth_client.post(url(worker["id"], "consent"), {"code": new_code})
    assert response.status_code == 200, response.content


def test_patch_phone_of_an_approved_worker_sends_no_consent_code(auth_client, user, notify_file, committed):
    worker = enrollment(sponsor=user)
    response = committed(auth_client.patch, url(worker.pk), {"phone": "0813-2222-3333"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["phone"] == "+6281322223333"
    assert not notify_file.messages()


def test_patch_address_only_leaves_the_rest(auth_client, user, settings):
    worker = in_state("pending_review", settings, sponsor=user)
    before = db_row(worker.pk)
    response = auth_client.patch(url(worker.pk), {"address": "Jl. Kenari 2"})
    assert response.status_code == 200, response.content
    after = db_row(worker.pk)
    assert after.pop("address") == "Jl. Kenari 2"
    before.pop("address")
    after.pop("updated_at")
    before.pop("updated_at")
    assert after == before


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("phone", "12345", "phone_invalid"),
        ("phone", "021-555-1234", "phone_invalid"),
        ("occupation", "astronaut", "occupation_invalid"),
        ("income_level", 2_000_000, "income_level_invalid"),
        ("income_level", "satu juta", "income_level_invalid"),
        ("programmes", ["JKK"], "programmes_invalid"),
        ("programmes", ["JKM", "JHT"], "programmes_invalid"),
        ("programmes", ["JKK", "JKM", "XYZ"], "programmes_invalid"),
        ("programmes", ["JKK", "JKM", "JKM"], "programmes_invalid"),
    ],
)
def test_patch_invalid_values(auth_client, user, field, value, code):
    worker = enrollment(sponsor=user)
    before = db_row(worker.pk)
    response = auth_client.patch(url(worker.pk), {field: value})
    assert_rejected(response, 400, code, field)
    assert db_row(worker.pk) == before


@pytest.mark.parametrize("state", ["ended", "rejected"])
def test_patch_a_closed_worker_is_refused(auth_client, user, settings, state):
    worker = in_state(state, settings, sponsor=user)
    before = db_row(worker.pk)
    response = auth_client.patch(url(worker.pk), {"address": "Jl. Baru 9", "phone": "0813-4444-5555"})
    assert_rejected(response, 409, "invalid_status", None)
    assert db_row(worker.pk) == before


# --- POST /workers/{id}/end -------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["awaiting_consent", "pending_review", "approved"])
def test_end(auth_client, user, settings, state):
    worker = in_state(state, settings, sponsor=user)
    response = auth_client.post(url(worker.pk, "end"))
    assert response.status_code == 200, response.content
    assert WORKER_KEYS <= set(response.json())
    assert response.json()["status"] == "ended"
    row = Enrollment.objects.get(pk=worker.pk)
    assert row.status == "ended"
    assert row.ended_at is not None

    before = db_row(worker.pk)
    again = auth_client.post(url(worker.pk, "end"))
    assert_rejected(again, 409, "invalid_status", None)
    assert db_row(worker.pk) == before


def test_end_a_rejected_worker_is_refused(auth_client, user, settings):
    worker = in_state("rejected", settings, sponsor=user)
    assert_rejected(auth_client.post(url(worker.pk, "end")), 409, "invalid_status", None)
    assert Enrollment.objects.get(pk=worker.pk).status == "rejected"


# --- GET /workers -----------------------------------------------------------------------------------


def test_list_shows_only_the_callers_workers_newest_first(auth_client, user, other_user, settings):
    mine = [in_state(state, settings, sponsor=user) for state in ("approved", "awaiting_consent", "ended")]
    theirs = [in_state("approved", settings, sponsor=other_user) for _ in range(2)]
    response = auth_client.get(WORKERS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"next", "previous", "results"}
    ids = [worker["id"] for worker in body["results"]]
    assert ids == sorted((m.pk for m in mine), reverse=True)
    assert not set(ids) & {t.pk for t in theirs}
    for worker in body["results"]:
        assert WORKER_KEYS <= set(worker)
    by_id = {worker["id"]: worker for worker in body["results"]}
    assert by_id[mine[0].pk]["kpj_number"] == mine[0].kpj_number
    assert by_id[mine[0].pk]["coverage"]["status"] == "not_started"
    assert by_id[mine[2].pk]["status"] == "ended"


def test_list_is_paginated(auth_client, user):
    made = [enrollment(sponsor=user, consent=False) for _ in range(3)]
    first = auth_client.get(WORKERS, {"page_size": 2}).json()
    assert [w["id"] for w in first["results"]] == [made[2].pk, made[1].pk]
    assert first["next"] and first["previous"] is None
    second = auth_client.get(first["next"]).json()
    assert [w["id"] for w in second["results"]] == [made[0].pk]
    assert second["next"] is None and second["previous"]


def test_list_for_a_sponsor_with_no_workers(auth_client, other_user):
    enrollment(sponsor=other_user)
    body = auth_client.get(WORKERS).json()
    assert body["results"] == [] and body["next"] is None and body["previous"] is None


def test_list_makes_a_constant_number_of_queries(auth_client, user, settings):
    settings.SPONSOR_MAX_OPEN_ENROLLMENTS = 50
    settings.SPONSOR_BURST_LIMIT = 50
    settings.SPONSOR_DAILY_REGISTRATIONS = 50
    settings.API_THROTTLING = False
    occupations = ["household_assistant", "private_driver", "gardener"]
    enrollment(sponsor=user)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(WORKERS)
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    count()  # warms the per-process rate cache (RateBook.current), so both counts are like-for-like
    one, listed = count()
    assert listed == 1
    for index in range(11):
        state = ["approved", "awaiting_consent", "pending_review", "ended"][index % 4]
        in_state(state, settings, sponsor=user, occupation=occupations[index % 3])
    many, listed = count()
    assert listed == 12
    assert many == one


# --- Object-level authorization -----------------------------------------------------------------------

WORKER_URLS = [
    ("get", "", None),
    ("patch", "", {"address": "Jl. Pencuri 1", "phone": "0813-0000-1111", "programmes": ["JKK", "JKM"]}),
    ("post", "consent", {"code": "{code}"}),
    ("post", "resend-consent-code", None),
    ("post", "end", None),
]


def _call(client, method, path, data):
    return getattr(client, method)(path, data) if data is not None else getattr(client, method)(path)


@pytest.mark.parametrize("method, action, data", WORKER_URLS, ids=[f"{m}-{a or 'detail'}" for m, a, _ in WORKER_URLS])
def test_another_users_worker_is_404(auth_client, other_client, notify_file, committed, method, action, data):
    worker = create(auth_client, committed)
    code = notify_file.last_code()
    if data and data.get("code") == "{code}":
        data = {"code": code}  # even the right code
    before = db_row(worker["id"])
    challenges = list(consent_challenges(worker["id"]).values())
    messages = Message.objects.count()

    response = committed(_call, other_client, method, url(worker["id"], action), data)
    assert response.status_code == 404, response.content
    assert first_error(response)[0] == "not_found"
    assert db_row(worker["id"]) == before
    assert list(consent_challenges(worker["id"]).values()) == challenges
    assert Message.objects.count() == messages

    # Indistinguishable from an id that does not exist.
    missing = _call(other_client, method, url(worker["id"] + 10_000, action), data)
    assert missing.status_code == 404
    assert missing.json() == response.json()

    # The owner can use the same URL.
    assert _call(auth_client, method, url(worker["id"], action), data).status_code in (200, 202)


def test_another_users_worker_is_404_before_validation(auth_client, other_client, user, settings):
    worker = in_state("awaiting_consent", settings, sponsor=user)
    response = other_client.patch(url(worker.pk), {"phone": "123", "programmes": ["XYZ"]})
    assert response.status_code == 404
    response = other_client.post(url(worker.pk, "consent"), {})
    assert response.status_code == 404


def test_a_consent_code_is_bound_to_its_worker(auth_client, notify_file, committed):
    create(auth_client, committed, phone="0813-1000-2000")
    second = create(auth_client, committed, phone="0813-3000-4000")
    code_of_first = notify_file.last_code("+6281310002000")
    if code_of_first == notify_file.last_code("+6281330004000"):
        pytest.skip("both codes happen to be equal")
    response = auth_client.post(url(second["id"], "consent"), {"code": code_of_first})
    assert_rejected(response, 400, "otp_invalid", "code")
    assert Enrollment.objects.get(pk=second["id"]).status == "awaiting_consent"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_unsupported_methods_are_405(auth_client, user, settings, method):
    worker = in_state("approved", settings, sponsor=user)
    response = getattr(auth_client, method)(url(worker.pk), worker_payload())
    assert response.status_code == 405
    assert first_error(response)[0] == "method_not_allowed"
    assert Enrollment.objects.get(pk=worker.pk).status == "approved"


@pytest.mark.parametrize("method, action, data", WORKER_URLS + [("get", None, None), ("post", None, {})])
def test_unauthenticated_is_401(api_client, user, settings, method, action, data):
    worker = in_state("awaiting_consent", settings, sponsor=user)
    before = db_row(worker.pk)
    path = WORKERS if action is None else url(worker.pk, action)
    if data and data.get("code") == "{code}":
        data = {"code": "123456"}
    response = _call(api_client, method, path, data)
    assert response.status_code == 401, response.content
    assert first_error(response)[0] == "not_authenticated"
    assert db_row(worker.pk) == before

    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert _call(api_client, method, path, data).status_code == 401


# --- Reference data and URLs ------------------------------------------------------------------------


def test_occupations_are_public_plain_array(api_client):
    Occupation.objects.filter(code="private_driver").update(name_id="Sopir pribadi", name_en="Private driver")
    Occupation.objects.create(code="retired_job", name_id="x", name_en="x", sector="transport", is_active=False)

    response = api_client.get("/api/v1/occupations")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    for item in body:
        assert set(item) == {"code", "name", "sector"}
        assert item["sector"] in {"transport", "non_transport"}
    by_code = {item["code"]: item for item in body}
    assert set(by_code) == {"household_assistant", "private_driver", "gardener", "caregiver", "security_guard",
                            "other"}
    assert by_code["private_driver"]["sector"] == "transport"
    assert by_code["household_assistant"]["sector"] == "non_transport"
    assert by_code["private_driver"]["name"] == "Sopir pribadi"

    english = api_client.get("/api/v1/occupations", HTTP_ACCEPT_LANGUAGE="en").json()
    assert {item["code"]: item["name"] for item in english}["private_driver"] == "Private driver"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/workers/"),
        ("post", "/api/v1/workers/"),
        ("get", "/api/v1/workers/{id}/"),
        ("patch", "/api/v1/workers/{id}/"),
        ("post", "/api/v1/workers/{id}/consent/"),
        ("post", "/api/v1/workers/{id}/end/"),
        ("get", "/api/v1/occupations/"),
    ],
)
def test_no_trailing_slash_redirects(auth_client, user, settings, method, path):
    worker = in_state("awaiting_consent", settings, sponsor=user)
    response = getattr(auth_client, method)(path.format(id=worker.pk))
    assert response.status_code == 404
    assert Enrollment.objects.get(pk=worker.pk).status == "awaiting_consent"
