"""The app as `make run`, the Dockerfile and docker-compose.yml serve it: real gunicorn with
config/gunicorn.py, settings local with DEBUG on (as `make run`).

- Its logs carry no NIK, full phone number or one-time code, query strings and Referer included, and
  each request is logged once (QUALITY.md Security 15). Before: the access log wrote
  `GET /admin/registration/enrollment/?q=3171014507900001` verbatim, and under DEBUG Django's own
  console repeated each request warning without the redaction.
- What gunicorn refuses by itself (a request line over its limit, too many headers, a malformed
  request) is answered in the API's error shape, as JSON (QUALITY.md Security 16). Before: gunicorn's
  HTML pages.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from core.messages import message

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

NIK = "3171014507900001"
PHONE = "081234567890"
OTP = "480915"
# What must appear in no log line. Phone fragments of 8 digits and more: shorter runs can be a pid.
SECRETS = [NIK, "14507900", PHONE, "81234567890", "1234567890", "3456-7890", "3456 7890", OTP]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, tmp_path: Path):
        self.port = _free_port()
        self.out = tmp_path / "gunicorn.out"
        self.err = tmp_path / "gunicorn.err"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "true",
            # Nothing below touches the database; SQLite keeps the server off the test database.
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "NOTIFY_SMS_BACKEND": "null",
        }
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "config.wsgi:application", "-c", "config/gunicorn.py",
                 "--bind", f"127.0.0.1:{self.port}", "--workers", "1"],
                cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"gunicorn exited:\n{self.err.read_text()}"
            with contextlib.suppress(OSError):
                if self.raw(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").startswith(b"HTTP/1.1 200"):
                    break
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{self.err.read_text()}"
            time.sleep(0.2)

    def raw(self, request: bytes) -> bytes:
        """Send `request` as it is; the whole answer (gunicorn closes the connection)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def get(self, target: str, *headers: str) -> tuple[int, dict[str, str], bytes]:
        lines = [f"GET {target} HTTP/1.1", "Host: localhost", *headers, "", ""]
        answer = self.raw("\r\n".join(lines).encode("latin-1"))
        head, _, body = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in header_lines)
        return int(status_line.split()[1]), {k.lower(): v for k, v in fields.items()}, body

    def stop(self) -> tuple[str, str]:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        return self.out.read_text(errors="replace"), self.err.read_text(errors="replace")


@pytest.fixture
def server(tmp_path):
    started = Server(tmp_path)
    try:
        yield started
    finally:
        started.stop()


def _without_personal_data(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} reached a log line:\n{text}"


def test_the_logs_carry_no_nik_phone_or_code_and_each_request_once(server):
    encoded_phone = "%2B62%20812-3456-7890"
    requests = {
        # The probe's own request, and its Referer on the next page of the admin.
        "admin-search": (f"/admin/registration/enrollment/?q={NIK}",
                         f"Referer: http://localhost/admin/registration/enrollment/?q={PHONE}"),
        "query": (f"/api/v1/workers?nik={NIK}&phone={encoded_phone}&code={OTP}", ),
        "path": (f"/api/v1/workers/{NIK}", ),
        "encoded-path": (f"/api/v1/workers/%3{NIK[0]}{NIK[1:]}/%30{PHONE[1:]}", ),
        "bare-query": (f"/healthz?{OTP}&{PHONE}", ),
        # Under DEBUG, a 404's "Not Found: <path>" warning went out twice, once unredacted.
        "not-found": (f"/api/v1/nothing/{NIK}/{PHONE}?otp={OTP}", ),
    }
    for marker, (target, *headers) in requests.items():
        status, _, _ = server.get(target, *headers, f"User-Agent: probe-{marker}")
        assert status < 500, (marker, status)
    out, err = server.stop()

    _without_personal_data(out)
    _without_personal_data(err)
    access = out.splitlines()
    for marker in requests:
        lines = [line for line in access if f"probe-{marker}" in line]
        assert len(lines) == 1, (marker, access)
    assert "GET /admin/registration/enrollment/?q=… HTTP/1.1" in out
    assert f'"http://localhost/admin/registration/enrollment/?q=…"' in out
    assert "GET /api/v1/workers?nik=…&phone=…&code=… HTTP/1.1" in out
    assert "GET /api/v1/workers/[NIK] HTTP/1.1" in out
    not_found = [line for line in err.splitlines() if "/api/v1/nothing/" in line]
    assert len(not_found) == 1, err
    assert "Not Found: /api/v1/nothing/[NIK]/[PHONE]" in not_found[0]


def test_a_request_line_over_the_limit_is_a_json_414(server):
    target = f"/api/v1/workers?nik={NIK}&cursor=" + "a" * 5000
    status, headers, body = server.get(target, "Accept-Language: en")
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "type": "client_error",
        "errors": [{"code": "uri_too_long", "detail": message("uri_too_long", language="id"), "attr": None}],
    }
    out, err = server.stop()
    _without_personal_data(out + err)
    assert len([line for line in err.splitlines() if "Request Line is too large" in line]) == 1, err


def test_a_request_line_under_the_limit_reaches_the_app(server):
    status, headers, body = server.get("/api/v1/workers?cursor=" + "a" * 3900)
    assert status == 401
    assert json.loads(body)["errors"][0]["code"] == "not_authenticated"


def test_too_many_headers_is_a_json_431(server):
    status, headers, body = server.get("/healthz", *(f"X-Filler-{i}: 1" for i in range(120)))
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "type": "client_error",
        "errors": [{"code": "headers_too_large", "detail": message("headers_too_large", language="id"), "attr": None}],
    }


@pytest.mark.parametrize(
    "request_bytes",
    [
        f"GET /healthz?nik={NIK} HTTP/1.1\r\nHost: localhost\r\nAccept-Language: en\r\nBad Header\r\n\r\n".encode(),
        f"GET /healthz?code={OTP} HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n".encode(),
        f"G\x00T /healthz?nik={NIK} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(),
        f"GET /healthz?phone={PHONE} HTTP/9.9\r\nHost: localhost\r\n\r\n".encode(),
    ],
    ids=["header", "content-length", "method", "version"],
)
def test_a_malformed_request_is_a_json_400_without_personal_data_in_the_log(server, request_bytes):
    answer = server.raw(request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer
    assert b"Content-Type: application/json" in head
    error = json.loads(body)
    assert error["type"] == "validation_error"
    assert error["errors"][0]["code"] == "bad_request"
    assert error["errors"][0]["detail"] in (message("bad_request", language="id"), message("bad_request", language="en"))
    out, err = server.stop()
    _without_personal_data(out + err)
    assert len([line for line in err.splitlines() if "Invalid request from" in line]) == 1, err


def test_the_application_still_answers_with_its_own_errors(server):
    """Only gunicorn's own refusals are rewritten: the app's answers pass through untouched."""
    status, headers, body = server.get("/api/v1/nothing")
    assert status == 404
    assert json.loads(body)["errors"][0]["code"] == "not_found"
