"""Local fake HTTP servers for outside systems (SMS, WhatsApp, Midtrans): loopback only, any free port."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def reply_json(handler: BaseHTTPRequestHandler, body: dict, status: int = 200) -> None:
    payload = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


class QuietHandler(BaseHTTPRequestHandler):
    """A fake's request handler that keeps the test output clean (no access log on stderr)."""

    def log_message(self, *args):
        pass


class LocalHttpServer:
    """Base of a fake: call `serve(Handler)` in `__init__`, then use it as a context manager."""

    def serve(self, handler_class: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
