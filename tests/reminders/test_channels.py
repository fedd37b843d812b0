"""The real channel backends against fake providers (notifications/backends.py).

The HTTP SMS gateway and WhatsApp Cloud are real local HTTP servers (http.server on 127.0.0.1, port 0,
in a thread); FCM is the `firebase_admin` SDK faked in sys.modules (firebase-admin is not installed).
Only the outside providers are fake: the backends, the reminder services and the database are real.
"""

import datetime
import json
import sys
import time
import types

import pytest
from django.utils import timezone

from contributions import reminders
from contributions.choices import ReminderKind
from contributions.models import Reminder
from notifications.backends import (
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


# --- FCM (the firebase_admin SDK, faked) -----------------------------------------------------------


class FakeFirebase:
    """Builds a `firebase_admin` package with the parts FcmBackend uses, and records calls."""

    def __init__(self):
        self.sent: list = []
        self.initialized_with: list = []
        self.outcome = lambda message: "projects/bpu/messages/0:1"

        package = types.ModuleType("firebase_admin")
        package.__path__ = []
        package._apps = {}
        exceptions = types.ModuleType("firebase_admin.exceptions")
        credentials = types.ModuleType("firebase_admin.credentials")
        messaging = types.ModuleType("firebase_admin.messaging")

        class FirebaseError(Exception):
            pass

        class UnavailableError(FirebaseError):
            pass

        class NotFoundError(FirebaseError):
            pass

        class PermissionDeniedError(FirebaseError):
            pass

        class UnregisteredError(NotFoundError):
            pass

        class SenderIdMismatchError(PermissionDeniedError):
            pass

        class Certificate:
            def __init__(self, path):
                self.path = path

        class Notification:
            def __init__(self, title=None, body=None):
                self.title, self.body = title, body

        class Message:
            def __init__(self, token=None, notification=None, **extra):
                self.token, self.notification = token, notification

        fake = self

        def send(message, dry_run=False):
            fake.sent.append(message)
            result = fake.outcome(message)
            if isinstance(result, Exception):
                raise result
            return result

        def initialize_app(credential=None, options=None, name="[DEFAULT]"):
            fake.initialized_with.append(credential)
            package._apps[name] = object()
            return package._apps[name]

        exceptions.FirebaseError = FirebaseError
        exceptions.UnavailableError = UnavailableError
        exceptions.NotFoundError = NotFoundError
        exceptions.PermissionDeniedError = PermissionDeniedError
        credentials.Certificate = Certificate
        messaging.Message = Message
        messaging.Notification = Notification
        messaging.UnregisteredError = UnregisteredError
        messaging.SenderIdMismatchError = SenderIdMismatchError
        messaging.send = send
        package.exceptions = exceptions
        package.credentials = credentials
        package.messaging = messaging
        package.initialize_app = initialize_app
        self.package, self.exceptions, self.messaging = package, exceptions, messaging

    def install(self, monkeypatch):
        for name, module in (
            ("firebase_admin", self.package),
            ("firebase_admin.exceptions", self.exceptions),
            ("firebase_admin.credentials", self.package.credentials),
            ("firebase_admin.messaging", self.messaging),
        ):
            monkeypatch.setitem(sys.modules, name, module)


@pytest.fixture
def firebase(monkeypatch, settings):
    fake = FakeFirebase()
    fake.install(monkeypatch)
    settings.FCM_CREDENTIALS_FILE = "/run/secrets/fcm-service-account.json"
    return fake


def push(token="tok-1"):
    return OutgoingMessage(id=7, channel="push", kind="payment_reminder", to=token, body="Iuran jatuh tempo",
                           title="Iuran jatuh tempo 7 hari lagi", source="reminder")


def test_fcm_initialises_once_with_the_credentials_file_and_sends_title_and_body(firebase):
    first = FcmBackend().send(push("tok-A"))
    second = FcmBackend().send(push("tok-B"))

    assert first == second == "projects/bpu/messages/0:1"
    [credential] = firebase.initialized_with
    assert credential.path == "/run/secrets/fcm-service-account.json"
    assert [m.token for m in firebase.sent] == ["tok-A", "tok-B"]
    assert firebase.sent[0].notification.title == "Iuran jatuh tempo 7 hari lagi"
    assert firebase.sent[0].notification.body == "Iuran jatuh tempo"


def test_fcm_without_credentials_is_permanent(firebase, settings):
    settings.FCM_CREDENTIALS_FILE = ""

    with pytest.raises(PermanentSendError):
        FcmBackend().send(push())
    assert firebase.sent == []


def test_fcm_without_the_sdk_installed_is_permanent(monkeypatch):
    monkeypatch.setitem(sys.modules, "firebase_admin", None)

    with pytest.raises(PermanentSendError):
        FcmBackend().send(push())


def test_an_unregistered_token_deletes_its_device_and_is_permanent(firebase):
    user = UserFactory()
    Device.objects.create(user=user, token="tok-gone", platform="android")
    Device.objects.create(user=user, token="tok-live", platform="ios")
    firebase.outcome = lambda message: firebase.messaging.UnregisteredError("Requested entity was not found.")

    with pytest.raises(PermanentSendError):
        FcmBackend().send(push("tok-gone"))

    assert list(Device.objects.values_list("token", flat=True)) == ["tok-live"]


@pytest.mark.parametrize("error, expected", [
    ("UnavailableError", TransientSendError),
    ("FirebaseError", TransientSendError),
    ("SenderIdMismatchError", PermanentSendError),
    ("ValueError", PermanentSendError),
])
def test_fcm_errors_keep_the_device(firebase, error, expected):
    user = UserFactory()
    Device.objects.create(user=user, token="tok-1", platform="android")
    classes = {
        "UnavailableError": firebase.exceptions.UnavailableError,
        "FirebaseError": firebase.exceptions.FirebaseError,
        "SenderIdMismatchError": firebase.messaging.SenderIdMismatchError,
        "ValueError": ValueError,
    }
    firebase.outcome = lambda message: classes[error]("no")

    with pytest.raises(expected):
        FcmBackend().send(push("tok-1"))

    assert Device.objects.filter(token="tok-1").exists()


def test_a_push_reminder_to_an_unregistered_device_fails_and_the_device_is_gone(reference, settings, firebase,
                                                                                  notify_file):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    sponsor = UserFactory()
    Device.objects.create(user=sponsor, token="tok-gone", platform="android")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 11))
    firebase.outcome = lambda message: firebase.messaging.UnregisteredError("unregistered")

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    by_channel = {r.channel: r for r in Reminder.objects.filter(enrollment=enrollment)}
    assert by_channel["push"].status == "failed"
    assert "unregistered" in by_channel["push"].last_error
    assert by_channel["sms"].status == by_channel["inbox"].status == "sent"
    assert not Device.objects.filter(user=sponsor).exists()
    # The next reminder (due in 3 days) is not planned on push any more.
    reminders.daily_pass(day=datetime.date(2026, 12, 12), respect_quiet_hours=False)
    assert set(Reminder.objects.filter(kind="due_d3").values_list("channel", flat=True)) == {"sms", "inbox"}


def test_a_push_reminder_goes_to_every_device_of_the_payer(reference, settings, firebase, notify_file):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    sponsor = UserFactory()
    Device.objects.create(user=sponsor, token="tok-phone", platform="android")
    Device.objects.create(user=sponsor, token="tok-tablet", platform="ios")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 11), full_name="Budi Santoso")

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    row = Reminder.objects.get(enrollment=enrollment, channel="push")
    assert row.status == "sent"
    assert sorted(m.token for m in firebase.sent) == ["tok-phone", "tok-tablet"]
    assert all("Budi Santoso" in m.notification.body for m in firebase.sent)


def test_a_stale_device_does_not_stop_the_push_to_the_live_one(reference, settings, firebase, notify_file):
    settings.NOTIFY_PUSH_BACKEND = "fcm"
    sponsor = UserFactory()
    Device.objects.create(user=sponsor, token="tok-old-phone", platform="android")
    Device.objects.create(user=sponsor, token="tok-new-phone", platform="android")
    enrollment = worker(sponsor=sponsor, paid_through=month(2026, 11))

    def outcome(message):
        if message.token == "tok-old-phone":
            return firebase.messaging.UnregisteredError("unregistered")
        return "projects/bpu/messages/0:2"

    firebase.outcome = outcome

    reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)

    assert list(Device.objects.filter(user=sponsor).values_list("token", flat=True)) == ["tok-new-phone"]
    assert "tok-new-phone" in [m.token for m in firebase.sent]
    assert Reminder.objects.get(enrollment=enrollment, channel="push").status == "sent"
