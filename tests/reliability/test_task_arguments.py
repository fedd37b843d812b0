"""Minimal task arguments (QUALITY.md "Background work" 5, CONVENTIONS.md "Celery"): what sits in Redis
carries ids only, never a NIK, a phone number or a one-time code.

Celery publishes for real to a private Redis with no worker running, and the raw queued messages are
read back from the queue lists (kombu's JSON envelope, base64 body).
"""

import base64
import json
import re

import pytest
from rest_framework.test import APIClient

from contributions import reminders
from notifications import services as notifications
from notifications.models import Message
from registration.models import Enrollment, Member
from tests.api import client_for
from tests.factories import UserFactory, enrollment, worker_payload
from tests.reliability.conftest import celery_publishing_to
from tests.reminders.helpers import month

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

QUEUES = ("urgent", "default", "bulk")
NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
PHONE = re.compile(r"(\+62|(?<!\d)62|(?<!\d)0)8\d{7,12}(?!\d)")
# Celery's own ids (task id, correlation id, delivery tag) are random UUIDs, whose hex groups can read
# as a phone number (`…-e084380665`) or hold six digits in a row: not what this test looks for.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def raw_messages(redis) -> list[tuple[str, dict]]:
    """(queue list name, envelope) of every message waiting in the three queues (any priority list)."""
    out = []
    for key in redis.scan_iter():
        name = key.decode(errors="replace")
        if not any(name == queue or name.startswith(queue + "\x06\x16") for queue in QUEUES):
            continue
        if redis.type(key) != b"list":
            continue
        for raw in redis.lrange(key, 0, -1):
            out.append((name, json.loads(raw)))
    return out


def decoded_body(envelope: dict):
    assert envelope["content-type"] == "application/json"
    body = envelope["body"]
    if envelope.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body).decode()
    return json.loads(body)


def only_ids(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


@pytest.mark.django_db(transaction=True)
def test_queued_tasks_carry_ids_only(reference, settings, private_redis):
    settings.API_THROTTLING = False
    sponsor = UserFactory()
    sponsor_client = client_for(sponsor)
    redis = private_redis.client()
    nik_values, phones = [], [sponsor.phone]

    with celery_publishing_to(private_redis.url, settings):
        # A signup (its code goes out by SMS).
        signup = APIClient().post("/api/v1/auth/signup", {"phone": "0812-5555-0101", "full_name": "Ani Wijaya",
                                                          "password": "Sertakan#2026"}, format="json")
        assert signup.status_code == 201, signup.content
        phones.append("+6281255550101")
        # A worker registration (the consent code goes to the worker).
        payload = worker_payload()
        registered = sponsor_client.post("/api/v1/workers", payload, format="json")
        assert registered.status_code == 201, registered.content
        nik_values.append(payload["nik"])
        phones.append(registered.json()["phone"])
        # A reminder pass for an approved worker (a batch of reminder ids).
        approved = enrollment(sponsor=UserFactory())
        Member.objects.filter(sponsorships=approved).update(paid_through=month(2026, 11))
        phones += [approved.phone, approved.sponsor.phone]
        result = reminders.daily_pass(day=month(2026, 12).replace(day=8), respect_quiet_hours=False)
        assert result["queued"] > 0
        # And the outbox relay handing over what is still pending.
        notifications.outbox_relay(min_age_seconds=0)

    codes = set()
    for body in Message.objects.filter(kind__in=["otp_phone", "otp_consent"]).values_list("body", flat=True):
        codes |= set(re.findall(r"(?<!\d)\d{6}(?!\d)", body))
    assert len(codes) >= 2
    digits_only = {re.sub(r"\D", "", p) for p in phones}

    messages = raw_messages(redis)
    tasks = [envelope["headers"]["task"] for _, envelope in messages]
    assert "notifications.tasks.send_message" in tasks
    assert "contributions.tasks.send_reminder_batch" in tasks
    assert {name for name, _ in messages} >= {"urgent", "bulk"}

    for _queue, envelope in messages:
        args, kwargs, _embed = decoded_body(envelope)
        task = envelope["headers"]["task"]
        assert all(only_ids(arg) for arg in args), (task, args)
        assert all(only_ids(value) for value in kwargs.values()), (task, kwargs)
        # Nothing personal anywhere in what Redis holds: body, headers (argsrepr…), properties.
        text = UUID.sub("<uuid>", json.dumps([args, kwargs, envelope["headers"], envelope.get("properties", {})]))
        assert not NIK.search(text), (task, text)
        assert not PHONE.search(text), (task, text)
        for value in nik_values:
            assert value not in text
        for number in digits_only:
            assert number not in text and number[2:] not in text
        for code in codes:
            assert code not in text, (task, "an OTP code is in the queued message")
        assert envelope["headers"].get("argsrepr") in (None, repr(tuple(args)), repr(list(args)))


def test_the_patterns_catch_what_they_must():
    assert NIK.search("[\"3174014507900001\"]")
    assert PHONE.search("+6281234567890") and PHONE.search("081234567890") and PHONE.search("6281234567890")
    assert not PHONE.search("[[12, 13, 14]]")
    assert not PHONE.search(UUID.sub("<uuid>", '{"delivery_tag": "1c2828b0-e66f-4aed-bd1a-27e084380665"}'))
    assert only_ids(12) and only_ids([1, 2]) and not only_ids("12") and not only_ids(["+62812"])
