"""One-time codes do not stay readable in the outbox (QUALITY.md, Security 15).

The provider (and the `file` and `console` development backends) gets the real text; once the message is
sent, or has failed for good, its stored body holds `******` where the code was. Until then (a retry
to come) the code stays, or the retry would send a text without it.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from notifications import services
from notifications.backends import OutgoingMessage, PermanentSendError, TransientSendError
from notifications.models import Message
from notifications.templates import CODE_KINDS, render
from tests.factories import random_mobile

pytestmark = pytest.mark.django_db

SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
SIGNUP = "/api/v1/auth/signup"


class RecordingBackend:
    """The outside provider: records the text it was given, fails as told."""

    bodies: list[str] = []
    error: Exception | None = None

    def send(self, message: OutgoingMessage) -> str:
        RecordingBackend.bodies.append(message.body)
        if RecordingBackend.error is not None:
            raise RecordingBackend.error
        return f"rec-{message.id}"


@pytest.fixture
def provider(monkeypatch):
    RecordingBackend.bodies = []
    RecordingBackend.error = None
    monkeypatch.setattr(services, "get_backend", lambda channel: RecordingBackend())
    return RecordingBackend


def otp_text(kind: str) -> str:
    return render(kind, "id", code="482913", sponsor_name="Budi Santoso", programmes="JKK, JKM").body


def code_message(kind: str = "otp_phone", **overrides) -> Message:
    fields = {"channel": "sms", "kind": kind, "to": random_mobile()}
    if "body" not in overrides:
        fields["body"] = otp_text(kind)
    return Message.objects.create(**{**fields, **overrides})


def stored_body(message: Message) -> str:
    return Message.objects.values_list("body", flat=True).get(pk=message.pk)


def test_the_code_kinds_are_the_otp_texts():
    assert CODE_KINDS == {"otp_phone", "otp_consent", "otp_login"}


@pytest.mark.parametrize("kind", ["otp_phone", "otp_consent", "otp_login"])
def test_a_sent_code_is_masked_in_the_outbox_after_the_provider_got_it(provider, kind):
    message = code_message(kind)
    assert "482913" in stored_body(message)  # waiting to be sent: the code must still be there

    services.message_send(message_id=message.pk)

    assert provider.bodies == [otp_text(kind)]
    body = stored_body(message)
    assert not SIX_DIGITS.search(body), body
    assert "******" in body
    assert Message.objects.get(pk=message.pk).status == "sent"


def test_a_permanently_failed_code_is_masked(provider):
    provider.error = PermanentSendError("number not on a mobile network")
    message = code_message()

    services.message_send(message_id=message.pk)

    assert "482913" in provider.bodies[0]
    assert Message.objects.get(pk=message.pk).status == "failed"
    assert not SIX_DIGITS.search(stored_body(message))


def test_a_code_is_kept_for_each_retry_and_masked_when_the_attempts_run_out(provider):
    provider.error = TransientSendError("gateway timeout")
    message = code_message()

    for _ in range(services.MAX_SEND_ATTEMPTS - 1):
        with pytest.raises(TransientSendError):
            services.message_send(message_id=message.pk)
        assert "482913" in stored_body(message)  # back to pending: the retry sends the real code
    services.message_send(message_id=message.pk)

    assert all("482913" in body for body in provider.bodies)
    assert len(provider.bodies) == services.MAX_SEND_ATTEMPTS
    assert Message.objects.get(pk=message.pk).status == "failed"
    assert not SIX_DIGITS.search(stored_body(message))


def test_a_stuck_code_failed_by_the_relay_is_masked(provider):
    message = code_message(status="sending", attempts=services.MAX_SEND_ATTEMPTS)
    other = code_message(kind="payment_received", body="Pembayaran INV-202612-123456 diterima.",
                         status="sending", attempts=services.MAX_SEND_ATTEMPTS)
    stuck = timezone.now() - timedelta(seconds=django_settings.CELERY_TASK_TIME_LIMIT * 2 + 5)
    Message.objects.filter(pk__in=[message.pk, other.pk]).update(updated_at=stuck)

    services.outbox_relay(min_age_seconds=0)

    assert set(Message.objects.values_list("status", flat=True)) == {"failed"}
    assert not SIX_DIGITS.search(stored_body(message))
    assert stored_body(other) == "Pembayaran INV-202612-123456 diterima."
    assert provider.bodies == []


def test_other_messages_are_kept_as_sent(provider):
    message = code_message(kind="payment_received", body="Pembayaran INV-202612-123456 sebesar Rp123.456 diterima.")

    services.message_send(message_id=message.pk)

    assert stored_body(message) == "Pembayaran INV-202612-123456 sebesar Rp123.456 diterima."


@pytest.mark.django_db(transaction=True)
def test_the_file_backend_gets_the_real_code_and_it_verifies_the_phone(api_client, notify_file):
    """The README's flow: the code is read from var/notifications.jsonl."""
    response = api_client.post(SIGNUP, {"phone": "0812-4444-5555", "full_name": "Ani Wijaya",
                                        "password": "Sertakan#2026"}, format="json")
    assert response.status_code == 201, response.content

    code = notify_file.last_code("+6281244445555")
    message = Message.objects.get(kind="otp_phone")
    assert message.status == "sent"
    assert code not in message.body and not SIX_DIGITS.search(message.body)
    verified = api_client.post("/api/v1/auth/verify-phone", {"phone": "+6281244445555", "code": code}, format="json")
    assert verified.status_code == 200, verified.content


def test_the_console_backend_prints_the_real_code(settings, capsys):
    settings.NOTIFY_SMS_BACKEND = "console"
    message = code_message()

    services.message_send(message_id=message.pk)

    assert "482913" in capsys.readouterr().err
    assert not SIX_DIGITS.search(stored_body(message))

