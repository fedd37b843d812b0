"""A fake NIK verification service answering our contract (docs/civil-registry.md): real HTTP on
127.0.0.1, in a thread.

There is no public documentation of Dukcapil's own interface (access is by agreement); the contract
is ours, and this fake answers exactly as docs/civil-registry.md says: `POST <path>` with a bearer
token and `{"nik", "full_name", "birth_date"}`; 200 `{"result": "match" | "mismatch" | "not_found"}`;
401 `{"error": "unauthorized"}` for a wrong token; 400 `{"error": "invalid_request"}` for a body
outside the contract.
"""

import json
import threading
import time
import unicodedata

from tests.fakeserver import LocalHttpServer, QuietHandler, reply_json

PATH = "/v1/nik-verifications"


def normalise(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(folded.upper().split())


class FakeCivilRegistry(LocalHttpServer):
    """`records`: NIK → (full name, ISO birth date). `answer` overrides the next answers with
    (HTTP status, body), e.g. (503, {...}) for an outage; `delay` makes every answer late."""

    def __init__(self, *, token: str, records: dict[str, tuple[str, str]]):
        self.token = token
        self.records = records
        self.requests: list[dict] = []
        self.answer: tuple[int, object] | None = None
        self.delay = 0.0
        self._lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                           "raw": raw}
                with fake._lock:
                    fake.requests.append(request)
                status, body = fake.reply(request)
                if fake.delay:
                    time.sleep(fake.delay)
                try:
                    if isinstance(body, bytes):
                        self.send_response(status)
                        self.send_header("Content-Type", "text/html")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    else:
                        reply_json(self, body, status)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.serve(Handler)

    @property
    def url(self) -> str:
        return f"{self.base_url}{PATH}"

    def reply(self, request: dict) -> tuple[int, object]:
        if self.answer is not None:
            return self.answer
        if request["path"] != PATH:
            return 404, {"error": "not_found"}
        if request["headers"].get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        try:
            body = json.loads(request["raw"])
            nik, name, birth_date = body["nik"], body["full_name"], body["birth_date"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "invalid_request"}
        if not (isinstance(nik, str) and len(nik) == 16 and nik.isdigit()):
            return 400, {"error": "invalid_request"}
        record = self.records.get(nik)
        if record is None:
            return 200, {"result": "not_found"}
        same = normalise(record[0]) == normalise(name) and record[1] == birth_date
        return 200, {"result": "match" if same else "mismatch"}
