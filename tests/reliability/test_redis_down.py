"""Redis down (QUALITY.md "Background work" 2): a request that queues work still succeeds; the work waits
in the database (the outbox) and a real worker delivers it once Redis is back.

A private `redis-server` is started, Celery in this process publishes to it (not eager), and the
server is stopped for real before the requests are made.
"""

import datetime
import re
import time

import pytest
from rest_framework.test import APIClient

from notifications import services as notifications
from notifications.models import Message
from tests.api import client_for
from tests.factories import UserFactory, enrollment
from tests.fakeserver import LocalHttpServer, QuietHandler, reply_json
from tests.reliability.conftest import celery_publishing_to, free_port, read_jsonl, wait_for, worker_env
from tests.reminders.helpers import month, worker

pytestmark = pytest.mark.timeout(120)

PHONE = "+6281277770001"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_requests_succeed_with_redis_down_and_a_real_worker_delivers_the_work_later(
    reference, settings, private_redis, workers, tmp_path
):
    settings.API_THROTTLING = False
    # Before the outage (tasks still in-process): a sponsor with an approved worker and a pending invoice.
    sponsor = UserFactory()
    worker = enrollment(sponsor=sponsor)
    assert worker.status == "approved"
    sponsor_client = client_for(sponsor)
    created = sponsor_client.post("/api/v1/invoices", {"items": [{"worker": worker.pk, "months": 1}]},
                                  format="json", HTTP_IDEMPOTENCY_KEY="outage-1")
    assert created.status_code == 201, created.content
    invoice_number = created.json()["number"]
    outbox_before = set(Message.objects.values_list("pk", flat=True))
    notify_path = tmp_path / "notify.jsonl"

    with celery_publishing_to(private_redis.url, settings):
        private_redis.stop()
        assert not private_redis.running()

        started = time.monotonic()
        signup = APIClient().post(
            "/api/v1/auth/signup", {"phone": "0812-7777-0001", "full_name": "Ani Wijaya", "password": "Sertakan#2026"},
            format="json",
        )
        signup_seconds = time.monotonic() - started
        assert signup.status_code == 201, signup.content
        assert signup_seconds < 5, f"signup took {signup_seconds:.1f} s with Redis down"
        otp = Message.objects.get(to=PHONE, kind="otp_phone")
        assert (otp.status, otp.attempts) == ("pending", 0)

        started = time.monotonic()
        paid = sponsor_client.post("/api/v1/payments/simulator/pay", {"number": invoice_number}, format="json")
        pay_seconds = time.monotonic() - started
        assert paid.status_code == 200, paid.content
        assert paid.json()["status"] == "paid"
        assert pay_seconds < 5, f"payment took {pay_seconds:.1f} s with Redis down"
        receipt = Message.objects.exclude(pk__in=outbox_before).exclude(pk=otp.pk).get(to=sponsor.phone)
        assert receipt.status == "pending"
        worker.refresh_from_db()
        assert worker.member.paid_through is not None

        # Redis comes back (empty: it kept nothing); a real worker starts; the relay hands the rows over.
        private_redis.start()
        workers("outage", env=worker_env(private_redis.url, NOTIFY_SMS_BACKEND="file",
                                         NOTIFY_FILE_PATH=notify_path))
        relayed = notifications.outbox_relay(min_age_seconds=0)
        assert relayed >= 2

        def delivered():
            sent = read_jsonl(notify_path)
            return {m["to"] for m in sent} >= {PHONE, sponsor.phone} and sent

        sent = wait_for(delivered, timeout=30, interval=0.25, what="the relayed SMS in the notify file")

    [otp_line] = [m for m in sent if m["to"] == PHONE]
    assert otp_line["channel"] == "sms"
    [code] = re.findall(r"\b\d{6}\b", otp_line["body"])
    [receipt_line] = [m for m in sent if m["to"] == sponsor.phone]
    assert invoice_number in receipt_line["body"]
    wait_for(lambda: set(Message.objects.filter(pk__in=[otp.pk, receipt.pk]).values_list("status", flat=True))
             == {"sent"}, timeout=10, what="the outbox rows to be marked sent")
    # Sent once each, and the relayed code verifies the account.
    time.sleep(0.5)
    assert len([m for m in read_jsonl(notify_path) if m["to"] in (PHONE, sponsor.phone)]) == 2
    verified = APIClient().post("/api/v1/auth/verify-phone", {"phone": PHONE, "code": code}, format="json")
    assert verified.status_code == 200, verified.content


@pytest.mark.django_db
def test_a_reminder_pass_with_the_broker_down_keeps_its_rows_and_sends_them_when_it_is_back(
    reference, settings, notify_file
):
    from contributions import reminders
    from contributions.models import Reminder

    enrollment = worker(paid_through=month(2026, 11))

    with celery_publishing_to(f"redis://127.0.0.1:{free_port()}/0", settings):  # nothing listens there
        started = time.monotonic()
        result = reminders.daily_pass(day=datetime.date(2026, 12, 8), respect_quiet_hours=False)
        elapsed = time.monotonic() - started

    # Bounded, not instant: a publish with retry=False waits out the transport's failover retries
    # (about 6 s, see the xfail on the webhook below); the pass runs in beat or a command, not a request.
    assert elapsed < 15, f"the pass took {elapsed:.1f} s with the broker down"
    assert result == {"planned": 2, "queued": 0}
    assert set(Reminder.objects.values_list("status", flat=True)) == {"planned"}
    assert notify_file.messages() == []

    # The broker is back (tasks in-process again): the periodic queue_reminders sends them, once.
    assert reminders.reminders_queue() == 2
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}
    assert [m["to"] for m in notify_file.messages()] == [enrollment.sponsor.phone]
    assert reminders.reminders_queue() == 0


# --- a Midtrans payment notification while Redis is down ------------------------------------------


class MidtransStatus(LocalHttpServer):
    """Midtrans' status API (GET /v2/{order_id}/status), answering `settlement` for known orders."""

    def __init__(self):
        self.orders: dict[str, int] = {}
        self.lookups: list[str] = []
        fake = self

        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802
                order_id = self.path.split("/")[2]
                fake.lookups.append(order_id)
                if order_id in fake.orders:
                    body = {"status_code": "200", "order_id": order_id, "transaction_status": "settlement",
                            "gross_amount": f"{fake.orders[order_id]}.00", "transaction_id": f"mt-{order_id}",
                            "fraud_status": "accept"}
                else:
                    body = {"status_code": "404"}
                reply_json(self, body)

        self.serve(Handler)
        self.url = self.base_url


@pytest.fixture
def midtrans_invoice(reference, settings):
    """A pending invoice billed through Midtrans (made with the simulator, then moved: no real charge)."""
    from contributions.models import Invoice
    from tests.reminders.helpers import invoice_for

    invoice = invoice_for(worker(paid_through=month(2026, 11)), 1)
    Invoice.objects.filter(pk=invoice.pk).update(gateway="midtrans")
    invoice.refresh_from_db()
    with MidtransStatus() as midtrans:
        midtrans.orders[invoice.number] = invoice.total
        settings.PAYMENT_GATEWAY = "midtrans"
        settings.MIDTRANS_SERVER_KEY = "SB-Mid-server-test-key"
        settings.MIDTRANS_BASE_URL = midtrans.url
        yield invoice, midtrans


def _settlement(invoice, server_key: str) -> dict:
    from contributions.gateways import signature_for

    amount = f"{invoice.total}.00"
    return {
        "order_id": invoice.number, "status_code": "200", "gross_amount": amount,
        "transaction_status": "settlement", "transaction_id": f"mt-{invoice.number}", "fraud_status": "accept",
        "payment_type": "bank_transfer",
        "signature_key": signature_for(order_id=invoice.number, status_code="200", gross_amount=amount,
                                       server_key=server_key),
    }


def _post_with_redis_down(private_redis, settings, invoice) -> tuple[object, float]:
    with celery_publishing_to(private_redis.url, settings):
        private_redis.stop()
        started = time.monotonic()
        response = APIClient().post("/api/v1/payments/notifications/midtrans",
                                    _settlement(invoice, settings.MIDTRANS_SERVER_KEY), format="json")
        return response, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.django_db
def test_a_payment_notification_with_redis_down_is_kept_and_credited_by_reconciliation(
    midtrans_invoice, settings, private_redis
):
    from datetime import timedelta

    from django.utils import timezone

    from contributions import services
    from contributions.models import GatewayNotification

    invoice, midtrans = midtrans_invoice

    response, _ = _post_with_redis_down(private_redis, settings, invoice)

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}
    stored = GatewayNotification.objects.get(order_id=invoice.number)
    assert stored.processed_at is None
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    # Redis stays down; the periodic reconciliation finds the stored notification and asks Midtrans.
    GatewayNotification.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(minutes=2))
    services.invoices_reconcile()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert midtrans.lookups == [invoice.number]


@pytest.mark.slow
@pytest.mark.django_db
def test_a_payment_notification_with_redis_down_answers_at_once(midtrans_invoice, settings, private_redis):
    invoice, _ = midtrans_invoice

    response, elapsed = _post_with_redis_down(private_redis, settings, invoice)

    assert response.status_code == 200, response.content
    assert elapsed < 2, f"the webhook took {elapsed:.1f} s with Redis down"


@pytest.mark.django_db
def test_throttles_let_requests_through_while_redis_is_down_and_count_again_after(settings, private_redis, monkeypatch):
    """Production throttles every request, and the throttle counters live in Redis: an outage must not
    turn every request into a 500 (it did with Django's own Redis backend)."""
    from django.core.cache import caches

    from core.api.throttling import ScopedRateThrottle
    from config.settings.base import redis_cache

    settings.API_THROTTLING = True
    settings.CACHES = {"default": redis_cache(private_redis.url, "outage-test")}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "login": "2/min"})
    sponsor = UserFactory(password="Sertakan#2026")
    login = {"phone": sponsor.phone, "password": "Sertakan#2026"}

    def sign_in():
        return APIClient().post("/api/v1/auth/token", login, format="json").status_code

    try:
        private_redis.stop()
        assert not private_redis.running()
        # Redis down: the profile and logins answer; the login throttle cannot count, so it lets them in.
        assert client_for(sponsor).get("/api/v1/me").status_code == 200
        assert [sign_in() for _ in range(3)] == [200, 200, 200]

        private_redis.start()
        # Redis back: the throttle counts again (2 a minute).
        assert [sign_in() for _ in range(3)] == [200, 200, 429]
    finally:
        caches["default"].close()
