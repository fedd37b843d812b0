"""The real channel backends against fake providers (notifications/backends.py).

The HTTP SMS gateway, WhatsApp Cloud and FCM (with Google's token endpoint) are real local HTTP
servers (http.server on 127.0.0.1, port 0, in a thread); FCM is reached through the real
firebase-admin SDK, pointed at loopback. Only the outside providers are fake: the backends, the SDK,
the reminder services and the database are real.
"""

import datetime
import json
import re
import time

import pytest
from django.utils import timezone

from contributions import reminders
from contributions.choices import ReminderKind
from contributions.models import Reminder
from notifications.backends import (
    FCM_APP_NAME,
    FcmBackend,
    HttpSmsBackend,
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
    WhatsAppCloudBackend,
)
from notifications import services as notification_services
from notifications.models import Message
from sponsors.models import Device
from tests.factories import UserFactory
from tests.reminders.helpers import month, worker
from tests.fakes.fcm import FakeFcm, new_private_key
from tests.fakes.whatsapp import FakeWhatsAppCloud
from tests.fakeserver import LocalHttpServer, QuietHandler, reply_json

pytestmark = pytest.mark.django_db

PHONE = "+6281234567890"


class FakeProvider(LocalHttpServer):
    """A local HTTP server that records each request and answers what `reply` says."""

    def __init__(self):
        self.requests: list[dict] = []
        self.reply = lambda request: (200, {"id": "provider-1"}, 0.0)
        provider = self

        class Handler(QuietHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                request = {
                    "method": "POST",
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(raw) if raw else None,
                }
                provider.requests.append(request)
                status, body, delay = provider.reply(request)
                if delay:
                    time.sleep(delay)
                try:
                    reply_json(self, body, status)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.serve(Handler)

    @property
    def url(self) -> str:
        return self.base_url



@pytest.fixture
def sms_gateway(settings):
    with FakeProvider() as provider:
        settings.SMS_GATEWAY_URL = provider.url + "/v1/messages"
        settings.SMS_GATEWAY_TOKEN = "sms-token-123"
        yield provider


REMINDER_TEMPLATES = {f"reminder_{kind}" for kind in ReminderKind.values}


@pytest.fixture
def whatsapp_api(settings):
    approved = {(name, language) for name in REMINDER_TEMPLATES for language in ("id", "en")}
    with FakeWhatsAppCloud(token="wa-token-456", approved=approved) as api:
        settings.WHATSAPP_API_URL = api.url
        settings.WHATSAPP_TOKEN = "wa-token-456"
        yield api


def sms(body="Iuran Siti bulan Desember 2026 sebesar Rp28.400 jatuh tempo 15-12-2026.", **overrides):
    fields = {"id": 42, "channel": "sms", "kind": "payment_reminder", "to": PHONE, "body": body, "source": "message"}
    fields.update(overrides)
    return OutgoingMessage(**fields)


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the HTTP SMS gateway --------------------------------------------------------------------------


def test_http_sms_posts_to_message_and_reference_with_the_bearer_token(sms_gateway):
    sms_gateway.reply = lambda request: (200, {"id": "gw-778899"}, 0)

    provider_id = HttpSmsBackend().send(sms())

    assert provider_id == "gw-778899"
    [request] = sms_gateway.requests
    assert request["path"] == "/v1/messages"
    assert request["headers"]["authorization"] == "Bearer sms-token-123"
    assert request["headers"]["content-type"].startswith("application/json")
    assert request["json"] == {
        "to": PHONE,
        "message": "Iuran Siti bulan Desember 2026 sebesar Rp28.400 jatuh tempo 15-12-2026.",
        "reference": "message-42",
    }


def test_http_sms_also_reads_message_id(sms_gateway):
    sms_gateway.reply = lambda request: (200, {"message_id": "m-1"}, 0)

    assert HttpSmsBackend().send(sms()) == "m-1"


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_http_sms_server_errors_and_rate_limits_are_transient(sms_gateway, status):
    sms_gateway.reply = lambda request: (status, {"error": "try later"}, 0)

    with pytest.raises(TransientSendError):
        HttpSmsBackend().send(sms())


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_http_sms_refusals_are_permanent(sms_gateway, status):
    sms_gateway.reply = lambda request: (status, {"error": "invalid destination"}, 0)

    with pytest.raises(PermanentSendError):
        HttpSmsBackend().send(sms())


def test_http_sms_timeout_is_transient_and_does_not_hang(sms_gateway, monkeypatch):
    monkeypatch.setattr(HttpSmsBackend, "timeout", (1.0, 0.5))
    sms_gateway.reply = lambda request: (200, {"id": "too-late"}, 2.0)

    started = time.monotonic()
    with pytest.raises(TransientSendError):
        HttpSmsBackend().send(sms())

    assert time.monotonic() - started < 2.0
    assert len(sms_gateway.requests) == 1


def test_http_sms_has_bounded_timeouts():
    connect, read = HttpSmsBackend.timeout
    assert 0 < connect <= 10 and 0 < read <= 30
    connect, read = WhatsAppCloudBackend.timeout
    assert 0 < connect <= 10 and 0 < read <= 30


def test_http_sms_unreachable_gateway_is_transient(settings):
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{closed_port()}/v1/messages"

    with pytest.raises(TransientSendError):
        HttpSmsBackend().send(sms())


def test_http_sms_without_a_url_is_permanent(settings):
    settings.SMS_GATEWAY_URL = ""

    with pytest.raises(PermanentSendError):
        HttpSmsBackend().send(sms())


def test_a_reminder_through_the_http_gateway_uses_its_row_as_reference(reference, settings, sms_gateway):
    settings.NOTIFY_SMS_BACKEND = "http"
    sms_gateway.reply = lambda request: (200, {"id": f"gw-{request['json']['reference']}"}, 0)
    enrollment = worker(paid_through=month(2026, 11), full_name="Budi Santoso")

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    row = Reminder.objects.get(enrollment=enrollment, channel="sms")
    [request] = sms_gateway.requests
    assert request["json"]["reference"] == f"reminder-{row.pk}"
    assert request["json"]["to"] == enrollment.sponsor.phone
    assert "Budi Santoso" in request["json"]["message"]
    assert (row.status, row.provider_message_id) == ("sent", f"gw-reminder-{row.pk}")


def test_a_reminder_and_an_outbox_message_with_the_same_id_have_different_references(reference, settings,
                                                                                      sms_gateway):
    """The two tables' ids overlap: a gateway de-duplicating on `reference` must not drop either SMS."""
    settings.NOTIFY_SMS_BACKEND = "http"
    enrollment = worker(paid_through=month(2026, 11))
    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)
    row = Reminder.objects.get(enrollment=enrollment, channel="sms")
    Message.objects.filter(pk=row.pk).delete()
    message = Message.objects.create(pk=row.pk, channel="sms", kind="otp_phone", to=PHONE, body="Kode: 123456")

    notification_services.message_send(message_id=message.pk)

    references = [request["json"]["reference"] for request in sms_gateway.requests]
    assert references == [f"reminder-{row.pk}", f"message-{row.pk}"]
    assert Message.objects.get(pk=message.pk).status == "sent"


@pytest.mark.parametrize("status, outcome", [(503, "planned"), (429, "planned"), (400, "failed")])
def test_a_reminder_through_the_http_gateway_records_its_errors(reference, settings, sms_gateway, status, outcome):
    settings.NOTIFY_SMS_BACKEND = "http"
    sms_gateway.reply = lambda request: (status, {"error": "no"}, 0)
    enrollment = worker(paid_through=month(2026, 11))

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    row = Reminder.objects.get(enrollment=enrollment, channel="sms")
    assert (row.status, row.attempts) == (outcome, 1)
    assert str(status) in row.last_error
    assert (row.not_before is not None) == (outcome == "planned")


# --- WhatsApp Cloud (tests/fakes/whatsapp.py answers as Meta documents) ----------------------------


def test_whatsapp_sends_the_approved_template_with_the_text_as_its_body_parameter(whatsapp_api):
    message = sms(channel="whatsapp", template="reminder_due_d7")

    provider_id = WhatsAppCloudBackend().send(message)

    [request] = whatsapp_api.requests
    assert provider_id.startswith("wamid.")
    assert request["path"] == f"/v21.0/{FakeWhatsAppCloud.PHONE_NUMBER_ID}/messages"
    assert request["headers"]["authorization"] == "Bearer wa-token-456"
    body = request["json"]
    assert body["messaging_product"] == "whatsapp"
    assert body["to"] == PHONE.lstrip("+")
    assert body["type"] == "template"
    assert body["template"]["name"] == "reminder_due_d7"
    assert body["template"]["language"] == {"code": "id"}
    assert body["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": message.body}]}
    ]


def test_whatsapp_template_language_follows_the_message(whatsapp_api):
    WhatsAppCloudBackend().send(sms(channel="whatsapp", template="reminder_due_d7", language="en",
                                    body="Siti's contribution for December 2026 is due on 15-12-2026."))

    assert whatsapp_api.requests[0]["json"]["template"]["language"] == {"code": "en"}


@pytest.mark.parametrize("code", [4, 80007, 130429, 131048, 131056, 131000, 131016])
def test_whatsapp_throttling_and_outages_are_transient_whatever_the_http_status(whatsapp_api, code):
    """Meta answers throttling with HTTP 400 and an error code in the body, not with 429."""
    whatsapp_api.fail = [code]

    with pytest.raises(TransientSendError, match=str(code)):
        WhatsAppCloudBackend().send(sms(channel="whatsapp", template="reminder_due_d7"))


@pytest.mark.parametrize("code", [131026, 131009, 132001, 132000, 190])
def test_whatsapp_refusals_are_permanent(whatsapp_api, code):
    whatsapp_api.fail = [code]

    with pytest.raises(PermanentSendError, match=str(code)):
        WhatsAppCloudBackend().send(sms(channel="whatsapp", template="reminder_due_d7"))


def test_whatsapp_template_not_approved_in_that_language_is_permanent(whatsapp_api):
    whatsapp_api.approved = {("reminder_due_d7", "id")}

    with pytest.raises(PermanentSendError, match="132001"):
        WhatsAppCloudBackend().send(sms(channel="whatsapp", template="reminder_due_d7", language="en"))


def test_whatsapp_wrong_token_is_permanent(whatsapp_api, settings):
    settings.WHATSAPP_TOKEN = "expired"

    with pytest.raises(PermanentSendError, match="190"):
        WhatsAppCloudBackend().send(sms(channel="whatsapp", template="reminder_due_d7"))


@pytest.mark.parametrize("status, error", [(502, TransientSendError), (429, TransientSendError),
                                           (403, PermanentSendError)])
def test_whatsapp_answers_without_a_graph_error_go_by_http_status(settings, status, error):
    """A proxy in front of Graph can answer without an error code: then the HTTP status decides."""
    with FakeProvider() as provider:
        provider.reply = lambda request: (status, {"message": "no"}, 0)
        settings.WHATSAPP_API_URL = provider.url + "/v21.0/1/messages"
        with pytest.raises(error):
            WhatsAppCloudBackend().send(sms(channel="whatsapp", template="reminder_due_d7"))


def test_whatsapp_without_a_template_is_refused_before_any_request(whatsapp_api):
    with pytest.raises(PermanentSendError):
        WhatsAppCloudBackend().send(sms(channel="whatsapp", template=""))

    assert whatsapp_api.requests == []


def test_whatsapp_timeout_is_transient(whatsapp_api, monkeypatch):
    monkeypatch.setattr(WhatsAppCloudBackend, "timeout", (1.0, 0.5))
    whatsapp_api.delay = 2.0

    with pytest.raises(TransientSendError):
        WhatsAppCloudBackend().send(sms(channel="whatsapp", template="reminder_due_d7"))


def whatsapp_payer(language="id"):
    sponsor = UserFactory(remind_by_sms=False, remind_by_whatsapp=True, whatsapp_opt_in_at=timezone.now(),
                          language=language)
    return sponsor


def test_a_whatsapp_reminder_uses_the_template_of_its_kind(reference, settings, whatsapp_api):
    settings.NOTIFY_WHATSAPP_BACKEND = "http"
    settings.NOTIFY_SMS_BACKEND = "null"
    sponsor = whatsapp_payer()
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 10), full_name="Budi Santoso")

    reminders.daily_pass(day=datetime.date(2026, 12, 9), respect_quiet_hours=False)

    row = Reminder.objects.get(enrollment=enrollment, channel="whatsapp")
    [request] = whatsapp_api.requests
    assert request["json"]["to"] == sponsor.phone.lstrip("+")
    assert request["json"]["template"]["name"] == "reminder_arrears_monthly"
    assert request["json"]["template"]["language"] == {"code": "id"}
    text = request["json"]["template"]["components"][0]["parameters"][0]["text"]
    assert "Budi Santoso" in text and "November 2026" in text
    assert row.status == "sent" and row.provider_message_id.startswith("wamid.")


def test_a_whatsapp_reminder_to_an_english_speaking_payer_uses_the_english_template(reference, settings,
                                                                                   whatsapp_api):
    settings.NOTIFY_WHATSAPP_BACKEND = "http"
    settings.NOTIFY_SMS_BACKEND = "null"
    sponsor = whatsapp_payer(language="en")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 10), full_name="Budi Santoso")

    reminders.daily_pass(day=datetime.date(2026, 12, 9), respect_quiet_hours=False)

    [request] = whatsapp_api.requests
    assert request["json"]["template"]["language"] == {"code": "en"}
    text = request["json"]["template"]["components"][0]["parameters"][0]["text"]
    assert "November 2026" in text and "Budi Santoso" in text
    assert Reminder.objects.get(enrollment=enrollment, channel="whatsapp").status == "sent"


def test_a_throttled_whatsapp_reminder_is_retried_later_not_failed(reference, settings, whatsapp_api):
    settings.NOTIFY_WHATSAPP_BACKEND = "http"
    settings.NOTIFY_SMS_BACKEND = "null"
    enrollment = worker(sponsor=whatsapp_payer(), paid_through=month(2026, 10))
    whatsapp_api.fail = [130429]

    reminders.daily_pass(day=datetime.date(2026, 12, 9), respect_quiet_hours=False)

    row = Reminder.objects.get(enrollment=enrollment, channel="whatsapp")
    assert (row.status, row.attempts) == ("planned", 1)
    assert "130429" in row.last_error
    assert row.not_before is not None and row.not_before > timezone.now()


# --- FCM (the real firebase-admin SDK against tests/fakes/fcm.py) --------------------------------


@pytest.fixture
def fcm(settings, tmp_path, monkeypatch):
    """The SDK, unchanged, with its two Google endpoints on loopback: the service-account file's
    `token_uri` points at the fake's token endpoint, and the SDK's FCM URL at the fake's send."""
    from firebase_admin import messaging

    drop_fcm_app()
    with FakeFcm() as fake:
        monkeypatch.setattr(messaging._MessagingService, "FCM_URL", fake.fcm_url)
        path = tmp_path / "fcm-service-account.json"
        path.write_text(json.dumps(fake.service_account()))
        settings.FCM_CREDENTIALS_FILE = str(path)
        yield fake
        drop_fcm_app()


def drop_fcm_app():
    import firebase_admin

    try:
        firebase_admin.delete_app(firebase_admin.get_app(FCM_APP_NAME))
    except ValueError:
        pass


def push(token="tok-1"):
    return OutgoingMessage(id=7, channel="push", kind="payment_reminder", to=token, body="Iuran jatuh tempo",
                           title="Iuran jatuh tempo 7 hari lagi", source="reminder")


def test_fcm_signs_in_with_the_service_account_and_sends_title_and_body(fcm):
    first = FcmBackend().send(push("tok-A"))
    second = FcmBackend().send(push("tok-B"))

    assert first.startswith(f"projects/{FakeFcm.PROJECT}/messages/") and second != first
    [token_request] = fcm.token_requests  # one access token, reused
    assert token_request["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert [m["token"] for m in fcm.sends] == ["tok-A", "tok-B"]
    assert fcm.sends[0]["notification"] == {"title": "Iuran jatuh tempo 7 hari lagi", "body": "Iuran jatuh tempo"}


def test_fcm_without_credentials_is_permanent(fcm, settings):
    settings.FCM_CREDENTIALS_FILE = ""

    with pytest.raises(PermanentSendError, match="FCM_CREDENTIALS_FILE"):
        FcmBackend().send(push())
    assert fcm.sends == []


def test_fcm_with_an_unreadable_credentials_file_is_permanent(fcm, settings, tmp_path):
    settings.FCM_CREDENTIALS_FILE = str(tmp_path / "missing.json")

    with pytest.raises(PermanentSendError, match="FCM_CREDENTIALS_FILE"):
        FcmBackend().send(push())
    assert fcm.sends == []


@pytest.mark.parametrize("outcome, error, device_removed", [
    ("UNREGISTERED", PermanentSendError, True),
    ("INVALID_ARGUMENT", PermanentSendError, True),  # the token is malformed
    ("BAD_REQUEST", PermanentSendError, False),  # INVALID_ARGUMENT about our message: not the token's fault
    ("SENDER_ID_MISMATCH", PermanentSendError, False),
    ("THIRD_PARTY_AUTH_ERROR", PermanentSendError, False),
    ("QUOTA_EXCEEDED", TransientSendError, False),
    ("UNAVAILABLE", TransientSendError, False),
    ("INTERNAL", TransientSendError, False),
])
def test_fcm_error_codes(fcm, outcome, error, device_removed):
    user = UserFactory()
    Device.objects.create(user=user, token="tok-1", platform="android")
    Device.objects.create(user=user, token="tok-2", platform="ios")
    fcm.outcome["tok-1"] = outcome

    with pytest.raises(error) as raised:
        FcmBackend().send(push("tok-1"))

    assert ("INVALID_ARGUMENT" if outcome == "BAD_REQUEST" else outcome) in str(raised.value)
    assert Device.objects.filter(token="tok-1").exists() is not device_removed
    assert Device.objects.filter(token="tok-2").exists()


def test_fcm_service_account_refused_by_the_token_endpoint_is_contained(fcm, tmp_path, settings):
    """A revoked or wrong key: google-auth raises RefreshError, which the SDK does not wrap."""
    path = tmp_path / "revoked.json"
    path.write_text(json.dumps(fcm.service_account(key=new_private_key())))
    settings.FCM_CREDENTIALS_FILE = str(path)

    with pytest.raises(PermanentSendError, match="credentials refused"):
        FcmBackend().send(push())

    assert len(fcm.token_requests) == 1 and fcm.sends == []


def test_fcm_timeout_is_transient(fcm, monkeypatch):
    monkeypatch.setattr(FcmBackend, "timeout", 0.5)
    drop_fcm_app()  # the timeout is an option of the SDK app
    FcmBackend().send(push())  # signed in
    fcm.delay = 1.5

    started = time.monotonic()
    with pytest.raises(TransientSendError):
        FcmBackend().send(push())
    assert time.monotonic() - started < 5


def test_fcm_has_a_bounded_timeout():
    assert 0 < FcmBackend.timeout <= 30


def push_payer(*tokens):
    sponsor = UserFactory(remind_by_sms=True, remind_by_push=True)
    for token in tokens:
        Device.objects.create(user=sponsor, token=token, platform="android")
    return sponsor


def test_a_push_reminder_to_an_unregistered_device_fails_and_the_device_is_gone(reference, settings, fcm,
                                                                                  notify_file):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    sponsor = push_payer("tok-gone")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 11))
    fcm.outcome["tok-gone"] = "UNREGISTERED"

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    by_channel = {r.channel: r for r in Reminder.objects.filter(enrollment=enrollment)}
    assert by_channel["push"].status == "failed"
    assert "UNREGISTERED" in by_channel["push"].last_error
    assert by_channel["sms"].status == by_channel["inbox"].status == "sent"
    assert not Device.objects.filter(user=sponsor).exists()
    # The next reminder (due in 3 days) is not planned on push any more.
    reminders.daily_pass(day=datetime.date(2026, 12, 12), respect_quiet_hours=False)
    assert set(Reminder.objects.filter(kind="due_d3").values_list("channel", flat=True)) == {"sms", "inbox"}


def test_a_push_reminder_to_a_malformed_token_fails_at_once_and_the_device_is_gone(reference, settings, fcm,
                                                                                     notify_file):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    sponsor = push_payer("not-a-token")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 11))
    fcm.outcome["not-a-token"] = "INVALID_ARGUMENT"

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    row = Reminder.objects.get(enrollment=enrollment, channel="push")
    assert (row.status, row.attempts, row.not_before) == ("failed", 1, None)
    assert not Device.objects.filter(user=sponsor).exists()


def test_a_push_reminder_goes_to_every_device_of_the_payer(reference, settings, fcm, notify_file):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    sponsor = push_payer("tok-phone", "tok-tablet")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 11), full_name="Budi Santoso")

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    row = Reminder.objects.get(enrollment=enrollment, channel="push")
    assert row.status == "sent"
    assert sorted(m["token"] for m in fcm.sends) == ["tok-phone", "tok-tablet"]
    assert all("Budi Santoso" in m["notification"]["body"] for m in fcm.sends)


def test_a_stale_device_does_not_stop_the_push_to_the_live_one(reference, settings, fcm, notify_file):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    sponsor = push_payer("tok-old-phone", "tok-new-phone")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 11))
    fcm.outcome["tok-old-phone"] = "UNREGISTERED"

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    assert list(Device.objects.filter(user=sponsor).values_list("token", flat=True)) == ["tok-new-phone"]
    assert "tok-new-phone" in [m["token"] for m in fcm.sends]
    assert Reminder.objects.get(enrollment=enrollment, channel="push").status == "sent"


def test_a_refused_service_account_fails_the_push_rows_and_the_batch_goes_on(reference, settings, fcm,
                                                                              notify_file, tmp_path):
    """The whole batch is sent: each push row fails on its own, nothing is left in `sending`."""
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    path = tmp_path / "revoked.json"
    path.write_text(json.dumps(fcm.service_account(key=new_private_key())))
    settings.FCM_CREDENTIALS_FILE = str(path)
    made = [worker(sponsor=push_payer(f"tok-{i}"), paid_through=month(2026, 11)) for i in range(3)]

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    rows = Reminder.objects.filter(enrollment__in=made)
    assert not rows.filter(status__in=["sending", "queued"]).exists()
    push_rows = rows.filter(channel="push")
    assert push_rows.count() == 3
    assert set(push_rows.values_list("status", flat=True)) == {"failed"}
    assert all("credentials refused" in error for error in push_rows.values_list("last_error", flat=True))
    assert set(rows.exclude(channel="push").values_list("status", flat=True)) == {"sent"}
    assert Device.objects.count() == 3  # our credentials are at fault, not the devices


def test_an_answer_the_sdk_cannot_read_is_retried_later_and_the_batch_goes_on(reference, settings, fcm,
                                                                              notify_file):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    odd = worker(sponsor=push_payer("tok-odd"), paid_through=month(2026, 11))
    fine = worker(sponsor=push_payer("tok-fine"), paid_through=month(2026, 11))
    fcm.outcome["tok-odd"] = "NO_NAME"  # 200 without the message name: the SDK raises KeyError

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    odd_push = Reminder.objects.get(enrollment=odd, channel="push")
    assert (odd_push.status, odd_push.attempts) == ("planned", 1)
    assert odd_push.not_before > timezone.now() and "KeyError" in odd_push.last_error
    assert Reminder.objects.get(enrollment=fine, channel="push").status == "sent"
    assert not Reminder.objects.filter(status="sending").exists()


def test_an_outbox_push_with_an_answer_the_sdk_cannot_read_goes_back_to_pending(settings, fcm):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    fcm.outcome["tok-odd"] = "NO_NAME"
    message = Message.objects.create(channel="push", kind="payment_reminder", to="tok-odd", body="Bayar")

    with pytest.raises(TransientSendError):
        notification_services.message_send(message_id=message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "KeyError" in message.last_error


def test_firebase_admin_is_a_pinned_runtime_requirement():
    from pathlib import Path

    runtime = (Path(__file__).resolve().parents[2] / "requirements.txt").read_text()
    assert re.search(r"^firebase-admin==\d+\.\d+\.\d+$", runtime, re.M), "firebase-admin must be pinned for runtime"
