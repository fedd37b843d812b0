"""Channel backends: where an outgoing message physically goes.

`console` (development default) prints, `file` appends one JSON object per message to
NOTIFY_FILE_PATH (used by acceptance tests to read codes), `null` drops. Real providers (the HTTP SMS
gateway, WhatsApp, FCM) implement the same `send` and raise `TransientSendError` for what a retry can
fix, `PermanentSendError` for what it cannot.
"""

import fcntl
import json
import os
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone


class SendError(Exception):
    pass


class TransientSendError(SendError):
    """Timeouts, 5xx, rate limits: retried with backoff, a bounded number of times."""


class PermanentSendError(SendError):
    """Invalid recipient, rejected content, unregistered device: never retried."""


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    channel: str
    kind: str
    to: str
    body: str
    title: str = ""
    # Approved template name (WhatsApp sends templates only, by name).
    template: str = ""
    # The recipient's language (`id` or `en`): the language `body` is written in.
    language: str = "id"
    # The table the message is a row of: "message" (the outbox) or "reminder". Ids of the two tables
    # overlap, so the de-duplication reference a provider gets names both.
    source: str = field(kw_only=True)

    @property
    def reference(self) -> str:
        """Unique across every message we send, and the same for every attempt at one message."""
        return f"{self.source}-{self.id}"


class Backend(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Deliver the message; return the provider's message id."""


class ConsoleBackend:
    def send(self, message: OutgoingMessage) -> str:
        print(f"[{message.channel} to {message.to}] {message.body}", file=sys.stderr, flush=True)
        return f"console-{message.id}"


class NullBackend:
    def send(self, message: OutgoingMessage) -> str:
        return f"null-{message.id}"


class FileBackend:
    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.NOTIFY_FILE_PATH)

    def send(self, message: OutgoingMessage) -> str:
        provider_id = f"file-{message.id}-{uuid.uuid4().hex[:8]}"
        record = {
            "channel": message.channel,
            "to": message.to,
            "body": message.body,
            "title": message.title,
            "kind": message.kind,
            "message_id": message.id,
            "reference": message.reference,
            "provider_message_id": provider_id,
            "sent_at": timezone.now().isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return provider_id


class HttpSmsBackend:
    """A generic HTTP SMS gateway: `POST SMS_GATEWAY_URL` with a bearer token and
    `{"to", "message", "reference"}`; the answer's `id` (or `message_id`) is the provider's id.

    Timeouts, connection errors, 429 and 5xx are transient; any other refusal is permanent.
    `reference` names the row and its table (`message-12`, `reminder-12`), so a provider that
    de-duplicates on it never sends one message twice, nor drops one of two messages.
    """

    timeout = (3.05, 10)

    def send(self, message: OutgoingMessage) -> str:
        import requests

        if not settings.SMS_GATEWAY_URL:
            raise PermanentSendError("SMS_GATEWAY_URL is not set")
        try:
            response = requests.post(
                settings.SMS_GATEWAY_URL,
                json={"to": message.to, "message": message.body, "reference": message.reference},
                headers={"Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TransientSendError(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        _http_errors(response, "SMS gateway")
        try:
            data = response.json()
        except ValueError:
            data = {}
        return str(data.get("id") or data.get("message_id") or f"http-{message.id}")


def _http_errors(response, what: str) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientSendError(f"{what} answered HTTP {response.status_code}")
    if response.status_code >= 300:
        raise PermanentSendError(f"{what} refused the message: HTTP {response.status_code}")


class WhatsAppCloudBackend:
    """WhatsApp Business Platform, Cloud API: approved templates only, by name, to people who opted in.

    `POST WHATSAPP_API_URL` (`https://graph.facebook.com/<version>/<phone number id>/messages`) with
    the bearer token WHATSAPP_TOKEN and a template message
    (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages). The body text is
    the template's single body parameter; the template name is the message's `template` (e.g.
    `reminder_due_d7`), approved in the WhatsApp Business manager in both `id` and `en`; the
    template's language is the payer's (the language of the body text).

    Errors are classified by the Graph API error code in the body, as Meta asks
    (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes): throttling comes
    back as HTTP 400 with a code (130429, 131056, …), not as 429. Those codes, 429, 5xx, timeouts and
    connection errors are transient; every other refusal (unknown template, undeliverable number,
    expired token, …) is permanent.
    """

    timeout = (3.05, 10)
    # The template languages we have approved (Meta's codes: `id` Indonesian, `en` English).
    LANGUAGES = {"id": "id", "en": "en"}
    RETRYABLE_CODES = frozenset({
        1,  # API Unknown: possible server error
        2,  # API Service: temporary downtime or overload
        4,  # API Too Many Calls: the app's call rate limit
        80007,  # the WhatsApp Business Account's rate limit
        130429,  # Cloud API throughput reached
        131000,  # Something went wrong: try again
        131016,  # Service unavailable
        131048,  # Spam rate limit hit: the number's quality-based limit
        131056,  # (Business, Consumer) pair rate limit hit: wait and retry to the same number
        131057,  # Account in maintenance mode
        133004,  # Server temporarily unavailable
    })

    def send(self, message: OutgoingMessage) -> str:
        import requests

        if not settings.WHATSAPP_API_URL or not message.template:
            raise PermanentSendError("WhatsApp needs WHATSAPP_API_URL and an approved template")
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.lstrip("+"),
            "type": "template",
            "template": {
                "name": message.template,
                "language": {"code": self.LANGUAGES.get(message.language, "id")},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": message.body}]}],
            },
        }
        try:
            response = requests.post(
                settings.WHATSAPP_API_URL,
                json=payload,
                headers={"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TransientSendError(f"WhatsApp unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            code = _graph_error_code(response)
            what = f"WhatsApp answered HTTP {response.status_code}" + (f", error {code}" if code is not None else "")
            if code in self.RETRYABLE_CODES or response.status_code == 429 or response.status_code >= 500:
                raise TransientSendError(what)
            raise PermanentSendError(what)
        try:
            return str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            return f"wa-{message.reference}"


def _graph_error_code(response) -> int | None:
    """`error.code` of a Graph API error body (`{"error": {"code": 130429, "message": …}}`), if any."""
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    try:
        return int(code)
    except (TypeError, ValueError):
        return None


FCM_APP_NAME = "bpu-fcm"
_fcm_app_lock = threading.Lock()


def _fcm_app():
    """The firebase-admin app of FCM_CREDENTIALS_FILE, made once per process."""
    import firebase_admin
    from firebase_admin import credentials

    with _fcm_app_lock:
        try:
            return firebase_admin.get_app(FCM_APP_NAME)
        except ValueError:
            pass
        if not settings.FCM_CREDENTIALS_FILE:
            raise PermanentSendError("FCM_CREDENTIALS_FILE is not set")
        try:
            credential = credentials.Certificate(settings.FCM_CREDENTIALS_FILE)
        except (OSError, ValueError) as exc:
            what = type(exc).__name__
            raise PermanentSendError(f"FCM_CREDENTIALS_FILE is not a service-account file: {what}") from exc
        # The SDK waits 120 s for an answer by default: longer than a reminder batch may take.
        return firebase_admin.initialize_app(credential, {"httpTimeout": FcmBackend.timeout}, name=FCM_APP_NAME)


def _fcm_error_code(exc) -> str:
    """The FCM error code of an HTTP v1 error (`details[].errorCode` of type FcmError), if any."""
    try:
        details = exc.http_response.json()["error"]["details"]
        return next(d["errorCode"] for d in details if d.get("@type", "").endswith("google.firebase.fcm.v1.FcmError"))
    except (AttributeError, ValueError, KeyError, TypeError, StopIteration):
        return ""


def _forget_device(token: str) -> None:
    from sponsors.models import Device

    Device.objects.filter(token=token).delete()


class FcmBackend:
    """Firebase Cloud Messaging (HTTP v1) through `firebase-admin`, with the service account of
    FCM_CREDENTIALS_FILE.

    FCM's error codes (https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode):
    - UNREGISTERED, and INVALID_ARGUMENT about the token (an FcmError detail): the token is dead, so
      its device is deleted (https://firebase.google.com/docs/cloud-messaging/manage-tokens); permanent.
    - INVALID_ARGUMENT about the message (a BadRequest detail), SENDER_ID_MISMATCH,
      THIRD_PARTY_AUTH_ERROR: permanent, the device is kept (the token is not at fault).
    - UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED (and timeouts, connection errors): transient, retried
      with backoff by the caller. The SDK itself already retries 500 and 503 a few times.
    - The service account refused by Google's token endpoint (google.auth's RefreshError): transient
      when google-auth says a retry can help, permanent otherwise. Any other error of the SDK is
      transient. Either way the error stays with this one message.
    """

    timeout = 10  # seconds, per HTTP request of the SDK

    def send(self, message: OutgoingMessage) -> str:
        from firebase_admin import exceptions, messaging
        from google.auth import exceptions as auth_exceptions

        app = _fcm_app()
        push = messaging.Message(
            token=message.to, notification=messaging.Notification(title=message.title, body=message.body)
        )
        try:
            return str(messaging.send(push, app=app))
        except messaging.UnregisteredError as exc:
            _forget_device(message.to)
            raise PermanentSendError("FCM UNREGISTERED: device token removed") from exc
        except exceptions.InvalidArgumentError as exc:
            if _fcm_error_code(exc) == "INVALID_ARGUMENT":
                _forget_device(message.to)
                raise PermanentSendError("FCM INVALID_ARGUMENT (registration token): device token removed") from exc
            raise PermanentSendError("FCM INVALID_ARGUMENT (message)") from exc
        except (messaging.SenderIdMismatchError, messaging.ThirdPartyAuthError) as exc:
            raise PermanentSendError(f"FCM {_fcm_error_code(exc) or exc.code}") from exc
        except exceptions.FirebaseError as exc:
            # QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, and our own credentials or
            # permissions refused by FCM (UNAUTHENTICATED, PERMISSION_DENIED): a retry may do.
            raise TransientSendError(f"FCM {_fcm_error_code(exc) or exc.code}") from exc
        except auth_exceptions.RefreshError as exc:
            error = TransientSendError if exc.retryable else PermanentSendError
            raise error(f"FCM credentials refused by the token endpoint: {str(exc)[:120]}") from exc
        except auth_exceptions.GoogleAuthError as exc:
            raise TransientSendError(f"FCM token endpoint unreachable: {type(exc).__name__}") from exc
        except ValueError as exc:
            raise PermanentSendError(f"FCM refused the message: {type(exc).__name__}") from exc


_COMMON = {"console": ConsoleBackend, "file": FileBackend, "null": NullBackend}
BACKENDS = {
    "sms": {**_COMMON, "http": HttpSmsBackend},
    "whatsapp": {**_COMMON, "http": WhatsAppCloudBackend},
    "push": {**_COMMON, "fcm": FcmBackend},
}


def get_backend(channel: str) -> Backend:
    name = {
        "sms": settings.NOTIFY_SMS_BACKEND,
        "whatsapp": settings.NOTIFY_WHATSAPP_BACKEND,
        "push": settings.NOTIFY_PUSH_BACKEND,
    }[channel]
    try:
        return BACKENDS[channel][name]()
    except KeyError as exc:
        raise PermanentSendError(f"backend {name!r} is not available for {channel}") from exc
