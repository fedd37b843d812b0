"""The OpenAPI texts of the inbox's operations (API.md "Notifications inbox"): summary, description,
examples. Applied to the views with drf-spectacular's `extend_schema_view` when the app's URLs load
(urls.py); the error examples are generated from the views' codes (core.api.openapi.error_examples)."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from core.api.openapi import answer_example
from notifications.api import views

INBOX = ["inbox"]
MESSAGE = {
    "id": 31,
    "kind": "payment_received",
    "title": "Pembayaran diterima",
    "body": "Pembayaran INV-202612-000007 sebesar Rp102.000 sudah kami terima. Siti Aminah terlindungi sampai "
    "Februari 2027.",
    "created_at": "2026-12-05T10:31:05+07:00",
    "read_at": None,
}

extend_schema_view(
    get=extend_schema(
        tags=INBOX,
        summary="The caller's inbox",
        description="The caller's messages, newest first, paginated by cursor (`next`, `previous`): payment "
        "reminders, payments received, coverage lapsed, enrollments approved, rejected or expired, "
        "sponsorships ended, consent withdrawn, autopay charged or failed (`kind`). Titles and bodies are in "
        "the account's language (PATCH /me). Unread ones have `read_at: null`.",
        examples=[answer_example(200, MESSAGE, "A page")],
    )
)(views.InboxListView)

extend_schema_view(
    post=extend_schema(
        tags=INBOX,
        summary="Mark a message read",
        description="Sets the message's `read_at` (once: reading it again keeps the first time). No body. "
        "Another account's message answers 404.",
        examples=[answer_example(200, {**MESSAGE, "read_at": "2026-12-05T11:00:00+07:00"}, "Read")],
    )
)(views.InboxReadView)
