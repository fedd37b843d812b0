"""A fake of the Google endpoints the firebase-admin SDK calls to send a push: real HTTP on 127.0.0.1.

- The OAuth 2.0 token endpoint for service accounts
  (https://developers.google.com/identity/protocols/oauth2/service-account#httprest): a form POST of
  `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and `assertion`, a JWT signed RS256 with
  the service account's private key, `iss` its e-mail, `aud` always
  `https://oauth2.googleapis.com/token` (whatever address the request goes to). It answers 200
  `{"access_token", "expires_in", "token_type": "Bearer"}`, or 400 `{"error": "invalid_grant",
  "error_description": "Invalid JWT Signature."}` for an assertion it cannot verify.
- FCM HTTP v1 send (https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send):
  `POST /v1/projects/<project>/messages:send` with the access token as bearer and `{"message": …}`;
  200 `{"name": "projects/<project>/messages/<id>"}`. Errors are shaped as
  https://firebase.google.com/docs/cloud-messaging/error-codes shows them: `{"error": {"code": <HTTP
  status>, "message", "status": <canonical code>, "details": [{"@type":
  "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": <FCM error code>}]}}`, with the
  HTTP status https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode gives each FCM code.

The service-account file points its `token_uri` here, and the test points the SDK's FCM URL here.
"""

import json
import threading
import time
import uuid
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakeserver import LocalHttpServer, QuietHandler, reply_json

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
# FCM error code: (HTTP status, canonical status, message), per the ErrorCode reference.
FCM_ERRORS = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests'."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"),
}


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def fcm_error(code: str) -> tuple[int, dict]:
    status, canonical, message = FCM_ERRORS[code]
    return status, {"error": {"code": status, "message": message, "status": canonical,
                              "details": [{"@type": FCM_ERROR, "errorCode": code}]}}


def bad_request(field: str, description: str) -> tuple[int, dict]:
    """A message the API cannot take (not the token's fault): a google.rpc.BadRequest detail."""
    return 400, {"error": {"code": 400, "message": description, "status": "INVALID_ARGUMENT", "details": [
        {"@type": "type.googleapis.com/google.rpc.BadRequest",
         "fieldViolations": [{"field": field, "description": description}]}]}}


class FakeFcm(LocalHttpServer):
    """`outcome` maps a device token to an FCM error code, `"BAD_REQUEST"` (a payload error) or
    `"NO_NAME"` (a 200 without the message name: an answer the SDK cannot read); other tokens succeed."""

    PROJECT = "bpu-sertakan-test"
    CLIENT_EMAIL = "fcm-sender@bpu-sertakan-test.iam.gserviceaccount.com"

    def __init__(self):
        self.key = new_private_key()
        self.token_requests: list[dict] = []
        self.sends: list[dict] = []
        self.outcome: dict[str, str] = {}
        self.delay = 0.0
        self._issued: set[str] = set()
        self._lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path == "/token":
                    status, body = fake.token(raw.decode())
                elif self.path == f"/v1/projects/{fake.PROJECT}/messages:send":
                    status, body = fake.send(headers, raw)
                else:
                    status, body = 404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}}
                if fake.delay:
                    time.sleep(fake.delay)
                try:
                    reply_json(self, body, status)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.serve(Handler)

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def fcm_url(self) -> str:
        """The SDK's FCM_URL template (`…/v1/projects/{0}/messages:send`), here."""
        return f"{self.base_url}/v1/projects/{{0}}/messages:send"

    def service_account(self, key: rsa.RSAPrivateKey | None = None) -> dict:
        """A service-account key file's content, as the Firebase console downloads it."""
        pem = (key or self.key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.PROJECT,
            "private_key_id": "0123456789abcdef0123456789abcdef01234567",
            "private_key": pem,
            "client_email": self.CLIENT_EMAIL,
            "client_id": "102030405060708090100",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
        }

    def token(self, form: str) -> tuple[int, dict]:
        fields = {name: values[0] for name, values in parse_qs(form).items()}
        with self._lock:
            self.token_requests.append(fields)
        if fields.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
        try:
            claims = jwt.decode(fields.get("assertion", ""), self.key.public_key(), algorithms=["RS256"],
                                audience=GOOGLE_TOKEN_AUDIENCE)
        except jwt.PyJWTError:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if claims.get("iss") != self.CLIENT_EMAIL:
            return 400, {"error": "invalid_grant", "error_description": "Invalid issuer."}
        access_token = f"ya29.fake-{uuid.uuid4().hex}"
        with self._lock:
            self._issued.add(access_token)
        return 200, {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}

    def send(self, headers: dict, raw: bytes) -> tuple[int, dict]:
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self._issued:
            return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED",
                                   "message": "Request had invalid authentication credentials."}}
        message = (json.loads(raw or b"{}").get("message")) or {}
        with self._lock:
            self.sends.append(message)
        token = message.get("token")
        if not token:
            return bad_request("message", "Recipient of the message is not set.")
        outcome = self.outcome.get(token)
        if outcome == "BAD_REQUEST":
            return bad_request("message.notification.title", "Invalid value at 'message.notification.title'")
        if outcome == "NO_NAME":
            return 200, {}
        if outcome:
            return fcm_error(outcome)
        return 200, {"name": f"projects/{self.PROJECT}/messages/0:{uuid.uuid4().int % 10**16}"}
