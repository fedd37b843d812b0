"""The mobile app's main journey under load (Locust): signup → verify → worker → consent → invoice →
pay (simulator) → list. Every simulated user is a new sponsor with their own helper.

    pip install -r bench/requirements-locust.txt
    make run   (or any server with NOTIFY_SMS_BACKEND=file, PAYMENT_GATEWAY=simulator, API_THROTTLING=false)
    .venv/bin/locust -f bench/locustfile.py --headless -u 16 -r 4 -t 60s --host http://127.0.0.1:8000

OTP codes are read from the notification file the server writes (NOTIFY_FILE_PATH, default
var/notifications.jsonl): the load test plays both the sponsor and the worker reading out the code.
Every request loop is bounded by Locust's -t and stops by itself; only loopback hosts are meant.
"""

import itertools
import json
import os
import random
import re
import time
import uuid
from pathlib import Path

from locust import HttpUser, between, task

NOTIFY_FILE = Path(os.environ.get("NOTIFY_FILE_PATH", "var/notifications.jsonl"))
_serial = itertools.count(1)
_PROVINCES = ["31", "32", "33", "35", "36", "51", "73"]


def _code_for(phone: str, after: float, timeout: float = 10.0) -> str:
    """The latest code sent to `phone` since `after` (the server appends one JSON object a line)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if NOTIFY_FILE.exists():
            for line in reversed(NOTIFY_FILE.read_text(encoding="utf-8").splitlines()):
                message = json.loads(line)
                if message["to"] == phone:
                    found = re.search(r"\b\d{6}\b", message["body"])
                    if found:
                        return found.group()
        time.sleep(0.1)
    raise RuntimeError(f"no code for {phone}")


def _phone() -> str:
    return f"+62813{random.randint(10_000_000, 99_999_999)}"


def _nik() -> str:
    serial = next(_serial) % 9999 + 1
    return f"{random.choice(_PROVINCES)}{random.randint(1, 99):02d}{random.randint(1, 99):02d}450790{serial:04d}"


class Sponsor(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.phone = _phone()
        password = f"Sertakan#{uuid.uuid4().hex[:8]}"
        started = time.time()
        self.client.post("/api/v1/auth/signup", json={"phone": self.phone, "full_name": "Load Sponsor", "password": password})
        code = _code_for(self.phone, started)
        self.client.post("/api/v1/auth/verify-phone", json={"phone": self.phone, "code": code})
        tokens = self.client.post("/api/v1/auth/token", json={"phone": self.phone, "password": password}).json()
        self.client.headers["Authorization"] = f"Bearer {tokens['access']}"
        worker_phone = _phone()
        worker = self.client.post(
            "/api/v1/workers",
            json={
                "nik": _nik(), "full_name": "Siti Beban", "birth_date": "1990-07-05", "phone": worker_phone,
                "occupation": "household_assistant", "relationship": "household_helper",
                "income_level": 1000000, "programmes": ["JKK", "JKM", "JHT"],
            },
            name="/api/v1/workers [create]",
        ).json()
        self.worker_id = worker.get("id")
        code = _code_for(worker_phone, started)
        self.client.post(f"/api/v1/workers/{self.worker_id}/consent", json={"code": code}, name="/api/v1/workers/{id}/consent")

    @task(1)
    def pay_one_month(self):
        created = self.client.post(
            "/api/v1/invoices",
            json={"items": [{"worker": self.worker_id, "months": 1}]},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="/api/v1/invoices [create]",
        )
        if created.status_code == 201:
            self.client.post("/api/v1/payments/simulator/pay", json={"number": created.json()["number"]})

    @task(5)
    def look_around(self):
        self.client.get("/api/v1/workers", name="/api/v1/workers [list]")
        self.client.get("/api/v1/invoices", name="/api/v1/invoices [list]")
        self.client.get("/api/v1/notifications")
