"""What gunicorn serves the app with (config/gunicorn.py names both classes).

- `Logger`: gunicorn's logger with the project's redaction (core/logging.py) on its access and error
  logs. The request line is logged with its path percent-decoded (so that a NIK or a phone number
  written with escapes is seen and redacted) and its query string reduced to parameter names: the
  values, which may hold a NIK, a phone number or a one-time code, never reach a log line.
- `SyncWorker`: gunicorn's sync worker, answering the requests gunicorn itself refuses (a request line
  over `limit_request_line`, too many or too large headers, a malformed request) in the API's error
  shape, as JSON, instead of gunicorn's HTML page. Everything else is gunicorn's own code.

Imported by the gunicorn master before Django is set up: only the standard library, gunicorn and
core.logging at import time.
"""

import json
from datetime import datetime
from urllib.parse import unquote

from gunicorn import glogging, util
from gunicorn.http import errors
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker

from core.logging import RedactPersonalDataFilter, scrub_query


def _printable(text: str) -> str:
    """Control characters (a decoded %0A) escaped, so one request stays one log line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def loggable_uri(raw_uri: str) -> str:
    """The request URI as the logs show it: the path decoded, the query's values left out."""
    path, sep, query = raw_uri.partition("?")
    return _printable(unquote(path, errors="replace")) + (sep + scrub_query(query) if sep else "")


class Logger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactPersonalDataFilter) for f in log.filters):
                log.addFilter(RedactPersonalDataFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        uri = loggable_uri(environ.get("RAW_URI", ""))
        path, _, query = uri.partition("?")
        atoms["r"] = f"{environ['REQUEST_METHOD']} {uri} {environ['SERVER_PROTOCOL']}"
        atoms["U"] = path
        atoms["q"] = query
        for name in ("{raw_uri}e", "{query_string}e", "{path_info}e"):
            atoms.pop(name, None)
        return atoms


# gunicorn's refusals answered here: status, reason phrase, error code. The order matters: the
# first class an exception is an instance of wins.
_REFUSALS = [
    (errors.LimitRequestLine, 414, "URI Too Long", "uri_too_long"),
    (errors.LimitRequestHeaders, 431, "Request Header Fields Too Large", "headers_too_large"),
    (
        (
            errors.InvalidRequestLine,
            errors.InvalidRequestMethod,
            errors.InvalidHTTPVersion,
            errors.InvalidHeader,
            errors.InvalidHeaderName,
            errors.InvalidSchemeHeaders,
            errors.InvalidProxyLine,
            errors.ObsoleteFolding,
            errors.InvalidChunkSize,
            errors.ChunkMissingTerminator,
            errors.InvalidChunkExtension,
        ),
        400,
        "Bad Request",
        "bad_request",
    ),
]


def _refusal(exc):
    for kinds, status, reason, code in _REFUSALS:
        if isinstance(exc, kinds):
            return status, reason, code
    return None


def error_response(status: int, reason: str, code: str, language: str = "id") -> bytes:
    """A whole HTTP response carrying the API's error shape (API.md "General rules")."""
    from core.messages import message  # the worker has set Django up by the time a request comes

    body = json.dumps(
        {
            "type": "validation_error" if status == 400 else "client_error",
            "errors": [{"code": code, "detail": message(code, language=language), "attr": None}],
        },
        ensure_ascii=False,
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def _language(req) -> str:
    for name, value in getattr(req, "headers", None) or []:
        if name.upper() == "ACCEPT-LANGUAGE":
            return "en" if value.strip().lower().startswith("en") else "id"
    return "id"


class SyncWorker(GunicornSyncWorker):
    def handle_error(self, req, client, addr, exc):
        refusal = _refusal(exc)
        if refusal is None:
            return super().handle_error(req, client, addr, exc)
        status, reason, code = refusal
        request_start = datetime.now()
        addr = addr or ("", -1)  # a unix socket
        req = req or getattr(exc, "req", None)
        self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
        response = error_response(status, reason, code, _language(req))
        if req is not None:
            # The access log line gunicorn writes for its own refusals, with the status sent.
            environ = default_environ(req, client, self.cfg)
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
            resp = Response(req, client, self.cfg)
            resp.status = f"{status} {reason}"
            resp.response_length = len(response)
            self.log.access(resp, req, environ, datetime.now() - request_start)
        try:
            util.write_nonblock(client, response)
        except Exception:
            self.log.debug("Failed to send error message.")
