"""A small closed-loop HTTP load generator: N client threads on loopback, each sending its next
request as soon as the previous answer is in. Standard library only.

Every request is encoded once, before the clock starts. Each is sent on a new connection with
`Connection: close` (gunicorn's sync workers close every connection anyway). A run is bounded both
by a request count and by a duration, and stops by itself.
"""

import itertools
import json
import math
import socket
import threading
import time
from dataclasses import dataclass, field


def encode(method: str, path: str, *, headers: dict[str, str] | None = None, body=None, port: int) -> bytes:
    data = b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close", "Accept: application/json"]
    if body is not None:
        data = json.dumps(body, separators=(",", ":")).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def send(raw: bytes, port: int, timeout: float = 30.0) -> tuple[int, bytes]:
    """One exchange; returns (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    status = int(response[9:12]) if response.startswith(b"HTTP/1.") else 0
    head, _, body = response.partition(b"\r\n\r\n")
    return status, body


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    unexpected: int = 0
    exhausted: bool = False
    client_cpu_seconds: float = 0.0  # CPU the load generator itself used (this process)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))  # nearest rank
        return ordered[index]


def run(requests: list[bytes], *, port: int, expect: int, clients: int, seconds: float, cycle: bool,
        start: int = 0, max_requests: int = 100_000, until=None) -> tuple[Result, int]:
    """Send `requests` (in order, from index `start`; round and round if `cycle`) with `clients`
    threads for `seconds` or until `max_requests` or the list runs out, or `until()` is true. Returns
    the result and the next unused index."""
    counter = itertools.count(start)
    limit = start + max_requests if cycle else min(len(requests), start + max_requests)
    lock = threading.Lock()
    result = Result()
    last_index = [start]
    deadline = time.perf_counter() + seconds

    def client() -> None:
        latencies, statuses, unexpected = [], {}, 0
        while time.perf_counter() < deadline and not (until and until()):
            index = next(counter)
            if index >= limit:
                result.exhausted = not cycle
                break
            raw = requests[index % len(requests)]
            began = time.perf_counter()
            try:
                status, _ = send(raw, port)
            except OSError:
                status = 0
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status != expect:
                unexpected += 1
            with lock:
                last_index[0] = max(last_index[0], index + 1)
        with lock:
            result.latencies_ms.extend(latencies)
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count
            result.unexpected += unexpected

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    cpu = time.process_time()
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    result.seconds = time.perf_counter() - began
    result.client_cpu_seconds = time.process_time() - cpu
    result.requests = len(result.latencies_ms)
    return result, last_index[0]
