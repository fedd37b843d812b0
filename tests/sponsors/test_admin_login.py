"""The admin login is throttled per address and per account, without lockouts (QUALITY.md "Security" 11).

The probe: 40 wrong passwords in 10 s all answered 200. Now an address that fails THROTTLE_ADMIN_LOGIN
times gets the styled login page as a 429 saying for how long; an account that failed
LOGIN_STEP_UP_AFTER times (from anywhere) needs the SMS code as well as its password, never a refusal.
"""

import re

import pytest
from django.test import Client

from sponsors.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def _post(client: Client, phone: str, password: str, *, code: str = "", address: str = "192.0.2.10", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(LOGIN, {"username": phone, "password": password, "code": code},
                               REMOTE_ADDR=address, **extra)

    return _post


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def page(response) -> str:
    return response.content.decode()


def styled_login_page(html: str) -> bool:
    return 'id="login-form"' in html and "unfold/css/styles.css" in html and "BPU Sertakan" in html


def test_forty_wrong_passwords_from_one_address_are_cut_off_at_the_limit(post, staff, settings):
    assert settings.THROTTLE_ADMIN_LOGIN == "10/hour"
    client = Client()
    statuses = [post(client, staff.phone, WRONG).status_code for _ in range(40)]

    assert statuses == [200] * 10 + [429] * 30


def test_the_refusal_is_the_styled_login_page_in_indonesian_with_retry_after(post, staff):
    client = Client()
    for _ in range(10):
        post(client, staff.phone, WRONG)

    refused = post(client, staff.phone, PASSWORD)  # even the right password: nothing is checked

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    html = page(refused)
    assert styled_login_page(html)
    assert re.search(r'class="errornote[^"]*">\s*Terlalu banyak percobaan masuk yang gagal dari alamat ini\. '
                     r"Coba lagi dalam \d+ menit\.", html)
    assert 'lang="id"' in html
    assert "_auth_user_id" not in client.session


def test_the_refusal_speaks_english_when_asked(post, staff):
    client = Client()
    for _ in range(10):
        post(client, staff.phone, WRONG)

    refused = post(client, staff.phone, PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 429
    assert "Too many failed sign-in attempts from this address." in page(refused)


def test_the_address_limit_does_not_refuse_other_addresses(post, staff, settings):
    settings.LOGIN_STEP_UP_AFTER = 15  # only the address limit is tested here
    for _ in range(12):
        post(Client(), staff.phone, WRONG, address="203.0.113.66")

    assert logged_in(post(Client(), staff.phone, PASSWORD, address="198.51.100.20"))


def test_right_logins_do_not_count_against_the_address(post, settings):
    """An office behind one address: many staff signing in is not an attack."""
    for _ in range(15):
        assert logged_in(post(Client(), UserFactory(is_staff=True).phone, PASSWORD))


def test_failures_on_the_account_from_many_addresses_ask_for_the_sms_code_not_a_refusal(post, staff, notify_file):
    for n in range(25):
        assert post(Client(), staff.phone, WRONG, address=f"10.2.0.{n + 1}").status_code == 200
    client = Client()

    asked = post(client, staff.phone, PASSWORD, address="198.51.100.30")

    assert asked.status_code == 200 and not logged_in(asked)
    assert "Ada beberapa percobaan masuk yang gagal. Masukkan juga kode" in page(asked)
    assert "_auth_user_id" not in client.session
    [sms] = notify_file.messages()
    assert (sms["to"], sms["kind"]) == (staff.phone, "otp_login")
    code = re.findall(r"\b\d{6}\b", sms["body"])[0]

    assert logged_in(post(client, staff.phone, PASSWORD, code=code, address="198.51.100.30"))
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_shown_on_the_code_field_and_counts_against_the_address(post, staff, notify_file, settings):
    settings.THROTTLE_ADMIN_LOGIN = "4/hour"
    User.objects.filter(pk=staff.pk).update(login_code_always=True)
    client = Client()
    post(client, staff.phone, PASSWORD)
    code = re.findall(r"\b\d{6}\b", notify_file.messages()[0]["body"])[0]
    bad = f"{(int(code) + 1) % 10**6:06d}"

    for _ in range(4):
        response = post(client, staff.phone, PASSWORD, code=bad)
        assert response.status_code == 200 and not logged_in(response)
        wrong_code = "Kode salah. Periksa SMS terakhir yang kami kirim."
        assert response.context["form"].errors["code"] == [wrong_code]  # on the code field
        # Shown under the code field (unfold's field errors follow the input).
        assert re.search(r'name="code"[^<]*>\s*</div>\s*<div class="[^"]*text-red-600[^"]*">\s*<ul>\s*<li>\s*'
                         + re.escape(wrong_code), page(response))
    assert post(client, staff.phone, PASSWORD, code=code).status_code == 429
    assert logged_in(post(Client(), staff.phone, PASSWORD, code=code, address="198.51.100.40"))


def test_below_the_threshold_the_password_alone_logs_in(post, staff, settings):
    for n in range(settings.LOGIN_STEP_UP_AFTER - 1):
        post(Client(), staff.phone, WRONG, address=f"10.3.0.{n + 1}")

    assert logged_in(post(Client(), staff.phone, PASSWORD))


def test_the_phone_is_accepted_in_local_format(post, staff):
    local = "0" + staff.phone[3:]

    assert logged_in(post(Client(), f"{local[:4]}-{local[4:8]}-{local[8:]}", PASSWORD))


def test_a_non_staff_account_is_refused_as_before(post, user):
    response = post(Client(), user.phone, PASSWORD)

    assert response.status_code == 200 and not logged_in(response)
    assert "untuk akun staf" in page(response)  # Django's own message, in Indonesian


def test_api_throttling_false_switches_the_address_limit_off(post, staff, settings):
    settings.API_THROTTLING = False
    settings.LOGIN_STEP_UP_AFTER = 30
    for _ in range(15):
        assert post(Client(), staff.phone, WRONG).status_code == 200

    assert logged_in(post(Client(), staff.phone, PASSWORD))


def test_the_login_page_shows_the_code_field(client):
    html = page(client.get("/admin/login/"))

    assert styled_login_page(html)
    assert 'name="code"' in html and "Kode SMS" in html and "Nomor HP" in html
