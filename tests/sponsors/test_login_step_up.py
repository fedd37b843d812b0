"""Logins are throttled without lockouts (QUALITY.md "Security" 11; API.md `POST /auth/token`).

Nobody can lock an owner out by failing on purpose: after LOGIN_STEP_UP_AFTER failures on one account
within an hour, the right password answers 401 `otp_required` and a code goes to the account's phone;
the same request with `code` then succeeds.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Message
from sponsors.choices import OtpPurpose
from sponsors.models import OtpChallenge, User
from tests.concurrency import run_together
from tests.factories import PASSWORD, UserFactory, random_mobile

API = "/api/v1"
WRONG = "not-the-password"


@pytest.fixture
def call(db, django_capture_on_commit_callbacks):
    """POST /auth/token from `address` (each address has its own per-IP throttle), with queued SMS sent."""

    def _call(body: dict, *, address: str = "192.0.2.1", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return APIClient().post(f"{API}/auth/token", body, format="json", REMOTE_ADDR=address, **extra)

    return _call


def fail(call, user, times: int, *, first_address: int = 0) -> None:
    """Wrong passwords for `user`, each from another address (so no per-IP limit is reached)."""
    for n in range(first_address, first_address + times):
        response = call({"phone": user.phone, "password": WRONG}, address=f"10.1.{n // 200}.{n % 200 + 1}")
        assert response.status_code == 401, response.content
        assert response.json()["errors"][0]["code"] == "invalid_credentials"


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    [only] = response.json()["errors"]
    return only


def login_codes(notify_file, phone: str) -> list[str]:
    return [re.findall(r"\b\d{6}\b", m["body"])[0] for m in notify_file.messages()
            if m["to"] == phone and m["kind"] == "otp_login"]


def test_failures_from_many_addresses_never_refuse_the_owner(call, notify_file, user):
    """The probe: ~20 wrong passwords for a phone from other addresses made the owner's right password
    answer 429 for an hour. Now the owner gets in, with the code sent to their phone."""
    fail(call, user, 25)

    asked = call({"phone": user.phone, "password": PASSWORD}, address="198.51.100.7")

    assert error(asked, 401) == {"code": "otp_required", "attr": "code", "detail": error(asked, 401)["detail"]}
    assert "Retry-After" not in asked
    [code] = login_codes(notify_file, user.phone)
    ok = call({"phone": user.phone, "password": PASSWORD, "code": code}, address="198.51.100.7")
    assert ok.status_code == 200, ok.content
    assert set(ok.json()) == {"access", "refresh"}


def test_below_the_threshold_the_password_alone_is_enough(call, notify_file, user, settings):
    fail(call, user, settings.LOGIN_STEP_UP_AFTER - 1)

    assert call({"phone": user.phone, "password": PASSWORD}).status_code == 200
    assert notify_file.messages() == []


def test_at_the_threshold_the_right_password_asks_for_a_code_sent_by_sms(call, notify_file, user, settings):
    assert settings.LOGIN_STEP_UP_AFTER == 5  # the documented default
    fail(call, user, 5)

    asked = call({"phone": user.phone, "password": PASSWORD})

    detail = error(asked, 401)
    assert (detail["code"], detail["attr"]) == ("otp_required", "code")
    assert detail["detail"].startswith("Ada beberapa percobaan masuk yang gagal")
    [sms] = [m for m in notify_file.messages() if m["to"] == user.phone]
    assert (sms["channel"], sms["kind"]) == ("sms", "otp_login")
    assert sms["body"].startswith("Kode masuk JMO Sertakan Anda: ")
    assert len(re.findall(r"\d{6}", sms["body"])) == 1
    challenge = OtpChallenge.objects.get(purpose=OtpPurpose.LOGIN, subject_id=user.pk)
    assert login_codes(notify_file, user.phone)[0] not in challenge.code_hash  # stored hashed


def test_the_step_up_speaks_english_to_an_english_account(call, notify_file, settings):
    user = UserFactory(language="en")
    fail(call, user, settings.LOGIN_STEP_UP_AFTER)

    asked = call({"phone": user.phone, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")

    assert error(asked, 401)["detail"].startswith("There were several failed sign-in attempts")
    [sms] = notify_file.messages()
    assert sms["body"].startswith("Your JMO Sertakan sign-in code: ")


@pytest.fixture
def stepped_up(call, notify_file, user, settings):
    """`user` after LOGIN_STEP_UP_AFTER failures, with the code the right password made us send."""
    fail(call, user, settings.LOGIN_STEP_UP_AFTER)
    assert error(call({"phone": user.phone, "password": PASSWORD}), 401)["code"] == "otp_required"
    [code] = login_codes(notify_file, user.phone)
    return user, code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_wrong_code_is_otp_invalid_and_the_right_one_still_works(call, stepped_up):
    user, code = stepped_up

    for _ in range(4):
        assert error(call({"phone": user.phone, "password": PASSWORD, "code": wrong(code)}), 400) == {
            "code": "otp_invalid", "attr": "code", "detail": "Kode salah. Periksa SMS terakhir yang kami kirim."}

    assert call({"phone": user.phone, "password": PASSWORD, "code": code}).status_code == 200


def test_five_wrong_codes_lock_the_code(call, stepped_up):
    user, code = stepped_up
    for _ in range(5):
        call({"phone": user.phone, "password": PASSWORD, "code": wrong(code)})

    locked = call({"phone": user.phone, "password": PASSWORD, "code": code})

    assert (error(locked, 400)["code"], error(locked, 400)["attr"]) == ("otp_locked", "code")


def test_an_expired_code_is_otp_expired(call, stepped_up):
    user, code = stepped_up
    OtpChallenge.objects.filter(subject_id=user.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    expired = call({"phone": user.phone, "password": PASSWORD, "code": code})

    assert (error(expired, 400)["code"], error(expired, 400)["attr"]) == ("otp_expired", "code")


def test_a_code_is_used_once(call, stepped_up):
    user, code = stepped_up
    assert call({"phone": user.phone, "password": PASSWORD, "code": code}).status_code == 200

    assert error(call({"phone": user.phone, "password": PASSWORD, "code": code}), 400)["code"] == "otp_expired"


def test_the_code_without_the_right_password_is_invalid_credentials_and_keeps_the_code(call, stepped_up):
    user, code = stepped_up

    assert error(call({"phone": user.phone, "password": WRONG, "code": code}), 401)["code"] == "invalid_credentials"

    assert call({"phone": user.phone, "password": PASSWORD, "code": code}).status_code == 200


def test_a_code_of_another_purpose_does_not_open_the_login(call, stepped_up, notify_file):
    """The phone verification and consent codes are other codes: only a login code opens a login."""
    from sponsors import services

    user, _ = stepped_up
    OtpChallenge.objects.filter(subject_id=user.pk).delete()
    services.otp_issue(purpose=OtpPurpose.PHONE_VERIFICATION, subject_id=user.pk, phone=user.phone, language="id")
    other = re.findall(r"\b\d{6}\b", Message.objects.get(kind="otp_phone").body)[0]

    assert error(call({"phone": user.phone, "password": PASSWORD, "code": other}), 400)["code"] == "otp_expired"


def test_failures_older_than_an_hour_do_not_count(call, user, settings):
    fail(call, user, settings.LOGIN_STEP_UP_AFTER)
    User.objects.filter(pk=user.pk).update(login_failures_since=timezone.now() - timedelta(minutes=61))

    assert call({"phone": user.phone, "password": PASSWORD}).status_code == 200
    # The next failure starts a new window.
    fail(call, user, 1)
    assert User.objects.values_list("login_failures", flat=True).get(pk=user.pk) == 1


def test_at_most_one_live_code_and_resends_are_limited(call, notify_file, stepped_up, settings):
    settings.API_THROTTLING = False  # many requests from one test address
    user, first = stepped_up
    # Asking again at once sends nothing: the code just sent is live.
    assert error(call({"phone": user.phone, "password": PASSWORD}), 401)["code"] == "otp_required"
    assert login_codes(notify_file, user.phone) == [first]

    # A minute later a new code replaces it.
    OtpChallenge.objects.filter(subject_id=user.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    assert error(call({"phone": user.phone, "password": PASSWORD}), 401)["code"] == "otp_required"
    first, second = login_codes(notify_file, user.phone)
    assert OtpChallenge.objects.filter(
        purpose=OtpPurpose.LOGIN, subject_id=user.pk, consumed_at__isnull=True, superseded_at__isnull=True
    ).count() == 1
    assert error(call({"phone": user.phone, "password": PASSWORD, "code": first}), 400)["code"] in (
        "otp_invalid", "otp_expired")

    # At most five an hour, however long one waits between them.
    for _ in range(10):
        OtpChallenge.objects.filter(subject_id=user.pk).update(created_at=timezone.now() - timedelta(seconds=61))
        call({"phone": user.phone, "password": PASSWORD})
    assert len(login_codes(notify_file, user.phone)) == 5
    # The last one still opens the account.
    assert call({"phone": user.phone, "password": PASSWORD,
                 "code": login_codes(notify_file, user.phone)[-1]}).status_code == 200


def test_a_wrong_password_never_sends_a_code(call, notify_file, user, settings):
    fail(call, user, settings.LOGIN_STEP_UP_AFTER + 10)

    assert notify_file.messages() == []
    assert not OtpChallenge.objects.exists()


def test_requests_refused_by_the_per_address_limit_do_not_count_against_the_account(call, user, settings):
    """They never reach the password check: they guess nothing, so they say nothing about the account."""
    settings.LOGIN_STEP_UP_AFTER = 12
    for _ in range(15):
        call({"phone": user.phone, "password": WRONG}, address="203.0.113.9")

    # 10 a minute per address (THROTTLE_LOGIN): five of the fifteen were refused with 429, uncounted.
    assert User.objects.values_list("login_failures", flat=True).get(pk=user.pk) == 10
    assert call({"phone": user.phone, "password": PASSWORD}, address="203.0.113.10").status_code == 200


def test_api_throttling_false_keeps_the_step_up(call, user, settings):
    """API_THROTTLING switches rate limits off for load tests; the step-up is not a rate limit."""
    settings.API_THROTTLING = False
    for _ in range(settings.LOGIN_STEP_UP_AFTER):
        call({"phone": user.phone, "password": WRONG})

    assert error(call({"phone": user.phone, "password": PASSWORD}), 401)["code"] == "otp_required"


def test_failures_on_one_account_do_not_touch_another(call, user, other_user, settings):
    fail(call, user, settings.LOGIN_STEP_UP_AFTER + 3)

    assert call({"phone": other_user.phone, "password": PASSWORD}).status_code == 200


def test_wrong_passwords_for_unknown_numbers_store_nothing(call):
    before = User.objects.count()
    for _ in range(3):
        assert error(call({"phone": random_mobile(), "password": WRONG}), 401)["code"] == "invalid_credentials"

    assert User.objects.count() == before


def test_after_many_failures_every_login_needs_a_code_until_the_password_changes(call, notify_file, user, settings):
    """A password found by guessing (the answers tell a right one from a wrong one) must not open the
    account once the guessing stops and the hour is over."""
    fail(call, user, settings.LOGIN_STEP_UP_ALWAYS_AFTER)
    User.objects.filter(pk=user.pk).update(login_failures_since=timezone.now() - timedelta(days=3))

    assert error(call({"phone": user.phone, "password": PASSWORD}), 401)["code"] == "otp_required"
    [code] = login_codes(notify_file, user.phone)
    assert call({"phone": user.phone, "password": PASSWORD, "code": code}).status_code == 200
    # Logging in with the code does not lift it (the guesser knows the password too)...
    OtpChallenge.objects.filter(subject_id=user.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert error(call({"phone": user.phone, "password": PASSWORD}), 401)["code"] == "otp_required"

    # ...a new password does.
    account = User.objects.get(pk=user.pk)
    account.set_password("Baru#Sandi-2026")
    account.save()
    assert call({"phone": user.phone, "password": "Baru#Sandi-2026"}).status_code == 200


def test_one_failure_less_than_the_always_threshold_expires_with_the_hour(call, user, settings):
    fail(call, user, settings.LOGIN_STEP_UP_ALWAYS_AFTER - 1)
    User.objects.filter(pk=user.pk).update(login_failures_since=timezone.now() - timedelta(minutes=61))

    assert call({"phone": user.phone, "password": PASSWORD}).status_code == 200


def test_a_password_rehash_at_login_does_not_skip_the_step_up(call, user, settings):
    """authenticate() re-hashes a password stored with an older hasher, through set_password, which
    clears the step-up on that copy of the account: the decision reads the row."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.ScryptPasswordHasher"]
    fail(call, user, settings.LOGIN_STEP_UP_ALWAYS_AFTER)
    from django.contrib.auth.hashers import make_password

    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="scrypt"))

    assert error(call({"phone": user.phone, "password": PASSWORD}), 401)["code"] == "otp_required"
    assert User.objects.get(pk=user.pk).password.startswith("md5$")  # it was re-hashed


def test_the_step_up_settings_are_validated():
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.base import validate_settings
    from django.conf import settings as django_settings

    # Every setting, as start-up validation sees them, so a new validated setting needs no change here.
    values = {key: getattr(django_settings, key) for key in dir(django_settings) if key.isupper()}
    validate_settings(values)  # control
    for after, always in [(0, 20), (-1, 20), (5, 5), (6, 5)]:
        with pytest.raises(ImproperlyConfigured, match="LOGIN_STEP_UP_AFTER"):
            validate_settings({**values, "LOGIN_STEP_UP_AFTER": after, "LOGIN_STEP_UP_ALWAYS_AFTER": always})


# --- across workers: real threads, each on its own connection -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted(settings):
    settings.API_THROTTLING = False
    user = UserFactory()

    run_together(lambda n: APIClient().post(f"{API}/auth/token", {"phone": user.phone, "password": WRONG},
                                            format="json"), 8)

    assert User.objects.values_list("login_failures", flat=True).get(pk=user.pk) == 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_right_passwords_in_step_up_send_one_code(settings):
    settings.API_THROTTLING = False
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(login_failures=settings.LOGIN_STEP_UP_AFTER,
                                           login_failures_since=timezone.now())

    responses = run_together(lambda n: APIClient().post(
        f"{API}/auth/token", {"phone": user.phone, "password": PASSWORD}, format="json"), 6)

    assert {r.json()["errors"][0]["code"] for r in responses} == {"otp_required"}
    assert OtpChallenge.objects.filter(purpose=OtpPurpose.LOGIN, subject_id=user.pk).count() == 1
    assert Message.objects.filter(kind="otp_login", to=user.phone).count() == 1
