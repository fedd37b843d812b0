"""Accounts API (API.md "Accounts", "One-time codes", "General rules"; QUALITY.md "Security" 4 and 5).

Messages are queued with `transaction.on_commit`: every request that must reach the file backend goes
through `call`, which runs the captured on-commit callbacks (Celery is eager in tests).
"""

import hashlib
import re
from datetime import timedelta

import jwt
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from core.api.throttling import ScopedRateThrottle
from notifications.models import Message
from sponsors.models import Device, OtpChallenge, User
from tests.factories import PASSWORD, UserFactory, random_mobile

API = "/api/v1"
NEW_PASSWORD = "Sertakan#2026"


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture
def call(db, api_client, django_capture_on_commit_callbacks):
    """POST/GET/PATCH through the API and run the on-commit callbacks (so queued SMS are sent)."""

    def _call(method, path, data=None, *, client=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client or api_client, method)(f"{API}{path}", data, format="json", **extra)

    return _call


def errors_of(response, status: int) -> list[dict]:
    """Assert the API.md error shape for `status` and return its errors."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    assert body["type"] == ("validation_error" if status == 400 else "client_error"), body
    assert isinstance(body["errors"], list) and body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}, error
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["detail"], str) and error["detail"]
    if status != 400:
        assert len(body["errors"]) == 1, body
    return body["errors"]


def assert_error(response, status: int, code: str, attr: str | None) -> dict:
    errors = errors_of(response, status)
    matching = [e for e in errors if e["code"] == code and e["attr"] == attr]
    assert matching, f"no error {code!r} on {attr!r} in {errors}"
    return matching[0]


def signup_body(phone: str, **overrides) -> dict:
    return {"phone": phone, "full_name": "Ani Wijaya", "password": NEW_PASSWORD, **overrides}


def local_format(e164: str) -> str:
    """`+6281234567890` → `0812-3456-7890` (a format the API accepts)."""
    digits = "0" + e164[3:]
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def unverified(call, notify_file):
    """An account made through signup, not verified yet: (phone, first code)."""
    phone = random_mobile()
    response = call("post", "/auth/signup", signup_body(local_format(phone)))
    assert response.status_code == 201, response.content
    a_minute_later()
    return phone, notify_file.last_code(phone)


def a_minute_later() -> None:
    """Let the per-phone cooldown (one code a minute) pass: throttle counters live in the cache."""
    from django.core.cache import cache

    cache.clear()


def test_a_new_code_needs_the_cooldown_after_signup(call, notify_file):
    """Signup sends a code, so an immediate resend (or signup again) for that phone waits a minute."""
    phone = random_mobile()
    assert call("post", "/auth/signup", signup_body(local_format(phone))).status_code == 201

    assert_error(call("post", "/auth/resend-code", {"phone": phone}), 429, "throttled", None)
    assert_error(call("post", "/auth/signup", signup_body(phone)), 429, "throttled", None)
    assert len([m for m in notify_file.messages() if m["to"] == phone]) == 1


# --- signup ---------------------------------------------------------------------------------------


def test_signup_answers_201_with_exactly_the_account_and_sends_a_code(call, notify_file):
    response = call("post", "/auth/signup", signup_body("0812-7777-1234"))

    assert response.status_code == 201, response.content
    user = User.objects.get(phone="+6281277771234")
    assert response.json() == {
        "id": user.pk,
        "phone": "+6281277771234",
        "full_name": "Ani Wijaya",
        "phone_verified": False,
    }
    assert user.phone_verified_at is None
    assert user.check_password(NEW_PASSWORD)
    assert user.password != NEW_PASSWORD
    [sms] = notify_file.messages()
    assert sms["channel"] == "sms"
    assert sms["to"] == "+6281277771234"
    assert len(re.findall(r"\b\d{6}\b", sms["body"])) == 1
    assert len(re.findall(r"\d{6}", sms["body"])) == 1


@pytest.mark.parametrize(
    "raw",
    ["081277771234", "6281277771234", "+6281277771234", "0812 7777 1234", "0812-7777-1234",
     "+62 812-7777-1234", "62-812-7777-1234"],
)
def test_signup_stores_every_accepted_phone_format_as_e164(call, notify_file, raw):
    response = call("post", "/auth/signup", signup_body(raw))

    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+6281277771234"
    assert list(User.objects.values_list("phone", flat=True)) == ["+6281277771234"]
    assert notify_file.messages()[0]["to"] == "+6281277771234"


@pytest.mark.parametrize("raw", ["021-5551234", "+62 21 5551234", "+6581234567", "0812", "abc", "08123456789012345"])
def test_signup_refuses_landlines_foreign_and_garbage_numbers(call, raw):
    response = call("post", "/auth/signup", signup_body(raw))

    assert_error(response, 400, "phone_invalid", "phone")
    assert not User.objects.exists()
    assert not Message.objects.exists()


def test_signup_refuses_a_number_held_by_a_verified_account(call, notify_file):
    owner = UserFactory(full_name="Pemilik")
    response = call("post", "/auth/signup", signup_body(local_format(owner.phone), full_name="Penyusup"))

    assert_error(response, 409, "phone_taken", "phone")
    owner.refresh_from_db()
    assert owner.full_name == "Pemilik"
    assert owner.check_password(PASSWORD)
    assert User.objects.count() == 1
    assert notify_file.messages() == []


def test_signup_again_on_an_unverified_number_sends_a_new_code_and_kills_the_old(call, notify_file, unverified):
    phone, old_code = unverified

    again = call("post", "/auth/signup", signup_body(phone, full_name="Ani Baru", password="Lain#Sandi-2026"))

    assert again.status_code == 201, again.content
    assert again.json()["phone_verified"] is False
    assert User.objects.filter(phone=phone).count() == 1
    assert len([m for m in notify_file.messages() if m["to"] == phone]) == 2
    new_code = notify_file.last_code(phone)
    if new_code != old_code:  # one chance in a million that they are equal
        assert_error(call("post", "/auth/verify-phone", {"phone": phone, "code": old_code}), 400, "otp_invalid", "code")
    assert call("post", "/auth/verify-phone", {"phone": phone, "code": new_code}).status_code == 200
    # The person who proved the phone owns the account with the password they chose last.
    token = call("post", "/auth/token", {"phone": phone, "password": "Lain#Sandi-2026"})
    assert token.status_code == 200, token.content
    assert User.objects.get(phone=phone).full_name == "Ani Baru"


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Ab1!xy", {"password_too_short"}),
        ("iloveyou", {"password_too_common"}),
        ("83920174651", {"password_entirely_numeric"}),
        ("12345678", {"password_too_common", "password_entirely_numeric"}),
    ],
)
def test_signup_applies_djangos_password_validators_on_password(call, password, codes):
    response = call("post", "/auth/signup", signup_body("081277771234", password=password))

    errors = errors_of(response, 400)
    assert {e["attr"] for e in errors} == {"password"}
    assert {e["code"] for e in errors} == codes
    assert not User.objects.exists()
    assert not Message.objects.exists()


def test_signup_reports_each_missing_field_as_required(call):
    response = call("post", "/auth/signup", {})

    errors = errors_of(response, 400)
    assert {(e["attr"], e["code"]) for e in errors} == {
        ("phone", "required"), ("full_name", "required"), ("password", "required")
    }


def test_signup_refuses_a_malformed_email(call):
    response = call("post", "/auth/signup", signup_body("081277771234", email="not-an-email"))

    assert_error(response, 400, "invalid", "email")
    assert not User.objects.exists()


# --- verify-phone ---------------------------------------------------------------------------------


def test_verify_phone_with_the_right_code_verifies_and_unlocks_login(call, unverified):
    phone, code = unverified
    assert_error(call("post", "/auth/token", {"phone": phone, "password": NEW_PASSWORD}), 403,
                 "phone_not_verified", "phone")

    response = call("post", "/auth/verify-phone", {"phone": local_format(phone), "code": code})

    assert response.status_code == 200, response.content
    assert response.json() == {"phone_verified": True}
    assert User.objects.get(phone=phone).phone_verified_at is not None
    token = call("post", "/auth/token", {"phone": phone, "password": NEW_PASSWORD})
    assert token.status_code == 200, token.content
    me = bearer(token.json()["access"]).get(f"{API}/me")
    assert me.status_code == 200
    assert me.json()["phone_verified"] is True


def test_code_expires_after_five_minutes(call, unverified):
    phone, code = unverified
    challenge = OtpChallenge.objects.get(subject_id=User.objects.get(phone=phone).pk)
    assert timedelta(seconds=299) <= challenge.expires_at - challenge.created_at <= timedelta(seconds=301)

    OtpChallenge.objects.filter(pk=challenge.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = call("post", "/auth/verify-phone", {"phone": phone, "code": code})

    assert_error(response, 400, "otp_expired", "code")
    assert User.objects.get(phone=phone).phone_verified_at is None


def test_wrong_code_is_refused(call, unverified):
    phone, code = unverified

    response = call("post", "/auth/verify-phone", {"phone": phone, "code": wrong(code)})

    assert_error(response, 400, "otp_invalid", "code")
    assert User.objects.get(phone=phone).phone_verified_at is None


def test_five_wrong_tries_lock_the_code_even_against_the_right_one(call, unverified):
    phone, code = unverified
    for _ in range(5):
        assert_error(call("post", "/auth/verify-phone", {"phone": phone, "code": wrong(code)}), 400,
                     "otp_invalid", "code")

    response = call("post", "/auth/verify-phone", {"phone": phone, "code": code})

    assert_error(response, 400, "otp_locked", "code")
    assert User.objects.get(phone=phone).phone_verified_at is None


def test_four_wrong_tries_still_allow_the_right_code(call, unverified):
    phone, code = unverified
    for _ in range(4):
        call("post", "/auth/verify-phone", {"phone": phone, "code": wrong(code)})

    assert call("post", "/auth/verify-phone", {"phone": phone, "code": code}).status_code == 200


def test_resend_code_supersedes_the_old_code_and_lifts_a_lock(call, notify_file, unverified):
    phone, old_code = unverified
    for _ in range(5):
        call("post", "/auth/verify-phone", {"phone": phone, "code": wrong(old_code)})

    assert call("post", "/auth/resend-code", {"phone": phone}).status_code == 202
    new_code = notify_file.last_code(phone)
    assert len(notify_file.messages()) == 2
    if new_code != old_code:
        assert_error(call("post", "/auth/verify-phone", {"phone": phone, "code": old_code}), 400,
                     "otp_invalid", "code")

    assert call("post", "/auth/verify-phone", {"phone": phone, "code": new_code}).status_code == 200


def test_verify_phone_for_an_unknown_number_answers_otp_invalid(call):
    response = call("post", "/auth/verify-phone", {"phone": random_mobile(), "code": "123456"})

    assert_error(response, 400, "otp_invalid", "code")


def test_verify_phone_for_an_unknown_number_is_indistinguishable_from_a_wrong_code(call, unverified):
    phone, code = unverified
    known = call("post", "/auth/verify-phone", {"phone": phone, "code": wrong(code)})
    unknown = call("post", "/auth/verify-phone", {"phone": random_mobile(), "code": wrong(code)})

    assert unknown.status_code == known.status_code == 400
    assert unknown.json() == known.json()


def test_verify_phone_validates_its_input(call):
    assert_error(call("post", "/auth/verify-phone", {"phone": "021-5551234", "code": "123456"}), 400,
                 "phone_invalid", "phone")
    errors = errors_of(call("post", "/auth/verify-phone", {}), 400)
    assert {(e["attr"], e["code"]) for e in errors} == {("phone", "required"), ("code", "required")}


def test_codes_are_stored_hashed(call, unverified):
    phone, code = unverified
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM sponsors_otpchallenge")
        columns = [c.name for c in cursor.description]
        rows = cursor.fetchall()

    assert len(rows) == 1
    for column, value in zip(columns, rows[0]):
        assert str(value) != code, column
        if isinstance(value, str):
            assert code not in value, column
    stored = dict(zip(columns, rows[0]))["code_hash"]
    # Not a plain (unkeyed) digest either: 10^6 codes would be brute-forced from it instantly.
    assert stored not in {hashlib.sha256(code.encode()).hexdigest(), hashlib.md5(code.encode()).hexdigest()}


# --- resend-code ----------------------------------------------------------------------------------


def test_resend_code_answers_202_for_unknown_and_verified_numbers_and_sends_nothing(call, notify_file):
    for phone in (random_mobile(), UserFactory().phone, local_format(UserFactory().phone)):
        response = call("post", "/auth/resend-code", {"phone": phone})
        assert response.status_code == 202, response.content

    assert notify_file.messages() == []
    assert not Message.objects.exists()
    assert not OtpChallenge.objects.exists()


def test_resend_code_sends_to_an_unverified_account(call, notify_file, unverified):
    phone, _ = unverified

    response = call("post", "/auth/resend-code", {"phone": local_format(phone)})

    assert response.status_code == 202
    assert [m["to"] for m in notify_file.messages()] == [phone, phone]


def test_resend_code_refuses_an_invalid_number(call):
    assert_error(call("post", "/auth/resend-code", {"phone": "abc"}), 400, "phone_invalid", "phone")
    assert_error(call("post", "/auth/resend-code", {}), 400, "required", "phone")


def test_resend_code_is_throttled_per_phone(call, notify_file, unverified):
    phone, _ = unverified
    other_phone = random_mobile()

    assert call("post", "/auth/resend-code", {"phone": phone}).status_code == 202
    # The same number in another format is the same number.
    response = call("post", "/auth/resend-code", {"phone": local_format(phone)})

    assert_error(response, 429, "throttled", None)
    assert "Retry-After" in response
    assert len(notify_file.messages()) == 2  # the signup code and one resend
    # Another number from the same client is not held back by this number's throttle.
    assert call("post", "/auth/resend-code", {"phone": other_phone}).status_code == 202


def test_the_throttled_detail_is_in_indonesian_by_default(call, unverified):
    phone, _ = unverified
    call("post", "/auth/resend-code", {"phone": phone})

    error = assert_error(call("post", "/auth/resend-code", {"phone": phone}), 429, "throttled", None)

    assert "Expected" not in error["detail"] and "seconds" not in error["detail"], error["detail"]


def test_api_throttling_false_disables_the_resend_throttle(call, notify_file, settings, unverified):
    settings.API_THROTTLING = False
    phone, _ = unverified

    for _ in range(3):
        assert call("post", "/auth/resend-code", {"phone": phone}).status_code == 202

    assert len(notify_file.messages()) == 4


# --- token ----------------------------------------------------------------------------------------


def test_token_answers_an_access_and_a_refresh_token(call, user):
    response = call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD})

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}
    access = AccessToken(response.json()["access"])
    assert str(access["user_id"]) == str(user.pk)
    assert RefreshToken(response.json()["refresh"])["user_id"] == access["user_id"]
    assert bearer(response.json()["access"]).get(f"{API}/me").json()["id"] == user.pk


@pytest.mark.parametrize("fmt", [
    lambda p: "0" + p[3:], lambda p: p[1:], lambda p: p, lambda p: local_format(p),
    lambda p: f"+62 {p[3:6]} {p[6:10]} {p[10:]}",
])
def test_token_accepts_the_phone_in_any_accepted_format(call, user, fmt):
    response = call("post", "/auth/token", {"phone": fmt(user.phone), "password": PASSWORD})

    assert response.status_code == 200, response.content


def test_token_with_a_wrong_password_is_401_invalid_credentials(call, user):
    response = call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD + "x"})

    assert_error(response, 401, "invalid_credentials", None)


@pytest.mark.parametrize("phone", ["+6281299990000", "021-5551234", "garbage"])
def test_token_for_an_unknown_or_invalid_phone_is_the_same_401(call, user, phone):
    response = call("post", "/auth/token", {"phone": phone, "password": PASSWORD})

    assert_error(response, 401, "invalid_credentials", None)


def test_token_for_an_unverified_account_is_403_phone_not_verified(call):
    pending = UserFactory(phone_verified_at=None)

    assert_error(call("post", "/auth/token", {"phone": pending.phone, "password": PASSWORD}), 403,
                 "phone_not_verified", "phone")


def test_token_with_a_wrong_password_says_nothing_about_verification(call):
    pending = UserFactory(phone_verified_at=None)

    response = call("post", "/auth/token", {"phone": pending.phone, "password": "nope-nope"})

    assert response.json()["errors"][0]["code"] == "invalid_credentials"


def test_token_with_a_wrong_password_on_an_unverified_account_is_401(call):
    pending = UserFactory(phone_verified_at=None)

    assert_error(call("post", "/auth/token", {"phone": pending.phone, "password": "nope-nope"}), 401,
                 "invalid_credentials", None)


def test_token_for_an_inactive_account_is_401(call):
    blocked = UserFactory(is_active=False)

    assert_error(call("post", "/auth/token", {"phone": blocked.phone, "password": PASSWORD}), 401,
                 "invalid_credentials", None)


def test_token_reports_missing_fields(call):
    errors = errors_of(call("post", "/auth/token", {}), 400)
    assert {(e["attr"], e["code"]) for e in errors} == {("phone", "required"), ("password", "required")}


def test_access_token_lives_at_most_15_minutes(call, user):
    response = call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD})
    access = AccessToken(response.json()["access"])

    assert 0 < access["exp"] - access["iat"] <= 15 * 60


def test_tokens_are_signed_with_a_key_other_than_secret_key(call, user):
    payload = dict(AccessToken.for_user(user).payload)
    forged = jwt.encode(payload, django_settings.SECRET_KEY, algorithm="HS256")
    genuine = jwt.encode(payload, django_settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")

    assert django_settings.SIMPLE_JWT["SIGNING_KEY"] != django_settings.SECRET_KEY
    assert bearer(genuine).get(f"{API}/me").status_code == 200  # control: the payload itself is fine
    assert_error(bearer(forged).get(f"{API}/me"), 401, "token_not_valid", None)


# --- refresh and logout ---------------------------------------------------------------------------


@pytest.fixture
def tokens(call, user) -> dict:
    response = call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def test_refresh_rotates_and_refuses_a_used_refresh_token(call, user, tokens):
    response = call("post", "/auth/token/refresh", {"refresh": tokens["refresh"]})

    assert response.status_code == 200, response.content
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    assert fresh["refresh"] != tokens["refresh"]
    assert bearer(fresh["access"]).get(f"{API}/me").json()["id"] == user.pk

    assert_error(call("post", "/auth/token/refresh", {"refresh": tokens["refresh"]}), 401, "token_not_valid", None)
    # The rotated one works, once.
    assert call("post", "/auth/token/refresh", {"refresh": fresh["refresh"]}).status_code == 200
    assert_error(call("post", "/auth/token/refresh", {"refresh": fresh["refresh"]}), 401, "token_not_valid", None)


def test_refresh_refuses_garbage_and_an_access_token(call, tokens):
    assert_error(call("post", "/auth/token/refresh", {"refresh": "garbage"}), 401, "token_not_valid", None)
    assert_error(call("post", "/auth/token/refresh", {"refresh": tokens["access"]}), 401, "token_not_valid", None)


def test_refresh_for_a_deleted_account_is_401_not_500(call, user, tokens):
    user.delete()

    assert_error(call("post", "/auth/token/refresh", {"refresh": tokens["refresh"]}), 401, "token_not_valid", None)


def test_logout_kills_the_refresh_token(call, tokens):
    client = bearer(tokens["access"])

    response = call("post", "/auth/logout", {"refresh": tokens["refresh"]}, client=client)

    assert response.status_code == 204, response.content
    assert_error(call("post", "/auth/token/refresh", {"refresh": tokens["refresh"]}), 401, "token_not_valid", None)


def test_logout_with_another_users_refresh_token_is_400_and_leaves_it_alive(call, tokens, other_user):
    others = call("post", "/auth/token", {"phone": other_user.phone, "password": PASSWORD}).json()

    response = call("post", "/auth/logout", {"refresh": others["refresh"]}, client=bearer(tokens["access"]))

    errors_of(response, 400)
    assert call("post", "/auth/token/refresh", {"refresh": others["refresh"]}).status_code == 200


def test_logout_needs_authentication_and_a_valid_token(call, tokens):
    assert_error(call("post", "/auth/logout", {"refresh": tokens["refresh"]}), 401, "not_authenticated", None)
    errors_of(call("post", "/auth/logout", {"refresh": "garbage"}, client=bearer(tokens["access"])), 400)
    assert_error(call("post", "/auth/logout", {}, client=bearer(tokens["access"])), 400, "required", "refresh")
    # Nothing above killed the token.
    assert call("post", "/auth/token/refresh", {"refresh": tokens["refresh"]}).status_code == 200


# --- throttles ------------------------------------------------------------------------------------


def _limit(scope: str) -> int:
    num, _ = ScopedRateThrottle().parse_rate(ScopedRateThrottle.THROTTLE_RATES[scope])
    return num


def test_login_is_throttled(call, user):
    limit = _limit("login")
    for _ in range(limit):
        refused = call("post", "/auth/token", {"phone": user.phone, "password": "wrong-password"})
        assert refused.json()["errors"][0]["code"] == "invalid_credentials"

    response = call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD})

    assert_error(response, 429, "throttled", None)
    assert "Retry-After" in response


def test_login_throttle_uses_the_configured_rate(call, user, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "login": "2/min"})
    for _ in range(2):
        assert call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD}).status_code == 200

    assert_error(call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD}), 429, "throttled", None)


def test_login_throttle_cannot_be_dodged_with_a_forged_forwarded_for_header(call, user):
    for attempt in range(_limit("login")):
        call("post", "/auth/token", {"phone": user.phone, "password": "wrong-password"},
             HTTP_X_FORWARDED_FOR=f"10.0.{attempt // 250}.{attempt % 250 + 1}")

    response = call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD},
                    HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert_error(response, 429, "throttled", None)


def test_api_throttling_false_disables_the_login_throttle(call, user, settings):
    settings.API_THROTTLING = False
    for _ in range(_limit("login") + 2):
        assert call("post", "/auth/token", {"phone": user.phone, "password": PASSWORD}).status_code == 200


def test_signup_is_throttled(call):
    limit = _limit("signup")
    for _ in range(limit):
        assert call("post", "/auth/signup", signup_body(random_mobile())).status_code == 201

    phone = random_mobile()
    response = call("post", "/auth/signup", signup_body(phone))

    assert_error(response, 429, "throttled", None)
    assert not User.objects.filter(phone=phone).exists()


# --- me -------------------------------------------------------------------------------------------


def test_me_answers_exactly_the_account(auth_client, user):
    response = auth_client.get(f"{API}/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "phone": user.phone,
        "full_name": user.full_name,
        "email": user.email,
        "phone_verified": True,
        "language": "id",
        "reminder_channels": user.reminder_channels,
    }
    assert set(response.json()["reminder_channels"]) <= {"sms", "whatsapp", "push"}


def test_me_needs_authentication(api_client):
    assert_error(api_client.get(f"{API}/me"), 401, "not_authenticated", None)
    assert_error(api_client.patch(f"{API}/me", {"full_name": "X"}, format="json"), 401, "not_authenticated", None)
    assert_error(bearer("not-a-jwt").get(f"{API}/me"), 401, "token_not_valid", None)


def test_patch_me_changes_the_editable_fields(auth_client, user):
    response = auth_client.patch(
        f"{API}/me",
        {"full_name": "Budi Santoso", "email": "budi@example.com", "language": "en", "reminder_channels": ["push"]},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["full_name"], body["email"], body["language"], body["reminder_channels"]) == (
        "Budi Santoso", "budi@example.com", "en", ["push"]
    )
    user.refresh_from_db()
    assert (user.full_name, user.email, user.language, user.reminder_channels) == (
        "Budi Santoso", "budi@example.com", "en", ["push"]
    )
    assert auth_client.get(f"{API}/me").json() == body


def test_patch_me_with_one_field_leaves_the_others(auth_client, user):
    before = auth_client.get(f"{API}/me").json()

    response = auth_client.patch(f"{API}/me", {"email": "ani@example.com"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {**before, "email": "ani@example.com"}


def test_patch_me_ignores_server_owned_fields(auth_client, user):
    before = User.objects.get(pk=user.pk)

    response = auth_client.patch(
        f"{API}/me",
        {"id": user.pk + 1000, "phone": "+6281299998888", "phone_verified": False, "full_name": "Baru"},
        format="json",
    )

    assert response.status_code == 200, response.content
    after = User.objects.get(pk=user.pk)
    assert after.phone == before.phone
    assert after.phone_verified_at == before.phone_verified_at
    assert after.full_name == "Baru"
    assert not User.objects.filter(phone="+6281299998888").exists()
    assert not User.objects.filter(pk=user.pk + 1000).exists()
    assert response.json()["id"] == user.pk
    assert response.json()["phone"] == before.phone
    assert response.json()["phone_verified"] is True


@pytest.mark.parametrize(
    "channels",
    [["email"], ["sms", "sms"], ["sms", "whatsapp", "push", "sms"], "sms", [""], [None]],
)
def test_patch_me_refuses_reminder_channels_outside_the_allowed_set(auth_client, user, channels):
    before = list(User.objects.get(pk=user.pk).reminder_channels)

    response = auth_client.patch(f"{API}/me", {"reminder_channels": channels}, format="json")

    errors = errors_of(response, 400)
    assert all(e["attr"].startswith("reminder_channels") for e in errors), errors
    assert User.objects.get(pk=user.pk).reminder_channels == before


@pytest.mark.parametrize("channels", [[], ["sms"], ["sms", "whatsapp", "push"], ["push", "sms"]])
def test_patch_me_accepts_any_subset_of_channels(auth_client, user, channels):
    response = auth_client.patch(f"{API}/me", {"reminder_channels": channels}, format="json")

    assert response.status_code == 200, response.content
    assert sorted(response.json()["reminder_channels"]) == sorted(channels)
    assert sorted(User.objects.get(pk=user.pk).reminder_channels) == sorted(channels)


def test_patch_me_refuses_an_unknown_language_and_a_bad_email(auth_client):
    assert_error(auth_client.patch(f"{API}/me", {"language": "fr"}, format="json"), 400, "invalid_choice", "language")
    assert_error(auth_client.patch(f"{API}/me", {"email": "nope"}, format="json"), 400, "invalid", "email")


def test_choosing_whatsapp_records_the_opt_in_and_dropping_it_clears_it(auth_client, user):
    assert User.objects.get(pk=user.pk).whatsapp_opt_in_at is None
    before = timezone.now()

    assert auth_client.patch(f"{API}/me", {"reminder_channels": ["sms", "whatsapp"]}, format="json").status_code == 200
    opted_in = User.objects.get(pk=user.pk).whatsapp_opt_in_at
    assert opted_in is not None and opted_in >= before

    # Other edits keep the recorded opt-in.
    assert auth_client.patch(f"{API}/me", {"full_name": "Ani"}, format="json").status_code == 200
    assert User.objects.get(pk=user.pk).whatsapp_opt_in_at == opted_in

    assert auth_client.patch(f"{API}/me", {"reminder_channels": ["sms"]}, format="json").status_code == 200
    assert User.objects.get(pk=user.pk).whatsapp_opt_in_at is None


# --- devices --------------------------------------------------------------------------------------


def test_register_a_device(auth_client, user):
    response = auth_client.post(f"{API}/me/devices", {"token": "fcm-token-1", "platform": "android"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["token"] == "fcm-token-1"
    assert response.json()["platform"] == "android"
    device = Device.objects.get()
    assert (device.user_id, device.token, device.platform) == (user.pk, "fcm-token-1", "android")


def test_a_token_registered_by_another_user_moves_to_that_user(auth_client, other_client, user, other_user):
    assert auth_client.post(f"{API}/me/devices", {"token": "shared", "platform": "android"},
                            format="json").status_code == 201

    response = other_client.post(f"{API}/me/devices", {"token": "shared", "platform": "ios"}, format="json")

    assert response.status_code == 201, response.content
    device = Device.objects.get(token="shared")
    assert (device.user_id, device.platform) == (other_user.pk, "ios")
    assert not Device.objects.filter(user=user).exists()


def test_registering_the_same_token_twice_keeps_one_row(auth_client):
    for _ in range(2):
        assert auth_client.post(f"{API}/me/devices", {"token": "t", "platform": "ios"}, format="json").status_code == 201

    assert Device.objects.count() == 1


def test_device_registration_validates_its_input(auth_client, api_client):
    assert_error(auth_client.post(f"{API}/me/devices", {"token": "t", "platform": "windows"}, format="json"), 400,
                 "invalid_choice", "platform")
    errors = errors_of(auth_client.post(f"{API}/me/devices", {}, format="json"), 400)
    assert {(e["attr"], e["code"]) for e in errors} == {("token", "required"), ("platform", "required")}
    assert_error(api_client.post(f"{API}/me/devices", {"token": "t", "platform": "ios"}, format="json"), 401,
                 "not_authenticated", None)
    assert not Device.objects.exists()


# --- language and paths ---------------------------------------------------------------------------


def test_accept_language_picks_the_language_of_error_details(call):
    body = {"phone": random_mobile(), "code": "123456"}

    english = assert_error(call("post", "/auth/verify-phone", body, HTTP_ACCEPT_LANGUAGE="en"), 400,
                           "otp_invalid", "code")
    default = assert_error(call("post", "/auth/verify-phone", body), 400, "otp_invalid", "code")
    indonesian = assert_error(call("post", "/auth/verify-phone", body, HTTP_ACCEPT_LANGUAGE="id"), 400,
                              "otp_invalid", "code")

    assert english["detail"].startswith("Wrong code")
    assert default["detail"].startswith("Kode salah")
    assert indonesian["detail"] == default["detail"]


def test_signup_in_english_sends_the_code_in_english(call, notify_file):
    phone = random_mobile()

    assert call("post", "/auth/signup", signup_body(phone), HTTP_ACCEPT_LANGUAGE="en").status_code == 201

    assert User.objects.get(phone=phone).language == "en"
    assert "verification code" in notify_file.messages()[0]["body"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/auth/signup/"), ("post", "/auth/token/"), ("post", "/auth/verify-phone/"), ("get", "/me/"),
     ("post", "/me/devices/")],
)
def test_paths_with_a_trailing_slash_are_404_not_a_redirect(auth_client, method, path):
    response = getattr(auth_client, method)(f"{API}{path}", {}, format="json")

    assert response.status_code == 404
    assert "Location" not in response
    assert auth_client.get(f"{API}/me").status_code == 200  # control: the real path answers


@pytest.mark.parametrize("path", ["/auth/signup/", "/auth/nope", "/me/devices/1"])
def test_an_unknown_api_path_answers_the_error_shape(api_client, path):
    response = api_client.post(f"{API}{path}", {}, format="json")

    assert response["Content-Type"].startswith("application/json")
    assert_error(response, 404, "not_found", None)
