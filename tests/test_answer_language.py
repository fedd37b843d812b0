"""One language per answer (issue 25, API.md "General rules"): every message the API writes is in
Bahasa Indonesia without `Accept-Language` and in English with `Accept-Language: en`. Domain errors
always were; simplejwt's, the JSON parser's, 405's and the pagination's were English whatever the
request asked, and an invoice item's error said `attr: "items"` without naming the item or the field."""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from contributions.choices import InvoiceStatus
from registration.choices import EnrollmentStatus
from tests.api import client_for, first_error
from tests.factories import UserFactory, enrollment, random_mobile

API = "/api/v1"


class Context:
    """What the requests of one case need, made on demand."""

    def __init__(self, user):
        self.user = user
        self.auth = client_for(user)
        self.anon = APIClient()


def blacklisted_refresh(ctx: Context) -> str:
    token = RefreshToken.for_user(ctx.user)
    token.blacklist()
    return str(token)


def expired_refresh(ctx: Context) -> str:
    token = RefreshToken.for_user(ctx.user)
    token.set_exp(lifetime=-timedelta(minutes=1))
    return str(token)


def deleted_account_refresh(ctx: Context) -> str:
    other = UserFactory()
    token = str(RefreshToken.for_user(other))
    other.delete()
    return token


def throttled(ctx: Context, headers: dict):
    """A phone gets one code a minute (PhoneRateThrottle): the second request is throttled."""
    phone = random_mobile()
    first = ctx.anon.post(f"{API}/auth/resend-code", {"phone": phone}, format="json", **headers)
    assert first.status_code == 202, first.content
    return ctx.anon.post(f"{API}/auth/resend-code", {"phone": phone}, format="json", **headers)


def invoice(ctx: Context, headers: dict, items):
    return ctx.auth.post(f"{API}/invoices", {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="k", **headers)


def not_approved(ctx: Context, headers: dict):
    approved = enrollment(sponsor=ctx.user)
    waiting = enrollment(sponsor=ctx.user, consent=False, full_name="Siti Aminah")
    return invoice(ctx, headers, [{"worker": approved.pk, "months": 1}, {"worker": waiting.pk, "months": 1}])


@dataclass
class Case:
    name: str
    request: Callable  # (ctx, headers) -> response
    status: int
    code: str
    attr: str | None
    indonesian: str | re.Pattern
    english: str | re.Pattern


STATUSES = ", ".join(InvoiceStatus.values)
WORKER_STATUSES = ", ".join(EnrollmentStatus.values)

CASES = [
    # Authentication (DRF, simplejwt).
    Case("not-authenticated", lambda ctx, h: ctx.anon.get(f"{API}/me", **h), 401, "not_authenticated", None,
         "Data autentikasi tidak diberikan.", "Authentication credentials were not provided."),
    Case("access-token-invalid", lambda ctx, h: ctx.anon.get(f"{API}/me", HTTP_AUTHORIZATION="Bearer x.y.z", **h),
         401, "token_not_valid", None,
         "Token tidak valid untuk jenis token mana pun", "Given token not valid for any token type"),
    Case("refresh-blacklisted",
         lambda ctx, h: ctx.anon.post(f"{API}/auth/token/refresh", {"refresh": blacklisted_refresh(ctx)}, format="json", **h),
         401, "token_not_valid", None, "Token masuk daftar hitam", "Token is blacklisted"),
    Case("refresh-expired",
         lambda ctx, h: ctx.anon.post(f"{API}/auth/token/refresh", {"refresh": expired_refresh(ctx)}, format="json", **h),
         401, "token_not_valid", None, "Token sudah kedaluwarsa", "Token is expired"),
    Case("refresh-account-deleted",
         lambda ctx, h: ctx.anon.post(f"{API}/auth/token/refresh", {"refresh": deleted_account_refresh(ctx)}, format="json", **h),
         401, "token_not_valid", None, "Pengguna tidak ditemukan", "User not found"),
    # Parsing and methods.
    Case("json-malformed",
         lambda ctx, h: ctx.anon.post(f"{API}/auth/token", '{"phone": ', content_type="application/json", **h),
         400, "parse_error", None,
         "Isi permintaan bukan JSON yang valid (baris 1, kolom 11).",
         "The request body is not valid JSON (line 1, column 11)."),
    Case("json-not-utf8",
         lambda ctx, h: ctx.anon.post(f"{API}/auth/token", b'{"phone": "\xff"}', content_type="application/json", **h),
         400, "parse_error", None, "Isi permintaan bukan JSON yang valid.", "The request body is not valid JSON."),
    Case("unsupported-media-type",
         lambda ctx, h: ctx.anon.post(f"{API}/auth/token", "phone=1", content_type="text/plain", **h),
         415, "unsupported_media_type", None,
         'Jenis media "text/plain" dalam permintaan ini tidak didukung.', 'Unsupported media type "text/plain" in request.'),
    Case("method-not-allowed", lambda ctx, h: ctx.auth.delete(f"{API}/quotes", **h), 405, "method_not_allowed", None,
         'Metode "DELETE" tidak diizinkan.', 'Method "DELETE" not allowed.'),
    # Not found, pagination, filters.
    Case("object-not-found", lambda ctx, h: ctx.auth.get(f"{API}/workers/999999999", **h), 404, "not_found", None,
         "Tidak ditemukan.", "Not found."),
    Case("route-not-found", lambda ctx, h: ctx.auth.get(f"{API}/nothing-here", **h), 404, "not_found", None,
         "Tidak ditemukan.", "Not found."),
    Case("cursor-invalid", lambda ctx, h: ctx.auth.get(f"{API}/workers?cursor=zzz", **h), 404, "not_found", None,
         "Kursor halaman tidak valid.", "Invalid cursor"),
    Case("page-size-invalid", lambda ctx, h: ctx.auth.get(f"{API}/workers?page_size=0", **h), 400, "invalid", "page_size",
         "Ukuran halaman harus bilangan bulat dari 1 sampai 100.", "The page size must be a whole number from 1 to 100."),
    Case("status-filter-invalid", lambda ctx, h: ctx.auth.get(f"{API}/invoices?status=paid-ish", **h), 400,
         "invalid_choice", "status", f"Status harus salah satu dari: {STATUSES}.", f"The status must be one of: {STATUSES}."),
    Case("workers-status-filter-invalid", lambda ctx, h: ctx.auth.get(f"{API}/workers?status=approved,done", **h),
         400, "invalid_choice", "status",
         f"Filter status harus satu atau lebih dari: {WORKER_STATUSES}, dipisahkan koma.",
         f"The status filter must be one or more of: {WORKER_STATUSES}, comma-separated."),
    Case("workers-coverage-filter-invalid", lambda ctx, h: ctx.auth.get(f"{API}/workers?coverage_status=paid", **h),
         400, "invalid_choice", "coverage_status",
         "Filter coverage_status harus salah satu dari: not_started, active, arrears, lapsed.",
         "The coverage_status filter must be one of: not_started, active, arrears, lapsed."),
    # Throttling.
    Case("throttled", throttled, 429, "throttled", None,
         re.compile(r"Terlalu banyak permintaan\. Coba lagi dalam \d+ detik\."),
         re.compile(r"Too many requests\. Try again in \d+ seconds\.")),
    # Field validation (DRF).
    Case("field-required", lambda ctx, h: ctx.anon.post(f"{API}/auth/token", {"password": "x"}, format="json", **h),
         400, "required", "phone", "Bidang ini harus diisi.", "This field is required."),
    Case("field-not-a-string",
         lambda ctx, h: ctx.anon.post(f"{API}/auth/token", {"phone": "081234567890", "password": 5}, format="json", **h),
         400, "invalid", "password", "Nilai bidang ini harus berupa teks.", "Not a valid string."),
    Case("item-field-not-an-integer", lambda ctx, h: invoice(ctx, h, [{"worker": "x", "months": 1}]), 400, "invalid",
         "items.0.worker", "Nilai bidang ini harus berupa bilangan bulat.", "A valid integer is required."),
    Case("item-not-an-object", lambda ctx, h: invoice(ctx, h, [{"worker": 1, "months": 1}, 5]), 400, "invalid",
         "items.1.non_field_errors", "Data tidak valid: harus berupa objek, bukan int.",
         "Invalid data. Expected a dictionary, but got int."),
    Case("item-field-required", lambda ctx, h: invoice(ctx, h, [{"worker": 1, "months": 1}, {"worker": 2}]), 400,
         "required", "items.1.months", "Bidang ini harus diisi.", "This field is required."),
    # Domain rules on an item: they name the item and its field too.
    Case("item-months-not-allowed",
         lambda ctx, h: invoice(ctx, h, [{"worker": 1, "months": 1}, {"worker": 2, "months": 7}]), 400,
         "months_not_allowed", "items.1.months", "Jumlah bulan harus 1, 3, 6, atau 12.",
         "The number of months must be 1, 3, 6 or 12."),
    Case("item-worker-repeated",
         lambda ctx, h: invoice(ctx, h, [{"worker": 1, "months": 1}, {"worker": 2, "months": 3}, {"worker": 1, "months": 3}]),
         400, "items_invalid", "items.2.worker",
         "Daftar pekerja tidak valid: isi minimal satu pekerja, masing-masing satu kali.",
         "Invalid items: list at least one worker, each once."),
    Case("item-worker-not-approved", not_approved, 409, "worker_not_approved", "items.1.worker",
         "Siti Aminah belum disetujui, jadi belum bisa dibayar.", "Siti Aminah is not approved yet, so cannot be paid for."),
]


@pytest.fixture
def ctx(db, reference):
    return Context(UserFactory())


@pytest.mark.parametrize("language", ["default", "en"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_kind_of_error_answers_in_the_requests_language(ctx, case, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"} if language == "en" else {}
    response = case.request(ctx, headers)
    assert response.status_code == case.status, response.content
    assert first_error(response) == (case.code, case.attr), response.content
    detail = response.json()["errors"][0]["detail"]
    expected = case.english if language == "en" else case.indonesian
    if isinstance(expected, re.Pattern):
        assert expected.fullmatch(detail), detail
    else:
        assert detail == expected
    assert response["Content-Language"] == ("en" if language == "en" else "id")


@pytest.mark.parametrize("header", ["id", "id-ID", "fr", "en;q=0.1, id;q=0.9"])
def test_indonesian_is_the_answer_unless_english_is_preferred(ctx, header):
    response = ctx.anon.get(f"{API}/me", HTTP_ACCEPT_LANGUAGE=header)
    assert response.json()["errors"][0]["detail"] == "Data autentikasi tidak diberikan."


@pytest.mark.parametrize("header", ["en-US", "en-GB,en;q=0.9", "fr, en;q=0.5"])
def test_any_english_is_english(ctx, header):
    response = ctx.anon.get(f"{API}/me", HTTP_ACCEPT_LANGUAGE=header)
    assert response.json()["errors"][0]["detail"] == "Authentication credentials were not provided."
