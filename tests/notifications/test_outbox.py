"""The outbox (QUALITY.md "Background work" 2, 3, 5; CONVENTIONS.md "Celery").

A message is a row written in the transaction that causes it, handed to Celery after commit, claimed
with a committed `sending` state before the provider is called, and relayed later if the broker was
down or the sender died.
"""

import contextlib
import json
import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from config.celery_app import app as celery_app
from notifications import backends, services
from notifications.backends import FileBackend, OutgoingMessage, PermanentSendError, TransientSendError
from notifications.models import Message
from sponsors.models import User
from tests.concurrency import run_together
from tests.factories import random_mobile

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup"


def signup_body(phone: str) -> dict:
    return {"phone": phone, "full_name": "Ani Wijaya", "password": "Sertakan#2026"}


def make_message(**overrides) -> Message:
    fields = {"channel": "sms", "kind": "otp_phone", "to": random_mobile(), "body": "Kode Anda: 123456"}
    fields.update(overrides)
    return Message.objects.create(**fields)


def age(message: Message, seconds: float) -> None:
    """Make `message` look last touched `seconds` ago (bypassing auto_now)."""
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


class FakeBackend:
    """The outside provider: fails as told, records what it was asked to send."""

    calls: list[int] = []
    error: Exception | None = None

    def send(self, message: OutgoingMessage) -> str:
        FakeBackend.calls.append(message.id)
        if FakeBackend.error is not None:
            raise FakeBackend.error
        return f"fake-{message.id}"


@pytest.fixture
def fake_backend(monkeypatch):
    """Every channel goes to FakeBackend (or to the class `use` is given)."""
    FakeBackend.calls = []
    FakeBackend.error = None
    chosen = {"cls": FakeBackend}

    def get_backend(channel: str):
        return chosen["cls"]()

    monkeypatch.setattr(backends, "get_backend", get_backend)
    monkeypatch.setattr(services, "get_backend", get_backend, raising=False)
    FakeBackend.use = staticmethod(lambda cls: chosen.update(cls=cls))
    return FakeBackend


def _reset_broker_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_down(settings, port: int = 6390):
    """Point Celery at a closed port and stop running tasks in-process (the app's conf reads Django
    settings live, so the `settings` fixture restores it); connection pools are rebuilt on both edges."""
    saved = (settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    _reset_broker_pools()
    assert celery_app.conf.task_always_eager is False
    assert celery_app.conf.broker_url.endswith(f":{port}/0")
    try:
        yield
    finally:
        settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL = saved
        _reset_broker_pools()


# --- the row is written with the change, sent after commit ----------------------------------------


def test_signup_writes_the_message_in_its_transaction_and_sends_only_after_commit(
    api_client, notify_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(SIGNUP, signup_body("0812-4444-5555"), format="json")

    assert response.status_code == 201, response.content
    message = Message.objects.get()
    assert (message.channel, message.kind, message.to, message.status) == ("sms", "otp_phone", "+6281244445555",
                                                                          "pending")
    assert message.user_id == User.objects.get(phone="+6281244445555").pk
    assert notify_file.messages() == []  # nothing leaves before the transaction commits
    assert callbacks

    for callback in callbacks:
        callback()

    message.refresh_from_db()
    assert message.status == "sent"
    assert [m["to"] for m in notify_file.messages()] == ["+6281244445555"]


def test_a_failing_outbox_write_rolls_the_signup_back(api_client, monkeypatch, notify_file):
    def broken(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "message_queue", broken)
    api_client.raise_request_exception = False

    response = api_client.post(SIGNUP, signup_body("0812-4444-5555"), format="json")

    assert response.status_code == 500
    assert not User.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_signup_code_is_sent(api_client, notify_file):
    response = api_client.post(SIGNUP, signup_body("0812-4444-5555"), format="json")

    assert response.status_code == 201, response.content
    message = Message.objects.get()
    assert (message.channel, message.kind, message.status, message.attempts) == ("sms", "otp_phone", "sent", 1)
    assert message.provider_message_id
    assert message.sent_at is not None
    assert message.last_error == ""
    [line] = notify_file.messages()
    assert line["to"] == message.to == "+6281244445555"
    [code] = re.findall(r"\b\d{6}\b", line["body"])
    assert line["body"].replace(code, "******") == message.body  # the outbox keeps no code once sent


# --- the broker is down ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_signup_succeeds_with_the_broker_down_and_the_relay_sends_later(api_client, notify_file, settings):
    with broker_down(settings):
        started = time.monotonic()
        response = api_client.post(SIGNUP, signup_body("0812-4444-5555"), format="json")
        elapsed = time.monotonic() - started

    assert response.status_code == 201, response.content
    assert elapsed < 5, f"signup took {elapsed:.1f} s with the broker down"
    message = Message.objects.get()
    assert message.status == "pending"
    assert message.attempts == 0
    assert notify_file.messages() == []

    assert celery_app.conf.task_always_eager is True
    assert services.outbox_relay(min_age_seconds=0) == 1

    message.refresh_from_db()
    assert message.status == "sent"
    assert message.sent_at is not None
    [line] = notify_file.messages()
    assert line["to"] == "+6281244445555"
    assert re.findall(r"\b\d{6}\b", line["body"])
    # The account can be verified with the relayed code.
    code = notify_file.last_code("+6281244445555")
    verified = api_client.post("/api/v1/auth/verify-phone", {"phone": "+6281244445555", "code": code}, format="json")
    assert verified.status_code == 200, verified.content


def test_relay_leaves_young_pending_messages_to_the_normal_path(notify_file):
    message = make_message()

    assert services.outbox_relay(min_age_seconds=30) == 0

    message.refresh_from_db()
    assert message.status == "pending"
    assert notify_file.messages() == []


def test_relay_does_not_send_before_not_before(notify_file):
    message = make_message(not_before=timezone.now() + timedelta(hours=1))

    assert services.outbox_relay(min_age_seconds=0) == 0
    assert services.message_send(message_id=message.pk) is None

    message.refresh_from_db()
    assert message.status == "pending"
    assert notify_file.messages() == []


# --- sending is idempotent and bounded ------------------------------------------------------------


def test_message_send_twice_sends_once(notify_file):
    message = make_message()

    first = services.message_send(message_id=message.pk)
    second = services.message_send(message_id=message.pk)

    assert first is not None and first.status == "sent"
    assert second is None
    assert len(notify_file.messages()) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_the_send_task_twice_sends_once(notify_file):
    from notifications.tasks import send_message

    message = make_message()

    send_message.apply(args=[message.pk])
    send_message.apply(args=[message.pk])

    assert len(notify_file.messages()) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_message_send_it_once(notify_file):
    message = make_message()

    run_together(lambda n: services.message_send(message_id=message.pk), 6)

    assert len(notify_file.messages()) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_relay_resets_a_message_stuck_in_sending_and_sends_it(notify_file):
    message = make_message(status="sending", attempts=1)
    age(message, django_settings.CELERY_TASK_TIME_LIMIT * 2 + 5)

    services.outbox_relay(min_age_seconds=0)

    message.refresh_from_db()
    assert message.status == "sent"
    assert message.attempts == 2
    assert len(notify_file.messages()) == 1


def test_relay_leaves_a_message_that_is_being_sent_right_now(notify_file):
    message = make_message(status="sending", attempts=1)
    age(message, 5)

    services.outbox_relay(min_age_seconds=0)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)
    assert notify_file.messages() == []


def test_relay_fails_a_stuck_message_that_used_all_its_attempts(notify_file):
    message = make_message(status="sending", attempts=services.MAX_SEND_ATTEMPTS)
    age(message, django_settings.CELERY_TASK_TIME_LIMIT * 2 + 5)

    services.outbox_relay(min_age_seconds=0)
    services.outbox_relay(min_age_seconds=0)

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == services.MAX_SEND_ATTEMPTS
    assert message.last_error
    assert notify_file.messages() == []
    assert services.message_send(message_id=message.pk) is None


def test_a_transient_error_puts_the_message_back_to_pending_and_raises(fake_backend):
    fake_backend.error = TransientSendError("gateway timeout")
    message = make_message()

    with pytest.raises(TransientSendError):
        services.message_send(message_id=message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "gateway timeout" in message.last_error
    assert message.sent_at is None

    fake_backend.error = None
    assert services.message_send(message_id=message.pk).status == "sent"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_message_id) == ("sent", 2, f"fake-{message.pk}")


def test_transient_errors_stop_after_the_attempt_cap(fake_backend):
    fake_backend.error = TransientSendError("gateway timeout")
    message = make_message()

    for _ in range(services.MAX_SEND_ATTEMPTS - 1):
        with pytest.raises(TransientSendError):
            services.message_send(message_id=message.pk)
    last = services.message_send(message_id=message.pk)  # the last attempt fails the message, no raise

    assert last.status == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", services.MAX_SEND_ATTEMPTS)
    assert services.message_send(message_id=message.pk) is None
    assert services.outbox_relay(min_age_seconds=0) == 0
    assert len(fake_backend.calls) == services.MAX_SEND_ATTEMPTS


def test_a_permanent_error_fails_the_message_without_raising(fake_backend):
    fake_backend.error = PermanentSendError("number not on a mobile network")
    message = make_message()

    result = services.message_send(message_id=message.pk)

    assert result.status == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "not on a mobile network" in message.last_error
    assert message.sent_at is None and message.provider_message_id == ""
    assert services.message_send(message_id=message.pk) is None
    assert services.outbox_relay(min_age_seconds=0) == 0
    assert fake_backend.calls == [message.pk]


@pytest.mark.django_db(transaction=True)
def test_sending_is_committed_before_the_provider_is_called(fake_backend):
    seen = {}

    def status_seen_by_another_connection(message_id: int) -> None:
        try:
            seen["status"] = Message.objects.get(pk=message_id).status
        finally:
            connection.close()

    class Spy(FakeBackend):
        def send(self, message):
            reader = threading.Thread(target=status_seen_by_another_connection, args=(message.id,))
            reader.start()
            reader.join()
            return super().send(message)

    fake_backend.use(Spy)
    message = make_message()

    services.message_send(message_id=message.pk)

    assert seen == {"status": "sending"}


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "push"])
@pytest.mark.parametrize("name", ["console", "file", "null", "http", "fcm", "sms", "twilio", "consol"])
def test_every_backend_name_the_settings_accept_exists(settings, tmp_path, channel, name):
    """A backend name that passes start-up validation must be sendable: never a start that then fails
    every message permanently (CONVENTIONS.md: settings are validated, a typo never disables a feature)."""
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.base import validate_settings

    setting = f"NOTIFY_{channel.upper()}_BACKEND"
    # Every setting, as start-up validation sees them, so a new validated setting needs no change here.
    values = {key: getattr(django_settings, key) for key in dir(django_settings) if key.isupper()}
    values.update(NOTIFY_SMS_BACKEND="null", NOTIFY_WHATSAPP_BACKEND="null", NOTIFY_PUSH_BACKEND="null")
    values[setting] = name
    try:
        validate_settings(values)
    except ImproperlyConfigured:
        return  # refused at start-up: fine
    setattr(settings, setting, name)
    settings.NOTIFY_FILE_PATH = str(tmp_path / "n.jsonl")

    assert backends.get_backend(channel) is not None


# --- the file backend -----------------------------------------------------------------------------


def test_file_backend_writes_one_json_object_per_line(tmp_path):
    path = tmp_path / "sub" / "out.jsonl"
    backend = FileBackend(str(path))

    first = backend.send(OutgoingMessage(id=1, channel="sms", kind="otp_phone", to="+6281244445555",
                                         body="Kode: 123456\nJangan dibagikan", source="message"))
    backend.send(OutgoingMessage(id=2, channel="push", kind="payment_reminder", to="device-token", body="Bayar",
                                 title="Pengingat", source="reminder"))

    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    for record in records:
        assert {"channel", "to", "body", "sent_at"} <= set(record)
        sent_at = datetime.fromisoformat(record["sent_at"])
        assert sent_at.utcoffset() is not None
        assert abs(sent_at - timezone.now()) < timedelta(minutes=1)
    assert (records[0]["channel"], records[0]["to"], records[0]["body"]) == (
        "sms", "+6281244445555", "Kode: 123456\nJangan dibagikan")
    assert (records[1]["channel"], records[1]["to"]) == ("push", "device-token")
    assert first and isinstance(first, str)


def test_concurrent_file_sends_never_interleave_lines(tmp_path):
    path = tmp_path / "out.jsonl"
    threads_count, per_thread = 8, 40
    backends_by_worker = [FileBackend(str(path)) for _ in range(threads_count)]

    def send(worker: int):
        for i in range(per_thread):
            body = f"{worker}-{i}:" + chr(ord("a") + worker) * 20_000
            backends_by_worker[worker].send(OutgoingMessage(id=worker * 1000 + i, channel="sms", kind="otp_phone",
                                                            to="+6281244445555", body=body,
                                                            source="message"))

    run_together(send, threads_count)

    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == threads_count * per_thread
    for record in records:
        worker, i = map(int, record["body"].split(":")[0].split("-"))
        assert record["body"] == f"{worker}-{i}:" + chr(ord("a") + worker) * 20_000
    assert len({record["body"][:10] for record in records}) == threads_count * per_thread


# --- task arguments -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_send_task_arguments_are_ids_only(api_client, monkeypatch):
    from notifications.tasks import send_message

    recorded = []

    def record(args=None, kwargs=None, **options):
        recorded.append({"args": args, "kwargs": kwargs, "options": options})

    monkeypatch.setattr(send_message, "apply_async", record)

    response = api_client.post(SIGNUP, signup_body("0812-4444-5555"), format="json")

    assert response.status_code == 201, response.content
    message = Message.objects.get()
    code = re.findall(r"\b\d{6}\b", message.body)[0]
    assert len(recorded) == 1
    [call] = recorded
    assert call["args"] == [message.pk] or call["args"] == (message.pk,)
    assert type(call["args"][0]) is int
    assert not call["kwargs"]
    # Nothing else that travels through Redis carries the code, the phone or the name.
    dumped = json.dumps({"kwargs": call["kwargs"], "options": call["options"]}, default=str)
    for secret in (code, "+6281244445555", "6281244445555", "81244445555", "Ani Wijaya"):
        assert secret not in dumped
    assert not re.search(r"\d{6}", dumped), dumped


# --- the relay runs on beat -----------------------------------------------------------------------


def test_beat_runs_the_relay_every_few_minutes_at_most():
    entries = [entry for entry in celery_app.conf.beat_schedule.values()
               if entry["task"] == "notifications.tasks.relay_outbox"]

    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    seconds = schedule if isinstance(schedule, (int, float)) else schedule.run_every.total_seconds()
    assert 0 < seconds <= 300


def test_the_relay_task_sends_what_the_broker_never_got(notify_file):
    from notifications.tasks import relay_outbox

    message = make_message()
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    relay_outbox.apply()

    message.refresh_from_db()
    assert message.status == "sent"
    assert len(notify_file.messages()) == 1


# --- messages written together (services.collected(), e.g. a batch of payments credited) -------------


def test_messages_written_together_are_one_insert_and_one_task_after_commit(fake_backend, django_capture_on_commit_callbacks, monkeypatch):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    published = []
    monkeypatch.setattr(services, "publish", lambda task, *, args, queue: published.append((task.name, args, queue)) or True)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with CaptureQueriesContext(connection) as queries, services.collected():
            for _ in range(3):
                services.message_queue(channel="sms", kind="otp_phone", to=random_mobile(), body="Kode Anda: 123456")
            assert not Message.objects.exists()  # written when the block ends
        assert len([q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "notifications_message"')]) == 1
        assert not published  # not before the commit
    ids = sorted(Message.objects.values_list("pk", flat=True))
    assert len(ids) == 3
    assert published == [("notifications.tasks.send_message_batch", [ids], "default")]

    class FailsFirst(FakeBackend):
        def send(self, message):
            if not FakeBackend.calls:  # the first send fails for now
                FakeBackend.calls.append(message.id)
                raise TransientSendError("gateway timeout")
            return super().send(message)

    fake_backend.use(FailsFirst)
    from notifications.tasks import send_message_batch

    assert send_message_batch.apply(args=[ids]).get() == 2
    statuses = dict(Message.objects.values_list("pk", "status"))
    assert sorted(statuses.values()) == ["pending", "sent", "sent"]  # the failed one waits for the relay
