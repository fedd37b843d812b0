"""No SMS cannon (QUALITY.md Security 12, issue 19 item 2).

The probe: `PATCH /me` with a full name like "BPJSTK: akun Anda diblokir ... http://...", then 15 rounds
of `POST /workers` (fresh NIK, any phone) and `POST /workers/{id}/end` sent 15 consent SMS starting with
that text to 15 numbers. Now:
- names are validated (`name_invalid`), and a message to someone else quotes the sponsor only through a
  valid name (a stored one that is not valid is replaced by neutral words);
- registrations per sponsor per 24 h are capped, ended ones included (429 `registration_limit_reached`);
- consent codes per recipient phone per 24 h are capped (429 `throttled`, attr `phone`);
the registration cap is a business rule that `API_THROTTLING=false` leaves on; the per-phone cap is a
throttle (code `throttled`) that it switches off, like the other code-sending throttles; both hold under
concurrency.
"""

import datetime

import pytest
from django.utils import timezone

from notifications.models import Message
from notifications.templates import render
from registration.models import Enrollment
from sponsors.choices import OtpPurpose
from sponsors.models import OtpChallenge, User
from tests.api import client_for, first_error
from tests.concurrency import run_together
from tests.factories import UserFactory, enrollment, random_mobile, worker_payload

pytestmark = pytest.mark.usefixtures("reference")

API = "/api/v1"
WORKERS = f"{API}/workers"
PHISHING = "BPJSTK: akun Anda diblokir, verifikasi di http://bpjstk-verifikasi.example/login"
DAY = datetime.timedelta(hours=24)


@pytest.fixture(autouse=True)
def _no_request_rate_limits(settings):
    """Every test here runs with API_THROTTLING=false: the caps are business rules that stay on."""
    settings.API_THROTTLING = False


def assert_error(response, status: int, code: str, attr):
    assert response.status_code == status, response.content
    assert first_error(response) == (code, attr)
    return response.json()["errors"][0]


def consent_sms(phone: str | None = None):
    messages = Message.objects.filter(kind="otp_consent")
    return messages.filter(to=phone) if phone else messages


def backdate(queryset, by: datetime.timedelta) -> None:
    for row in queryset:
        type(row).objects.filter(pk=row.pk).update(created_at=row.created_at - by)


# --- Names ------------------------------------------------------------------------------------------


BAD_NAMES = [
    PHISHING,
    "bpjs.id",
    "Budi 0812 3456 7890",
    "Budi2",
    "Budi <script>",
    "A",
    "x" * 101,
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_patch_me_refuses_a_name_that_is_not_a_name(auth_client, user, name):
    before = User.objects.get(pk=user.pk).full_name
    response = auth_client.patch(f"{API}/me", {"full_name": name}, format="json")
    assert_error(response, 400, "name_invalid", "full_name")
    assert User.objects.get(pk=user.pk).full_name == before


@pytest.mark.parametrize("name", BAD_NAMES)
def test_signup_refuses_a_name_that_is_not_a_name(api_client, name):
    phone = random_mobile()
    body = {"phone": phone, "full_name": name, "password": "Sertakan#2026"}
    response = api_client.post(f"{API}/auth/signup", body, format="json")
    assert_error(response, 400, "name_invalid", "full_name")
    assert not User.objects.filter(phone=phone).exists()
    assert not Message.objects.filter(to=phone).exists()


@pytest.mark.parametrize("name", BAD_NAMES)
def test_register_refuses_a_worker_name_that_is_not_a_name(auth_client, name):
    response = auth_client.post(WORKERS, worker_payload(full_name=name))
    assert_error(response, 400, "name_invalid", "full_name")
    assert not Enrollment.objects.exists()
    assert not consent_sms().exists()


def test_name_invalid_is_explained_in_indonesian_and_english(auth_client):
    indonesian = assert_error(auth_client.patch(f"{API}/me", {"full_name": "Budi 2"}, format="json"), 400,
                              "name_invalid", "full_name")
    english = assert_error(
        auth_client.patch(f"{API}/me", {"full_name": "Budi 2"}, format="json", HTTP_ACCEPT_LANGUAGE="en"),
        400, "name_invalid", "full_name",
    )
    assert indonesian["detail"].startswith("Nama harus 2 sampai 100 karakter")
    assert english["detail"].startswith("A name must be 2 to 100 characters")


@pytest.mark.parametrize("value", [12, None, ["Budi"]])
def test_a_name_that_is_not_a_string_is_refused(auth_client, value):
    response = auth_client.patch(f"{API}/me", {"full_name": value}, format="json")
    assert response.status_code == 400, response.content
    assert first_error(response)[1] == "full_name"


def test_names_are_stored_in_canonical_form(auth_client, user, api_client):
    response = auth_client.patch(f"{API}/me", {"full_name": "  Gusti   Ngurah Ráka "}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == User.objects.get(pk=user.pk).full_name == "Gusti Ngurah Ráka"

    response = auth_client.post(WORKERS, worker_payload(full_name=" Ma\u2019ruf   Amin "))
    assert response.status_code == 201, response.content
    assert response.json()["full_name"] == Enrollment.objects.get().full_name == "Ma'ruf Amin"

    phone = random_mobile()
    body = {"phone": phone, "full_name": "R.A.  Kartini", "password": "Sertakan#2026"}
    assert api_client.post(f"{API}/auth/signup", body, format="json").status_code == 201
    assert User.objects.get(phone=phone).full_name == "R.A. Kartini"


def test_the_consent_sms_quotes_a_valid_sponsor_name(auth_client, user, notify_file, committed):
    User.objects.filter(pk=user.pk).update(full_name="Budi Santoso")
    worker_phone = "+6281355550001"
    assert committed(auth_client.post, WORKERS, worker_payload(phone=worker_phone)).status_code == 201
    [sms] = [m for m in notify_file.messages() if m["to"] == worker_phone]
    assert sms["body"].startswith("Budi Santoso ingin mendaftarkan Anda")


@pytest.mark.parametrize("legacy", [PHISHING, "Budi 081234567890", "bpjs.id", "", "B"])
def test_a_legacy_sponsor_name_is_never_quoted_to_the_worker(auth_client, user, notify_file, committed, legacy):
    """An account whose stored name predates the check (or was typed in the back office) is quoted by
    neutral words, never by its raw text."""
    User.objects.filter(pk=user.pk).update(full_name=legacy)
    worker_phone = "+6281355550002"
    assert committed(auth_client.post, WORKERS, worker_payload(phone=worker_phone)).status_code == 201
    [sms] = [m for m in notify_file.messages() if m["to"] == worker_phone]
    assert sms["body"].startswith("Sponsor Anda ingin mendaftarkan Anda sebagai peserta")
    assert "berikan kode" in sms["body"] and "kepada sponsor Anda." in sms["body"]
    if len(legacy) > 2:
        assert legacy not in sms["body"]
    assert "http" not in sms["body"] and "BPJSTK:" not in sms["body"]


@pytest.mark.parametrize(
    "kind, params",
    [
        ("otp_consent", {"code": "123456", "programmes": "JKK, JKM"}),
        ("coverage_confirmed", {"kpj_number": "12345678903", "until": "Desember 2026"}),
    ],
)
@pytest.mark.parametrize("language, fallback", [("id", "sponsor Anda"), ("en", "your sponsor")])
def test_every_message_naming_the_sponsor_uses_the_fallback_for_an_invalid_name(kind, params, language, fallback):
    body = render(kind, language, sponsor_name=PHISHING, **params).body
    assert PHISHING not in body and "http" not in body
    assert fallback.lower() in body.lower()
    assert render(kind, language, sponsor_name="Budi Santoso", **params).body.count("Budi Santoso") >= 1


# --- Registrations per sponsor per day --------------------------------------------------------------


def test_the_probe_register_and_end_loop_stops_at_the_daily_cap(auth_client, user, notify_file, committed):
    """Issue 19's probe, replayed: the name is refused, and 15 rounds of register + end create 5."""
    response = auth_client.patch(f"{API}/me", {"full_name": PHISHING}, format="json")
    assert_error(response, 400, "name_invalid", "full_name")

    statuses = []
    for _ in range(15):
        response = committed(auth_client.post, WORKERS, worker_payload())
        statuses.append(response.status_code)
        if response.status_code == 201:
            assert auth_client.post(f"{WORKERS}/{response.json()['id']}/end").status_code == 200
        else:
            assert_error(response, 429, "registration_limit_reached", None)
    assert statuses == [201] * 5 + [429] * 10
    assert Enrollment.objects.filter(sponsor=user).count() == 5
    sent = [m for m in notify_file.messages() if m["kind"] == "otp_consent"]
    assert len(sent) == 5
    assert not [m for m in sent if "http" in m["body"] or "BPJSTK" in m["body"]]


def test_the_sixth_registration_in_24_hours_answers_429_with_retry_after(auth_client, user):
    for _ in range(5):
        assert auth_client.post(WORKERS, worker_payload()).status_code == 201
    # The oldest was registered 20 hours ago: it leaves the window in 4 hours.
    oldest = Enrollment.objects.filter(sponsor=user).order_by("created_at").first()
    Enrollment.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - datetime.timedelta(hours=20))

    response = auth_client.post(WORKERS, worker_payload())

    error = assert_error(response, 429, "registration_limit_reached", None)
    assert response.json()["type"] == "client_error"
    assert 4 * 3600 - 60 <= int(response["Retry-After"]) <= 4 * 3600
    assert "5 pekerja dalam 24 jam terakhir" in error["detail"]
    assert "Coba lagi dalam 4 jam" in error["detail"]
    assert Enrollment.objects.filter(sponsor=user).count() == 5


def test_registration_limit_reached_in_english(auth_client, user):
    enrollment_batch(user, 5)
    response = auth_client.post(WORKERS, worker_payload(), HTTP_ACCEPT_LANGUAGE="en")
    error = assert_error(response, 429, "registration_limit_reached", None)
    assert error["detail"].startswith("You registered 5 workers in the last 24 hours")


def enrollment_batch(sponsor, count: int, **overrides) -> list[Enrollment]:
    return [enrollment(sponsor=sponsor, consent=False, **overrides) for _ in range(count)]


def test_ended_rejected_and_expired_registrations_count(auth_client, user, settings):
    """Whatever became of a registration, it was a registration: ending one frees no registration."""
    from registration import services

    made = enrollment_batch(user, 5)
    services.enrollment_end(enrollment=made[0])
    services.enrollment_end(enrollment=made[1])
    # An enrollment that expired (consent never came) is a row in a closed status.
    Enrollment.objects.filter(pk=made[2].pk).update(status="ended")
    assert Enrollment.objects.filter(sponsor=user, status="awaiting_consent").count() == 2

    assert_error(auth_client.post(WORKERS, worker_payload()), 429, "registration_limit_reached", None)


def test_the_window_rolls(auth_client, user):
    enrollment_batch(user, 5)
    assert_error(auth_client.post(WORKERS, worker_payload()), 429, "registration_limit_reached", None)

    oldest = Enrollment.objects.filter(sponsor=user).order_by("created_at")[:1]
    backdate(oldest, DAY)  # the oldest is now just over 24 h old
    assert auth_client.post(WORKERS, worker_payload()).status_code == 201
    assert_error(auth_client.post(WORKERS, worker_payload()), 429, "registration_limit_reached", None)


def test_the_cap_is_per_sponsor(auth_client, user, other_client):
    enrollment_batch(user, 5)
    assert_error(auth_client.post(WORKERS, worker_payload()), 429, "registration_limit_reached", None)
    assert other_client.post(WORKERS, worker_payload()).status_code == 201


def test_a_self_enrollment_counts_and_is_counted(auth_client, user):
    """A self-enrollment is a registration by the account like any other (it needs no consent SMS, but
    it creates a worker, asks the civil registry and sends a notice): it counts, and it is capped."""
    enrollment_batch(user, 4)
    response = auth_client.post(WORKERS, worker_payload(relationship="self", phone=user.phone))
    assert response.status_code == 201, response.content
    assert_error(auth_client.post(WORKERS, worker_payload()), 429, "registration_limit_reached", None)

    other = UserFactory()
    enrollment_batch(other, 5)
    response = client_for(other).post(WORKERS, worker_payload(relationship="self", phone=other.phone))
    assert_error(response, 429, "registration_limit_reached", None)


def test_the_cap_follows_the_setting(auth_client, user, settings):
    settings.SPONSOR_DAILY_REGISTRATIONS = 2
    enrollment_batch(user, 2)
    assert_error(auth_client.post(WORKERS, worker_payload()), 429, "registration_limit_reached", None)
    settings.SPONSOR_DAILY_REGISTRATIONS = 3
    assert auth_client.post(WORKERS, worker_payload()).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_registrations_by_one_sponsor_create_five(reference):
    sponsor = UserFactory()
    payloads = [worker_payload() for _ in range(10)]

    def register(n: int) -> int:
        return client_for(sponsor).post(WORKERS, payloads[n], format="json").status_code

    statuses = run_together(register, 10)

    assert sorted(statuses) == [201] * 5 + [429] * 5
    assert Enrollment.objects.filter(sponsor=sponsor).count() == 5
    assert consent_sms().count() == 5


# --- Consent codes per recipient phone per day ------------------------------------------------------


@pytest.fixture
def phone_cap_on(settings):
    """The per-phone cap is a throttle: on whenever API_THROTTLING is (always, in production)."""
    settings.API_THROTTLING = True


def test_api_throttling_false_switches_the_phone_cap_off(notify_file, committed):
    phone = "+6281377770009"
    for _ in range(5):
        response = committed(client_for(UserFactory()).post, WORKERS, worker_payload(phone=phone))
        assert response.status_code == 201, response.content
    assert consent_sms(phone).count() == 5


def test_a_phone_gets_at_most_three_consent_codes_a_day_from_any_sponsors(phone_cap_on, notify_file, committed):
    phone = "+6281377770001"
    for _ in range(3):
        response = committed(client_for(UserFactory()).post, WORKERS, worker_payload(phone=phone))
        assert response.status_code == 201, response.content
    fourth = UserFactory()

    response = committed(client_for(fourth).post, WORKERS, worker_payload(phone=phone))

    error = assert_error(response, 429, "throttled", "phone")
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert "sudah menerima 3 kode persetujuan dalam 24 jam terakhir" in error["detail"]
    assert not Enrollment.objects.filter(sponsor=fourth).exists()  # nothing registered
    assert consent_sms(phone).count() == 3  # nothing sent
    assert len([m for m in notify_file.messages() if m["to"] == phone]) == 3


def test_resending_a_consent_code_counts_and_stops_at_the_cap(phone_cap_on, auth_client, user, notify_file, committed):
    phone = "+6281377770002"
    worker = committed(auth_client.post, WORKERS, worker_payload(phone=phone)).json()
    resend = f"{WORKERS}/{worker['id']}/resend-consent-code"
    assert committed(auth_client.post, resend).status_code == 202
    assert committed(auth_client.post, resend).status_code == 202
    live_before = OtpChallenge.objects.get(
        purpose=OtpPurpose.WORKER_CONSENT, subject_id=worker["id"], superseded_at__isnull=True
    )

    response = committed(auth_client.post, resend, HTTP_ACCEPT_LANGUAGE="en")

    error = assert_error(response, 429, "throttled", "phone")
    assert error["detail"].startswith("This phone number already received 3 consent codes in the last 24 hours")
    assert int(response["Retry-After"]) > 0
    assert consent_sms(phone).count() == 3
    # The code the worker already has still works: nothing superseded it.
    live_after = OtpChallenge.objects.get(
        purpose=OtpPurpose.WORKER_CONSENT, subject_id=worker["id"], superseded_at__isnull=True
    )
    assert live_after.pk == live_before.pk
    consent = auth_client.post(f"{WORKERS}/{worker['id']}/consent", {"code": notify_file.last_code(phone)})
    assert consent.status_code == 200, consent.content


def test_changing_a_worker_phone_to_a_capped_phone_is_refused(phone_cap_on, auth_client, user, committed):
    capped = "+6281377770003"
    for _ in range(3):
        enrollment(phone=capped, consent=False)
    worker = committed(auth_client.post, WORKERS, worker_payload()).json()

    response = committed(auth_client.patch, f"{WORKERS}/{worker['id']}", {"phone": capped})

    assert_error(response, 429, "throttled", "phone")
    assert Enrollment.objects.get(pk=worker["id"]).phone == worker["phone"]
    assert consent_sms(capped).count() == 3


def test_the_phone_window_rolls_and_follows_the_setting(phone_cap_on, auth_client, settings):
    phone = "+6281377770004"
    for _ in range(3):
        enrollment(phone=phone, consent=False)
    assert_error(auth_client.post(WORKERS, worker_payload(phone=phone)), 429, "throttled", "phone")

    backdate(consent_sms(phone).order_by("created_at")[:1], DAY)
    assert auth_client.post(WORKERS, worker_payload(phone=phone)).status_code == 201
    assert_error(auth_client.post(WORKERS, worker_payload(phone=phone)), 429, "throttled", "phone")

    settings.CONSENT_SMS_PER_PHONE_DAILY = 4
    assert auth_client.post(WORKERS, worker_payload(phone=phone)).status_code == 201


def test_a_self_enrollment_sends_no_consent_code_and_is_not_refused_by_the_phone_cap(phone_cap_on, auth_client, user):
    for _ in range(3):
        enrollment(phone=user.phone, consent=False)
    response = auth_client.post(WORKERS, worker_payload(relationship="self", phone=user.phone))
    assert response.status_code == 201, response.content
    assert consent_sms(user.phone).count() == 3


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_by_many_sponsors_send_one_phone_three_codes(phone_cap_on, reference):
    phone = "+6281377770005"
    sponsors = [UserFactory() for _ in range(6)]
    payloads = [worker_payload(phone=phone) for _ in range(6)]

    def register(n: int) -> int:
        return client_for(sponsors[n]).post(WORKERS, payloads[n], format="json").status_code

    statuses = run_together(register, 6)

    assert sorted(statuses) == [201] * 3 + [429] * 3
    assert Enrollment.objects.filter(phone=phone).count() == 3
    assert consent_sms(phone).count() == 3


# --- The schema documents it ------------------------------------------------------------------------


def _enum_values(schema: dict, node) -> set[str]:
    """Every enum value reachable from `node`, following $refs."""
    if isinstance(node, list):
        return set().union(*(_enum_values(schema, item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _enum_values(schema, schema["components"]["schemas"][name])
    found = set(node.get("enum") or [])
    for value in node.values():
        found |= _enum_values(schema, value)
    return found


@pytest.fixture(scope="module")
def schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(
    "path, method, status, codes",
    [
        ("/api/v1/workers", "post", "429", {"registration_limit_reached", "throttled"}),
        ("/api/v1/workers/{id}", "patch", "429", {"throttled"}),
        ("/api/v1/workers/{id}/resend-consent-code", "post", "429", {"throttled"}),
        ("/api/v1/workers", "post", "400", {"name_invalid", "nik_invalid"}),
        ("/api/v1/auth/signup", "post", "400", {"name_invalid"}),
        ("/api/v1/me", "patch", "400", {"name_invalid", "reminder_channels_invalid"}),
    ],
)
def test_the_schema_documents_the_codes(schema, path, method, status, codes):
    response = schema["paths"][path][method]["responses"][status]
    assert codes <= _enum_values(schema, response)


@pytest.mark.parametrize("name", ["SPONSOR_DAILY_REGISTRATIONS", "CONSENT_SMS_PER_PHONE_DAILY"])
def test_the_caps_are_checked_at_start_up(settings, name):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.base import validate_settings

    # Every setting, as start-up validation sees them, so a new validated setting needs no change here.
    from django.conf import settings as django_settings

    values = {key: getattr(django_settings, key) for key in dir(django_settings) if key.isupper()}
    validate_settings(values)
    assert values[name] >= 1
    with pytest.raises(ImproperlyConfigured, match=name):
        validate_settings({**values, name: 0})


def test_the_defaults_are_five_registrations_and_three_codes():
    from config.settings import base

    assert base.SPONSOR_DAILY_REGISTRATIONS == 5
    assert base.CONSENT_SMS_PER_PHONE_DAILY == 3
