"""The OpenAPI texts of the workers' operations (API.md "Workers", "Members", "Membership card"): summary,
description, examples, and the occupations a request may name.

Applied to the views with drf-spectacular's `extend_schema_view` when the app's URLs load (urls.py),
on top of the views' own annotations (their serializers and error codes). The error examples are
generated from those codes (core.api.openapi.error_examples), except the few written here whose text or
`attr` differs from the catalogue's default.
"""

import json
from pathlib import Path

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view

from core.api.fields import OccupationField
from core.api.openapi import answer_example, error_example, request_example, sample_params
from core.messages import message
from registration.api import views
from registration.choices import EnrollmentStatus
from registration.selectors import COVERAGE_STATUSES

REFERENCE = ["reference"]
WORKERS = ["workers"]
SPONSORSHIPS = ["sponsorships"]
DOCUMENTS = ["card-and-receipts"]
VERIFY = ["verify"]

# The occupations `seed` loads (seeds/occupations.json): the values a request may name. GET /occupations
# answers the live list, in the request's language, with each one's sector.
_OCCUPATIONS = json.loads((Path(settings.BASE_DIR) / "seeds" / "occupations.json").read_text())
extend_schema_field(
    {
        "type": "string",
        "enum": [row["code"] for row in _OCCUPATIONS],
        "description": "The occupation's code (GET /occupations; anything else is `occupation_invalid`). "
        "A driver is `private_driver`. The sector prices JKK and JKM differently.\n\n"
        + "\n".join(f"* `{row['code']}` - {row['name_en']} ({row['name_id']}), {row['sector']}" for row in _OCCUPATIONS),
    }
)(OccupationField)

sample_params(
    invalid_status=lambda: {"status": "ended"},
    sponsorship_not_open=lambda: {"status": "ended"},
)

NIK_MASKED = "************0001"
KPJ = "26031234567"
NOT_STARTED = {"status": "not_started", "paid_through": None, "next_due_date": None, "arrears_months": 0}
ACTIVE = {"status": "active", "paid_through": "2027-02", "next_due_date": "2027-03-15", "arrears_months": 0}
WORKER_REQUEST = {
    "nik": "3174014507900001",
    "full_name": "Siti Aminah",
    "birth_date": "1990-07-05",
    "phone": "0812-3456-7890",
    "occupation": "household_assistant",
    "relationship": "household_helper",
    "income_level": 1000000,
    "programmes": ["JKK", "JKM", "JHT"],
    "address": "Jl. Melati 5, Jakarta",
}
SELF_REQUEST = {
    "nik": "3174012001850002",
    "full_name": "Budi Santoso",
    "birth_date": "1985-01-20",
    "phone": "081298765432",
    "occupation": "private_driver",
    "relationship": "self",
    "income_level": 1000000,
    "programmes": ["JKK", "JKM"],
}
WORKER = {
    "id": 12,
    "full_name": "Siti Aminah",
    "nik_masked": NIK_MASKED,
    "gender": "F",
    "birth_date": "1990-07-05",
    "phone": "+6281234567890",
    "address": "Jl. Melati 5, Jakarta",
    "occupation": "household_assistant",
    "relationship": "household_helper",
    "income_level": 1000000,
    "programmes": ["JKK", "JKM", "JHT"],
    "status": "awaiting_consent",
    "kpj_number": None,
    "rejection_reason": "",
    "monthly_contribution": 36800,
    "coverage": NOT_STARTED,
    "member": None,
    "consented_at": None,
    "created_at": "2026-12-05T10:15:00+07:00",
    "ended_at": None,
    "end_reason": None,
}
APPROVED = {
    **WORKER,
    "status": "approved",
    "kpj_number": KPJ,
    "coverage": ACTIVE,
    "member": {"registered_at": "2026-12-05", "coverage_started": "2026-12", "sponsorships": 1},
    "consented_at": "2026-12-05T10:21:40+07:00",
}
SELF_WORKER = {
    **APPROVED,
    "id": 13,
    "full_name": "Budi Santoso",
    "nik_masked": "************0002",
    "gender": "M",
    "birth_date": "1985-01-20",
    "phone": "+6281298765432",
    "address": "",
    "occupation": "private_driver",
    "relationship": "self",
    "programmes": ["JKK", "JKM"],
    "monthly_contribution": 16800,
    "kpj_number": "26031234568",
    "coverage": NOT_STARTED,
    "member": {"registered_at": "2026-12-05", "coverage_started": None, "sponsorships": 1},
    "consented_at": "2026-12-05T10:15:00+07:00",
}
ENDED = {
    **APPROVED,
    "status": "ended",
    "ended_at": "2027-01-10T08:00:00+07:00",
    "end_reason": "sponsor_ended",
}
SPONSORSHIP = {
    "id": 12,
    "sponsor_name": "Budi Santoso",
    "relationship": "household_helper",
    "status": "approved",
    "kpj_number": KPJ,
    "coverage": ACTIVE,
    "created_at": "2026-12-05T10:15:00+07:00",
    "ended_at": None,
    "end_reason": None,
}
VERIFY_URL = "https://api.example.id/api/v1/verify/q4Vh0mZJ3sWc9xYb2dT6kRnAe1Lp"
CARD = {
    "kpj_number": KPJ,
    "full_name": "Siti Aminah",
    "nik_masked": NIK_MASKED,
    "birth_date": "1990-07-05",
    "programmes": ["JKK", "JKM", "JHT"],
    "occupation": "household_assistant",
    "coverage": ACTIVE,
    "member_since": "2026-12",
    "verify_url": VERIFY_URL,
    "qr_payload": VERIFY_URL,
}
STATUSES = ", ".join(EnrollmentStatus.values)
CONSENT_CODES = ["otp_invalid", "otp_expired", "otp_locked"]
CONSENT_SMS_LIMIT = error_example(
    429, "throttled", attr="phone", name="consent_sms_limit_reached",
    detail=message("consent_sms_limit_reached", "id", limit=settings.CONSENT_SMS_PER_PHONE_DAILY, retry_in="3 jam 10 menit"),
)
OWN_ONLY = "Only the caller's own workers: another account's worker answers 404."

extend_schema_view(
    get=extend_schema(
        tags=REFERENCE,
        summary="List the occupations",
        description="Public. The occupations a worker may be registered with, in the request's language, "
        "with their sector (`transport` or `non_transport`: PP 50/2025 prices them differently). Send the "
        "`code` as `occupation` (a driver is `private_driver`). A plain array, not paginated.",
        examples=[
            # drf-spectacular shows a list's example as a list of it (and a page's as a page of it).
            answer_example(200, {"code": row["code"], "name": row["name_id"], "sector": row["sector"]}, row["code"])
            for row in _OCCUPATIONS[:2]
        ],
    )
)(views.OccupationListView)

extend_schema_view(
    get=extend_schema(
        tags=WORKERS,
        summary="List the caller's workers",
        description="The caller's workers (sponsorships, and the caller's own self-enrollment), newest first, "
        "paginated by cursor (`next`, `previous`). `?status=` takes one or more enrollment statuses, "
        "comma-separated; `?coverage_status=` one coverage status. A value outside them answers 400 "
        "`invalid_choice` (attr `status` or `coverage_status`).",
        examples=[
            answer_example(200, APPROVED, "A page"),
            error_example(
                400, "invalid_choice", attr="status", name="status filter",
                detail=message("filter_choices_invalid", "id", name="status", choices=STATUSES),
            ),
            error_example(
                400, "invalid_choice", attr="coverage_status", name="coverage_status filter",
                detail=message("filter_choice_invalid", "id", name="coverage_status", choices=", ".join(COVERAGE_STATUSES)),
            ),
        ],
    ),
    post=extend_schema(
        tags=WORKERS,
        summary="Register a worker (or yourself)",
        description="Enrolls a worker in BPJS Ketenagakerjaan BPU (JKK and JKM, optionally JHT), sponsored by "
        "the caller.\n\n"
        "**A sponsored worker** (`relationship`: `household_helper`, `driver` or `other`): the answer is "
        "`awaiting_consent` and a 6-digit code goes by SMS to the **worker's** phone. The worker consents by "
        "letting the sponsor enter that code (POST /workers/{id}/consent) within `CONSENT_TTL_HOURS` "
        "(default 72); otherwise the registration becomes `expired` and the NIK is free again.\n\n"
        "**Self-registration** (`relationship: \"self\"`, at most one per account): a worker enrolls and pays "
        "for themselves. `phone` must be the account's own (verified) phone (`self_phone_mismatch` "
        "otherwise); no code is sent and there is no consent step: the answer is already `approved` with a "
        "`kpj_number` (or `pending_review` when an automated check flags it).\n\n"
        "The NIK is checked (16 digits, province, birth date, serial: `nik_invalid`), must match "
        "`birth_date` (`nik_birth_date_mismatch`; `gender` comes from it) and the person must be 17 to 64 at "
        "their first registration (`age_not_eligible`). A NIK that is already a member joins that member "
        "(same KPJ, no month billed twice) once consented; one with an open sponsorship answers 409 "
        "`nik_already_registered`. `occupation` is a code of GET /occupations (`private_driver`, not "
        "`driver`), `income_level` one of GET /income-levels. Limits: the sponsor's open enrollments (409 "
        "`sponsor_limit_reached`), `SPONSOR_DAILY_REGISTRATIONS` registrations in 24 h (429 "
        "`registration_limit_reached`, with `Retry-After`), consent codes to one phone a day (429 "
        "`throttled`, attr `phone`). The NIK is never answered in full (`nik_masked`).",
        examples=[
            request_example(WORKER_REQUEST, "A sponsored worker"),
            request_example(SELF_REQUEST, "Yourself (self-registration)"),
            answer_example(201, WORKER, "Awaiting the worker's consent"),
            answer_example(201, SELF_WORKER, "Self-registration, approved at once"),
            CONSENT_SMS_LIMIT,
        ],
    ),
)(views.WorkerListCreateView)

extend_schema_view(
    get=extend_schema(
        tags=WORKERS,
        summary="Get a worker",
        description="One of the caller's workers, with its status, KPJ number, monthly contribution and "
        "coverage (`not_started`, `active`, `arrears`: 1 to 3 unpaid months, `lapsed`). " + OWN_ONLY,
        examples=[answer_example(200, APPROVED, "Approved and paid")],
    ),
    patch=extend_schema(
        tags=WORKERS,
        summary="Change a worker",
        description="Changes any of `phone`, `occupation`, `income_level`, `programmes`, `address` of an open "
        "enrollment (409 `invalid_status` once ended, rejected or expired); the changes apply to months "
        "not yet paid. `autopay: false` leaves this worker out of the caller's automatic monthly payment. "
        "A new phone while awaiting consent sends a new consent code there (429 `throttled` when that "
        "phone had its daily number of codes). " + OWN_ONLY,
        examples=[
            request_example({"programmes": ["JKK", "JKM"], "address": "Jl. Kenanga 7, Jakarta"}),
            answer_example(
                200,
                {**APPROVED, "programmes": ["JKK", "JKM"], "address": "Jl. Kenanga 7, Jakarta", "monthly_contribution": 16800},
                "Changed",
            ),
            CONSENT_SMS_LIMIT,
        ],
    ),
)(views.WorkerDetailView)

extend_schema_view(
    post=extend_schema(
        tags=WORKERS,
        summary="Record the worker's consent",
        description="The sponsor enters the 6-digit code the worker received by SMS: the worker consents. "
        "The enrollment becomes `approved` (a KPJ number is issued, or the member's existing one is shown) "
        "or `pending_review` when automated checks flag it. Only while `awaiting_consent` (409 "
        "`invalid_status` otherwise). Codes: `otp_invalid`, `otp_expired`, `otp_locked` (5 wrong tries: send a "
        "new code). Throttled. " + OWN_ONLY,
        examples=[
            request_example({"code": "493028"}),
            answer_example(200, APPROVED | {"coverage": NOT_STARTED}, "Approved"),
        ],
    )
)(views.WorkerConsentView)

extend_schema_view(
    post=extend_schema(
        tags=WORKERS,
        summary="Send a new consent code",
        description="Sends a new consent code by SMS to the worker's phone (earlier codes stop working) while "
        "the enrollment is `awaiting_consent` (409 `invalid_status` otherwise). Throttled per client; a "
        "phone gets at most `CONSENT_SMS_PER_PHONE_DAILY` (default 3) consent codes in 24 h, from any "
        "sponsor (429 `throttled`, attr `phone`, with `Retry-After`). No body. " + OWN_ONLY,
        examples=[CONSENT_SMS_LIMIT],
    )
)(views.WorkerResendConsentCodeView)

extend_schema_view(
    post=extend_schema(
        tags=WORKERS,
        summary="End a sponsorship",
        description="Ends the sponsorship at once (`status: ended`, `end_reason: sponsor_ended`). Paid months "
        "stay covered and the member keeps the KPJ; reminders to the sponsor stop; a pending invoice that "
        "bills this worker is cancelled whole (its VA closed): bill the other workers again. The worker gets "
        "an SMS saying until which month they are covered and how to continue paying for themselves. "
        "Only an open enrollment can be ended (409 `invalid_status`). No body. " + OWN_ONLY,
        examples=[answer_example(200, ENDED, "Ended")],
    )
)(views.WorkerEndView)

extend_schema_view(
    get=extend_schema(
        tags=SPONSORSHIPS,
        summary="Who sponsors me",
        description="The worker's own view (UU PDP): the sponsorships by other accounts whose worker phone is "
        "the caller's verified phone, open and ended, newest first. `sponsor_name` is the sponsor's full "
        "name, never the sponsor's phone. A plain array, not paginated.",
        examples=[answer_example(200, SPONSORSHIP, "Sponsorships")],
    )
)(views.SponsorshipListView)

extend_schema_view(
    post=extend_schema(
        tags=SPONSORSHIPS,
        summary="Withdraw my consent",
        description="The worker ends a sponsorship of themselves: `status: ended`, `end_reason: "
        "consent_withdrawn`. The sponsor gets an inbox message and an SMS, and no more reminders; the member "
        "keeps the KPJ and every paid month, and can continue by self-registering. Only an open sponsorship "
        "(409 `sponsorship_not_open`); another person's answers 404. No body.",
        examples=[
            answer_example(
                200,
                {**SPONSORSHIP, "status": "ended", "ended_at": "2027-01-10T08:00:00+07:00", "end_reason": "consent_withdrawn"},
                "Withdrawn",
            )
        ],
    )
)(views.SponsorshipWithdrawView)

CARD_NOT_ISSUED = error_example(
    409, "worker_not_approved", name="not approved yet",
    detail=message("card_not_issued", "id", name="Siti Aminah"),
)

extend_schema_view(
    get=extend_schema(
        tags=DOCUMENTS,
        summary="The membership card (e-KTA)",
        description="What the member's card shows, and the text of its QR code (`qr_payload`, the "
        "`verify_url` anyone can open to check the card live). 409 `worker_not_approved` before the member "
        "has a KPJ. " + OWN_ONLY,
        examples=[answer_example(200, CARD, "Card"), CARD_NOT_ISSUED],
    )
)(views.WorkerCardView)

extend_schema_view(
    get=extend_schema(
        tags=DOCUMENTS,
        summary="The membership card as a PDF",
        description="The printable card (85.6 × 54 mm, credit-card size) with the name, KPJ, programmes and a "
        "QR code of `verify_url`, in the request's language. Send `Accept: application/pdf` or `*/*`; errors "
        "answer in the JSON error shape. " + OWN_ONLY,
        examples=[CARD_NOT_ISSUED],
    )
)(views.WorkerCardPdfView)

extend_schema_view(
    get=extend_schema(
        tags=DOCUMENTS,
        summary="The membership card as an image",
        description="The card as a PNG (1011 × 638 pixels, 300 dpi), for a phone's wallet or gallery. Send "
        "`Accept: image/png` or `*/*`; errors answer in the JSON error shape. " + OWN_ONLY,
        examples=[CARD_NOT_ISSUED],
    )
)(views.WorkerCardPngView)

extend_schema_view(
    get=extend_schema(
        tags=DOCUMENTS,
        summary="What the member is protected for",
        description="The member's benefits today (JKK, JKM, and JHT when chosen), computed from the member's "
        "own dates and declared income, in the request's language: fixed sums as `amount` (whole rupiah), "
        "`eligible` today or from `eligible_from` (e.g. the full JKM death benefit 3 months after "
        "`coverage_started`; the children's scholarship after 3 years). " + OWN_ONLY,
        examples=[
            answer_example(
                200,
                {"code": "jkm_death_first_months", "programme": "JKM",
                     "title": "Santunan kematian (kepesertaan di bawah 3 bulan)", "amount": 10000000,
                     "description": "Rp10.000.000 untuk ahli waris bila peserta meninggal dunia sebelum "
                     "kepesertaannya berumur 3 bulan. Santunan penuh berlaku mulai 1 Maret 2027.",
                 "eligible": True, "eligible_from": "2026-12-01"},
                "JKM in the first months",
            ),
            answer_example(
                200,
                {"code": "jkm_death", "programme": "JKM", "title": "Santunan kematian", "amount": 42000000,
                 "description": "Rp42.000.000 untuk ahli waris bila peserta meninggal dunia bukan karena "
                 "kecelakaan kerja: Rp20.000.000 santunan sekaligus, Rp12.000.000 santunan berkala, dan "
                 "Rp10.000.000 biaya pemakaman.",
                 "eligible": False, "eligible_from": "2027-03-01"},
                "JKM from the third month",
            )
        ],
    )
)(views.WorkerBenefitsView)

extend_schema_view(
    get=extend_schema(
        tags=VERIFY,
        summary="Check a membership card (public)",
        description="Public: what a card's QR code opens. Answers, computed live, whether the card is valid "
        "and the member's coverage today (a lapsed member reads `lapsed`), masked: each name part keeps its "
        "first letter, the KPJ its last 4 digits; never the NIK, the phone, the birth date or the address. "
        "An unknown, forged or altered code answers 404. A browser (`Accept: text/html`) gets the same facts "
        "as a small page (`?lang=en` for English). Throttled per client.",
        examples=[
            answer_example(
                200,
                {"valid": True, "name": "S*** A*****", "kpj_masked": "*******4567", "programmes": ["JKK", "JKM", "JHT"],
                 "coverage_status": "active", "paid_through": "2027-02", "checked_at": "2026-12-05T10:31:02+07:00"},
                "Valid card",
            )
        ],
    )
)(views.CardVerifyView)
