"""Worker killed (QUALITY.md "Background work" 3): with acks_late a batch killed mid-way runs again; the
provider's de-duplication by `reference` (`reminder-<id>`) keeps each SMS single; an attempt cap stops a
poison batch from looping.

A real worker sends a reminder batch to a fake HTTP SMS gateway that is slow on its first request; the
worker is SIGKILLed while it waits on the provider, and the batch is redelivered to a new worker.

How the batch comes back depends on what died:
- the pool process only (prefork; the OOM killer): the worker's main process sees WorkerLostError and,
  with task_reject_on_worker_lost, requeues the message at once;
- the whole worker (its process group): nobody is left to requeue it. The message stays in Redis'
  `unacked` hash and a worker restores it only once it is older than the broker's visibility_timeout
  (3600 s here); the reminders_queue sweep puts its rows back to `planned` after 30 minutes. The test
  ages the delivery in `unacked_index` by the visibility timeout instead of waiting an hour.
"""

import datetime
import json
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from contributions import reminders
from contributions.models import Reminder
from notifications import backends
from notifications.models import InboxItem
from tests.fakeserver import LocalHttpServer, QuietHandler, reply_json
from tests.reliability.conftest import age_unacked_deliveries, celery_publishing_to, wait_for, worker_env
from tests.reminders.helpers import month, worker

DAY = datetime.date(2026, 12, 8)
SLOW_SECONDS = 6


class DedupingSmsGateway(LocalHttpServer):
    """An SMS gateway that de-duplicates by `reference` (as real gateways do with a client reference):
    a reference it has accepted once is answered again but never delivered twice. Its first request
    is slow, so a worker can be killed while it waits."""

    def __init__(self, slow_reference: str | None = None):
        self.lock = threading.Lock()
        self.seen: list[str] = []  # every request's reference, in order
        self.delivered: list[str] = []  # what reached a phone
        self.in_slow_call = threading.Event()
        # The reference whose first request is slow (default: the first reference it sees).
        self.slow_reference = slow_reference
        self.slowed = False
        gateway = self

        class Handler(QuietHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reference = body["reference"]
                assert self.headers["Authorization"] == "Bearer gw-token"
                with gateway.lock:
                    gateway.seen.append(reference)
                    first_time = reference not in gateway.delivered
                    if first_time:
                        gateway.delivered.append(reference)
                    if gateway.slow_reference is None:
                        gateway.slow_reference = reference
                    slow = first_time and reference == gateway.slow_reference and not gateway.slowed
                    gateway.slowed = gateway.slowed or slow
                if slow:
                    gateway.in_slow_call.set()
                    time.sleep(SLOW_SECONDS)
                try:
                    reply_json(self, {"id": f"gw-{reference}"})
                except OSError:
                    pass  # the caller was killed

        self.serve(Handler)

    @property
    def url(self) -> str:
        return f"{self.base_url}/sms"



@pytest.fixture
def gateway():
    with DedupingSmsGateway() as fake:
        yield fake


def _queued_messages(redis) -> int:
    return sum(redis.llen(name) for name in ("urgent", "default", "bulk"))


def _plan(count: int) -> tuple[list, list[int]]:
    enrollments = [worker(paid_through=month(2026, 11), full_name=f"Pekerja {i}") for i in range(count)]
    planned = reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    assert planned == 2 * count  # an SMS and an inbox item for each payer
    sms_ids = sorted(Reminder.objects.filter(channel="sms").values_list("id", flat=True))
    return enrollments, sms_ids


@pytest.mark.slow
@pytest.mark.timeout(100)
@pytest.mark.django_db(transaction=True)
def test_a_batch_killed_mid_send_is_redelivered_to_a_new_worker_and_each_sms_goes_once(
    reference, settings, private_redis, workers, gateway
):
    enrollments, sms_ids = _plan(count=3)
    env = worker_env(private_redis.url, NOTIFY_SMS_BACKEND="http", SMS_GATEWAY_URL=gateway.url,
                     SMS_GATEWAY_TOKEN="gw-token")
    redis = private_redis.client()

    with celery_publishing_to(private_redis.url, settings):
        assert reminders.reminders_queue() == 6
        assert redis.llen("bulk") == 1  # one batch message
        first = workers("first", env=env)
        assert gateway.in_slow_call.wait(timeout=30), "the worker never called the SMS gateway"

        # The claim was committed before the provider call.
        assert set(Reminder.objects.values_list("status", flat=True)) == {"sending"}
        first.kill_group()

        assert set(Reminder.objects.values_list("status", flat=True)) == {"sending"}
        assert InboxItem.objects.filter(kind="payment_reminder").count() == 0
        assert _queued_messages(redis) == 0
        assert redis.hlen("unacked") == 1, "with acks_late the killed batch must still be unacknowledged"

        age_unacked_deliveries(redis)

        workers("second", env=env)
        wait_for(lambda: set(Reminder.objects.values_list("status", flat=True)) == {"sent"}, timeout=30,
                 interval=0.25, what="the redelivered batch to be sent")

    rows = list(Reminder.objects.order_by("id"))
    assert len(rows) == 6 and all(r.status == "sent" for r in rows)
    assert all(r.attempts == 2 for r in rows)  # claimed by the killed worker, then by the new one
    references = [f"reminder-{pk}" for pk in sms_ids]
    assert sorted(set(gateway.seen)) == sorted(references)
    assert gateway.seen.count(gateway.slow_reference) == 2  # the killed call was made again…
    assert sorted(gateway.delivered) == sorted(references)  # …but each SMS reached a phone once
    assert len(gateway.delivered) == len(set(gateway.delivered))
    assert {r.provider_message_id for r in rows if r.channel == "sms"} == {f"gw-{ref}" for ref in references}
    assert InboxItem.objects.filter(kind="payment_reminder").count() == 3
    for enrollment in enrollments:
        assert InboxItem.objects.filter(user=enrollment.sponsor, kind="payment_reminder").count() == 1
    assert redis.hlen("unacked") == 0 and _queued_messages(redis) == 0


@pytest.mark.slow
@pytest.mark.timeout(100)
@pytest.mark.django_db(transaction=True)
def test_a_killed_pool_process_gives_its_batch_back_at_once(reference, settings, private_redis, workers, gateway):
    """task_reject_on_worker_lost: the pool process dies (OOM killer), the worker itself lives and
    requeues the batch without waiting for any visibility timeout."""
    enrollments, sms_ids = _plan(count=2)
    env = worker_env(private_redis.url, NOTIFY_SMS_BACKEND="http", SMS_GATEWAY_URL=gateway.url,
                     SMS_GATEWAY_TOKEN="gw-token")

    with celery_publishing_to(private_redis.url, settings):
        assert reminders.reminders_queue() == 4
        prefork = workers("prefork", env=env, pool="prefork")
        assert gateway.in_slow_call.wait(timeout=30), "the worker never called the SMS gateway"
        [child] = prefork.pool_children()
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: set(Reminder.objects.values_list("status", flat=True)) == {"sent"}, timeout=30,
                 interval=0.25, what="the requeued batch to be sent by a new pool process")

    assert "WorkerLostError" in prefork.log() or "SIGKILL" in prefork.log()
    assert sorted(set(gateway.seen)) == sorted(f"reminder-{pk}" for pk in sms_ids)
    assert gateway.seen.count(gateway.slow_reference) == 2
    assert len(gateway.delivered) == len(set(gateway.delivered)) == 2
    assert InboxItem.objects.filter(kind="payment_reminder").count() == 2


# --- the attempt cap and the sweep (service level, no processes) ----------------------------------


class CountingSms:
    calls: list[int] = []

    def send(self, message):
        CountingSms.calls.append(message.id)
        return f"counted-{message.id}"


@pytest.fixture
def counting_sms(monkeypatch, settings):
    CountingSms.calls = []
    monkeypatch.setitem(backends.BACKENDS["sms"], "counting", CountingSms)
    settings.NOTIFY_SMS_BACKEND = "counting"
    return CountingSms


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["queued", "sending", "planned"])
def test_a_batch_at_the_attempt_cap_fails_without_calling_the_provider(reference, counting_sms, status):
    worker(paid_through=month(2026, 11))
    reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    # A redelivery of the task that claimed them (same task id), or anyone for planned/queued rows.
    Reminder.objects.update(status=status, attempts=reminders.MAX_ATTEMPTS, claimed_by="task-1")
    ids = list(Reminder.objects.values_list("id", flat=True))

    reminders.reminders_send(reminder_ids=ids, claimant="task-1")

    assert set(Reminder.objects.values_list("status", flat=True)) == {"failed"}
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {reminders.MAX_ATTEMPTS}
    assert all(Reminder.objects.values_list("last_error", flat=True))
    assert counting_sms.calls == []
    assert not InboxItem.objects.filter(kind="payment_reminder").exists()
    # And it stays failed: neither the next sweep nor a redelivery sends it.
    reminders.reminders_queue()
    reminders.reminders_send(reminder_ids=ids, claimant="task-1")
    assert counting_sms.calls == []


@pytest.mark.django_db
def test_a_batch_below_the_cap_is_sent_by_a_redelivery(reference, counting_sms):
    worker(paid_through=month(2026, 11))
    reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    Reminder.objects.update(status="sending", attempts=reminders.MAX_ATTEMPTS - 1, claimed_by="task-1")
    ids = list(Reminder.objects.values_list("id", flat=True))

    # Another task (a second copy of the batch) leaves rows a live sender holds alone.
    reminders.reminders_send(reminder_ids=ids, claimant="task-2")
    assert counting_sms.calls == []
    # The redelivered task itself resumes them.
    reminders.reminders_send(reminder_ids=ids, claimant="task-1")

    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}
    assert len(counting_sms.calls) == 1


@pytest.mark.django_db
def test_a_batch_lost_with_its_message_is_swept_back_and_sent(reference, counting_sms):
    """Redis lost the unacknowledged batch (restarted without persistence): the rows stuck in
    queued/sending are put back by the periodic reminders_queue and sent; at the cap they fail."""
    worker(paid_through=month(2026, 11))
    worker(paid_through=month(2026, 11))
    reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    rows = list(Reminder.objects.filter(channel="sms").order_by("id"))
    stale = timezone.now() - timedelta(minutes=31)
    Reminder.objects.filter(pk=rows[0].pk).update(status="sending", attempts=1, updated_at=stale)
    Reminder.objects.filter(pk=rows[1].pk).update(status="queued", attempts=reminders.MAX_ATTEMPTS, updated_at=stale)
    Reminder.objects.filter(channel="inbox").update(status="queued", updated_at=timezone.now())  # in flight now

    reminders.reminders_queue()

    statuses = dict(Reminder.objects.filter(channel="sms").values_list("id", "status"))
    assert statuses == {rows[0].pk: "sent", rows[1].pk: "failed"}
    assert counting_sms.calls == [rows[0].pk]
    # A batch in flight (recently queued) is left alone.
    assert set(Reminder.objects.filter(channel="inbox").values_list("status", flat=True)) == {"queued"}


# --- what a killed or interrupted batch had already delivered --------------------------------------


class WhatsAppCloud(LocalHttpServer):
    """WhatsApp Cloud API: no client reference, no de-duplication. Counts messages per recipient."""

    def __init__(self):
        self.to: list[str] = []
        fake = self

        class Handler(QuietHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.to.append(body["to"])
                reply_json(self, {"messages": [{"id": f"wamid.{len(fake.to)}"}]})

        self.serve(Handler)

    @property
    def url(self) -> str:
        return f"{self.base_url}/v19.0/123/messages"



def _whatsapp_payers(count: int) -> list:
    from tests.factories import UserFactory

    return [
        worker(sponsor=UserFactory(remind_by_whatsapp=True, whatsapp_opt_in_at=timezone.now()),
               paid_through=month(2026, 11), full_name=f"Pekerja {i}")
        for i in range(count)
    ]


@pytest.mark.slow
@pytest.mark.timeout(100)
@pytest.mark.django_db(transaction=True)
def test_a_whatsapp_reminder_delivered_before_the_kill_is_not_sent_again(reference, settings, private_redis, workers):
    enrollments = _whatsapp_payers(2)
    reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    rows = list(Reminder.objects.order_by("id"))
    last_sms = max(r.pk for r in rows if r.channel == "sms")
    delivered_before_kill = [r for r in rows if r.channel == "whatsapp" and r.pk < last_sms]
    assert delivered_before_kill, "precondition: a WhatsApp row is sent before the last SMS of the batch"

    with DedupingSmsGateway(slow_reference=f"reminder-{last_sms}") as gateway, WhatsAppCloud() as whatsapp:
        env = worker_env(private_redis.url, NOTIFY_SMS_BACKEND="http", SMS_GATEWAY_URL=gateway.url,
                         SMS_GATEWAY_TOKEN="gw-token", NOTIFY_WHATSAPP_BACKEND="http",
                         WHATSAPP_API_URL=whatsapp.url, WHATSAPP_TOKEN="wa-token")
        redis = private_redis.client()
        with celery_publishing_to(private_redis.url, settings):
            reminders.reminders_queue()
            first = workers("first", env=env)
            assert gateway.in_slow_call.wait(timeout=30), "the worker never reached the last SMS"
            first.kill_group()
            assert len(whatsapp.to) == len(delivered_before_kill)
            age_unacked_deliveries(redis)
            workers("second", env=env)
            wait_for(lambda: set(Reminder.objects.values_list("status", flat=True)) == {"sent"}, timeout=30,
                     interval=0.25, what="the redelivered batch to be sent")

    phones = sorted(e.sponsor.phone.lstrip("+") for e in enrollments)
    assert sorted(whatsapp.to) == phones  # one WhatsApp message per payer


class InterruptingSms:
    """Delivers, and is interrupted by the task's soft time limit on the `interrupt_at`-th call."""

    delivered: list[int] = []
    interrupt_at = 2

    def send(self, message):
        from celery.exceptions import SoftTimeLimitExceeded

        if len(InterruptingSms.delivered) + 1 == InterruptingSms.interrupt_at:
            InterruptingSms.interrupt_at = -1  # only once
            raise SoftTimeLimitExceeded()
        InterruptingSms.delivered.append(message.id)
        return f"sms-{message.id}"


@pytest.mark.django_db
def test_a_batch_interrupted_by_the_time_limit_does_not_send_again_what_it_delivered(reference, monkeypatch,
                                                                                      settings):
    from celery.exceptions import SoftTimeLimitExceeded

    InterruptingSms.delivered = []
    InterruptingSms.interrupt_at = 2
    monkeypatch.setitem(backends.BACKENDS["sms"], "interrupting", InterruptingSms)
    settings.NOTIFY_SMS_BACKEND = "interrupting"
    for _ in range(2):
        worker(paid_through=month(2026, 11))
    reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    ids = list(Reminder.objects.values_list("id", flat=True))
    Reminder.objects.update(status="queued")

    with pytest.raises(SoftTimeLimitExceeded):
        reminders.reminders_send(reminder_ids=ids)
    assert len(InterruptingSms.delivered) == 1
    # Later the rows come back (the sweep after 30 minutes, or a redelivery) and are sent.
    Reminder.objects.filter(status__in=["queued", "sending"]).update(
        updated_at=timezone.now() - timedelta(minutes=31))
    reminders.reminders_queue()

    assert set(Reminder.objects.filter(channel="sms").values_list("status", flat=True)) == {"sent"}
    assert len(InterruptingSms.delivered) == len(set(InterruptingSms.delivered)) == 2


class BlockingSms:
    """Delivers; the first call waits until told to go on (a slow provider during a duplicate batch)."""

    calls: list[int] = []
    inside = threading.Event()
    go_on = threading.Event()

    def send(self, message):
        first = not BlockingSms.calls
        BlockingSms.calls.append(message.id)
        if first:
            BlockingSms.inside.set()
            BlockingSms.go_on.wait(timeout=15)
        return f"sms-{message.id}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
def test_two_copies_of_a_batch_running_at_once_send_each_reminder_once(reference, monkeypatch, settings):
    from django.db import connection

    for _ in range(2):
        worker(paid_through=month(2026, 11))
    reminders.reminders_plan(day=DAY, respect_quiet_hours=False)
    BlockingSms.calls = []
    BlockingSms.inside = threading.Event()
    BlockingSms.go_on = threading.Event()
    monkeypatch.setitem(backends.BACKENDS["sms"], "blocking", BlockingSms)
    settings.NOTIFY_SMS_BACKEND = "blocking"
    ids = list(Reminder.objects.filter(channel="sms").values_list("id", flat=True))
    Reminder.objects.update(status="queued")
    errors = []

    def first_copy():
        try:
            reminders.reminders_send(reminder_ids=ids)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=first_copy)
    thread.start()
    try:
        assert BlockingSms.inside.wait(timeout=15), "the first copy never reached the provider"
        reminders.reminders_send(reminder_ids=ids)  # the second copy, while the first is sending
    finally:
        BlockingSms.go_on.set()
        thread.join(timeout=30)

    assert errors == []
    assert set(Reminder.objects.filter(channel="sms").values_list("status", flat=True)) == {"sent"}
    assert sorted(BlockingSms.calls) == sorted(ids)  # each reminder once
