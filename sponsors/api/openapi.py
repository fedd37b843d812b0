"""The OpenAPI texts of the accounts' operations (API.md "Accounts"): summary, description, examples.

Applied to the views with drf-spectacular's `extend_schema_view` when the app's URLs load (urls.py),
on top of the views' own annotations (their request and response serializers and error codes). The
error examples are generated from those codes (core.api.openapi.error_examples).
"""

from django.utils import translation
from drf_spectacular.utils import extend_schema, extend_schema_view

from core.api.openapi import answer_example, error_example, request_example
from sponsors.api import views

def _indonesian(text: str) -> str:
    """simplejwt's text, as the API answers it by default."""
    with translation.override("id"):
        return translation.gettext(text)


AUTH = ["auth"]
ME = ["me"]

PHONE = "+6281234567890"
ACCESS = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6NDJ9.c2lnbmF0dXJl"
REFRESH = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInVzZXJfaWQiOjQyfQ.c2lnbmF0dXJl"
TOKENS = {"access": ACCESS, "refresh": REFRESH}
ME_ANSWER = {
    "id": 42,
    "phone": PHONE,
    "full_name": "Budi Santoso",
    "email": "budi@example.id",
    "phone_verified": True,
    "language": "id",
    "reminder_channels": ["sms", "push"],
}
SMS_NOTE = (
    "The SMS leaves through the configured notification backend; in development `NOTIFY_SMS_BACKEND=file` "
    "appends it to `NOTIFY_FILE_PATH`, the code being the message's only 6-digit number. A code expires "
    "after 5 minutes and allows 5 wrong tries."
)

extend_schema_view(
    post=extend_schema(
        tags=AUTH,
        summary="Create an account",
        description="Public. Creates an account (a sponsor, or a worker who will pay for themselves) with an "
        "unverified phone, and sends a 6-digit code to that phone by SMS; confirm it with "
        "POST /auth/verify-phone before signing in. The phone is accepted as `0812…`, `62812…` or `+62812…` "
        "(spaces and dashes allowed) and answered in E.164. Passwords follow Django's validators "
        "(`password_too_short`, `password_too_common`, `password_entirely_numeric`, `password_too_similar`). "
        "Signing up again with a number whose account is not verified yet replaces that account's name and "
        "password and sends a new code: an unverified account does not hold its number. " + SMS_NOTE + " "
        "Throttled per client and per phone.",
        examples=[
            request_example(
                {"phone": "0812-3456-7890", "full_name": "Budi Santoso", "password": "kopi-susu-2026",
                 "email": "budi@example.id"}
            ),
            answer_example(
                201, {"id": 42, "phone": PHONE, "full_name": "Budi Santoso", "phone_verified": False}, "Created"
            ),
        ],
    )
)(views.SignupView)

extend_schema_view(
    post=extend_schema(
        tags=AUTH,
        summary="Verify the account's phone",
        description="Public. Confirms the phone of a new account with the code sent by SMS at signup (or by "
        "POST /auth/resend-code). Afterwards the account can sign in. Codes: `otp_invalid` (wrong code), "
        "`otp_expired` (older than 5 minutes), `otp_locked` (5 wrong tries: ask for a new code). Throttled.",
        examples=[
            request_example({"phone": "081234567890", "code": "493028"}),
            answer_example(200, {"phone_verified": True}, "Verified"),
        ],
    )
)(views.VerifyPhoneView)

extend_schema_view(
    post=extend_schema(
        tags=AUTH,
        summary="Send a new sign-up code",
        description="Public. Sends a new 6-digit code by SMS to the phone of an unverified account; earlier "
        "codes stop working. Answers 202 whether or not the phone has an account, so it tells nobody which "
        "numbers are registered. " + SMS_NOTE + " Throttled per client and per phone (one code a minute).",
        examples=[request_example({"phone": "081234567890"})],
    )
)(views.ResendCodeView)

extend_schema_view(
    post=extend_schema(
        tags=AUTH,
        summary="Sign in (get tokens)",
        description="Public. Exchanges phone and password for a JWT pair: send `Authorization: Bearer <access>` "
        "with every other request; the access token lives 15 minutes, the refresh token 30 days. 401 "
        "`invalid_credentials` on a wrong phone or password; 403 `phone_not_verified` before the phone is "
        "verified. Failures never lock the owner out: after repeated failures on one account "
        "(`LOGIN_STEP_UP_AFTER`, default 5 within an hour) the right password answers 401 `otp_required` and a "
        "code goes to the account's phone by SMS; the same request with `code` then succeeds. Throttled per "
        "client.",
        examples=[
            request_example({"phone": "081234567890", "password": "kopi-susu-2026"}, "Phone and password"),
            request_example(
                {"phone": "081234567890", "password": "kopi-susu-2026", "code": "493028"},
                "With the code (after otp_required)",
            ),
            answer_example(200, TOKENS, "Tokens"),
        ],
    )
)(views.TokenView)

extend_schema_view(
    post=extend_schema(
        tags=AUTH,
        summary="Renew the tokens",
        description="Public. Exchanges a refresh token for a new pair. Refresh tokens rotate: the answer holds "
        "a new refresh token and the one sent is dead (401 `token_not_valid` if used again); of concurrent "
        "refreshes with one token exactly one succeeds. Throttled.",
        examples=[
            request_example({"refresh": REFRESH}),
            answer_example(200, TOKENS, "Tokens"),
            *(error_example(401, "token_not_valid", name=name, detail=_indonesian(text)) for name, text in (
                ("used", "Token is blacklisted"), ("expired", "Token is expired"))),
        ],
    )
)(views.TokenRefreshView)

extend_schema_view(
    post=extend_schema(
        tags=AUTH,
        summary="Sign out",
        description="Kills the caller's refresh token (it can no longer be refreshed); the access token "
        "expires on its own within minutes. A token that is not the caller's, or already dead, answers 400 "
        "`token_not_valid`.",
        examples=[request_example({"refresh": REFRESH})],
    )
)(views.LogoutView)

extend_schema_view(
    get=extend_schema(
        tags=ME,
        summary="The caller's account",
        description="The signed-in account: its phone (E.164), name, e-mail, the language of its messages and "
        "the channels its payment reminders use.",
        examples=[answer_example(200, ME_ANSWER, "Account")],
    ),
    patch=extend_schema(
        tags=ME,
        summary="Change the caller's account",
        description="Changes any of `full_name`, `email`, `language` (of SMS, WhatsApp and push messages: "
        "`id` or `en`) and `reminder_channels` (a subset of `sms`, `whatsapp`, `push`, each at most once; "
        "`reminder_channels_invalid` otherwise). The phone cannot be changed. Answers the whole account.",
        examples=[
            request_example({"language": "en", "reminder_channels": ["whatsapp", "push"]}),
            answer_example(200, {**ME_ANSWER, "language": "en", "reminder_channels": ["whatsapp", "push"]}, "Account"),
        ],
    ),
)(views.MeView)

extend_schema_view(
    post=extend_schema(
        tags=ME,
        summary="Register a device for push",
        description="Registers the app's push token (Firebase Cloud Messaging) for the caller, so reminders "
        "and inbox messages can reach the phone when `push` is among the reminder channels. Registering a "
        "known token again moves it to the caller.",
        examples=[
            request_example({"token": "fcm-registration-token-from-the-app", "platform": "android"}),
            answer_example(
                201,
                {"id": 7, "token": "fcm-registration-token-from-the-app", "platform": "android",
                 "created_at": "2026-12-05T10:15:00+07:00"},
                "Registered",
            ),
        ],
    )
)(views.DeviceView)
