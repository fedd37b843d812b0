"""A fake WhatsApp Cloud API messages endpoint: a real HTTP server on 127.0.0.1, in a thread.

It answers as Meta documents:
- the request and the 200 answer: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
  (`{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}`);
- errors: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes, a Graph API
  error body `{"error": {"message": "(#<code>) <title>", "type", "code", "error_data": {"messaging_product",
  "details"}, "fbtrace_id"}}` with the HTTP status that table gives the code: throttling (4, 80007,
  130429, 131048, 131056) is HTTP 400, not 429.
"""

import json
import threading
import uuid

from tests.fakeserver import LocalHttpServer, QuietHandler, reply_json

# code: (HTTP status, title, details), from Meta's error-code table.
ERRORS = {
    4: (400, "API Too Many Calls", "The app has reached its API call rate limit."),
    80007: (400, "Rate limit issues", "The WhatsApp Business Account has reached its rate limit."),
    130429: (400, "Rate limit hit", "Message failed to send because there were too many messages sent from "
                                     "this phone number in a short period of time"),
    131048: (400, "Spam rate limit hit", "Message failed to send because there are restrictions on how many "
                                         "messages can be sent from this phone number."),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit",
             "Message failed to send because there were too many messages sent from this phone number to "
             "the same phone number in a short period of time"),
    131000: (500, "Something went wrong", "Message failed to send due to an unknown error."),
    131016: (503, "Service unavailable", "A service is temporarily unavailable."),
    190: (401, "Access token has expired", "Your access token has expired."),
    131026: (400, "Message undeliverable", "Unable to deliver message."),
    131009: (400, "Parameter value is not valid", "One or more parameter values are invalid."),
    132000: (400, "Number of parameters does not match the expected number of params",
             "The number of variable parameter values does not match the template."),
    132001: (404, "Template name does not exist in the translation",
             "The template does not exist in the specified language or has not been approved."),
}


def error_body(code: int) -> tuple[int, dict]:
    status, title, details = ERRORS[code]
    return status, {
        "error": {
            "message": f"(#{code}) {title}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AazW1z0VJ4Gq7uQ3kS5Hn2b",
        }
    }


class FakeWhatsAppCloud(LocalHttpServer):
    """`POST /v21.0/<phone number id>/messages`. Refuses a wrong token (190), a template not approved in
    the requested language (132001), a body parameter count other than the template's (132000); `fail`
    makes the next answers an error code (a list: one code per request, then success)."""

    PHONE_NUMBER_ID = "106540352242922"

    def __init__(self, *, token: str, approved: set[tuple[str, str]]):
        self.token = token
        self.approved = approved
        self.requests: list[dict] = []
        self.fail: list[int] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw else None
                request = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "json": body}
                with fake._lock:
                    fake.requests.append(request)
                    forced = fake.fail.pop(0) if fake.fail else None
                if fake.delay:
                    threading.Event().wait(fake.delay)
                status, answer = fake.answer(request, forced)
                try:
                    reply_json(self, answer, status)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.serve(Handler)

    @property
    def url(self) -> str:
        return f"{self.base_url}/v21.0/{self.PHONE_NUMBER_ID}/messages"

    def answer(self, request: dict, forced: int | None) -> tuple[int, dict]:
        if request["path"] != f"/v21.0/{self.PHONE_NUMBER_ID}/messages":
            return 400, {"error": {"message": "Unsupported post request.", "type": "GraphMethodException",
                                   "code": 100, "fbtrace_id": "AazW1z0VJ4Gq7uQ3kS5Hn2c"}}
        if request["headers"].get("authorization") != f"Bearer {self.token}":
            return error_body(190)
        if forced is not None:
            return error_body(forced)
        body = request["json"] or {}
        template = body.get("template") or {}
        if body.get("messaging_product") != "whatsapp" or body.get("type") != "template" or not body.get("to"):
            return error_body(131009)
        if (template.get("name"), (template.get("language") or {}).get("code")) not in self.approved:
            return error_body(132001)
        components = template.get("components") or []
        if [len(c.get("parameters", [])) for c in components if c.get("type") == "body"] != [1]:
            return error_body(132000)
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": f"wamid.{uuid.uuid4().hex.upper()}"}],
        }
