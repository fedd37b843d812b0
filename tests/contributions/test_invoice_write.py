"""Invoice creation without row locks held from its read to its write (services.invoice_create).

The rule "a worker is on one pending invoice at most" is a unique index (InvoiceMonth.pending);
the write checks that each worker is still the row that was read. A worker changed in between
(paid, ended) makes the attempt write nothing and read again; after two such attempts, the third
locks the rows from its read to its write. The changes come from another database connection, as
another request's would.
"""

import datetime
import threading
import time

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from contributions import services
from contributions.models import Invoice, InvoiceMonth
from registration.coverage import add_months
from tests.api import client_for
from tests.contributions.conftest import invoice_post
from tests.factories import enrollment

pytestmark = pytest.mark.usefixtures("reference", "december", "no_throttle")

GUARDED = "guard (ok) AS"


def _pending_lines() -> list[tuple[int, int]]:
    return sorted(InvoiceMonth.objects.filter(pending=True).values_list("enrollment_id", "invoice_id"))


@pytest.mark.django_db
def test_one_line_per_worker_holds_the_pending_mark_and_the_database_refuses_a_second(user, auth_client):
    a, b = enrollment(sponsor=user), enrollment(sponsor=user)
    body = invoice_post(auth_client, [{"worker": a.pk, "months": 3}, {"worker": b.pk, "months": 1}]).json()
    assert _pending_lines() == [(a.pk, body["id"]), (b.pk, body["id"])]
    marked = InvoiceMonth.objects.get(pending=True, enrollment=a)
    assert marked.month == min(InvoiceMonth.objects.filter(enrollment=a).values_list("month", flat=True))

    other = Invoice.objects.create(sponsor=user, number="INV-OTHER", total=36_800, gateway="simulator",
                                   expires_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceMonth.objects.create(invoice=other, enrollment=a, month=marked.month, jkk=10_000, jkm=6_800,
                                    jht=20_000, total=36_800, pending=True)


@pytest.mark.django_db
@pytest.mark.parametrize("way_out", ["cancel", "pay", "expire"])
def test_every_way_out_of_pending_frees_the_workers(user, auth_client, way_out, settings):
    worker = enrollment(sponsor=user)
    body = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], key="first").json()
    invoice = Invoice.objects.get(pk=body["id"])
    if way_out == "cancel":
        assert auth_client.post(f"/api/v1/invoices/{invoice.pk}/cancel").status_code == 200
    elif way_out == "pay":
        paid = auth_client.post("/api/v1/payments/simulator/pay", {"number": invoice.number}, format="json")
        assert paid.status_code == 200, paid.content
        services.invoice_sync(invoice=invoice)
    else:
        Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
        services.invoice_expire_if_stale(invoice=Invoice.objects.get(pk=invoice.pk))
    invoice.refresh_from_db()
    assert invoice.status == {"cancel": "cancelled", "pay": "paid", "expire": "expired"}[way_out]
    assert _pending_lines() == []
    again = invoice_post(auth_client, [{"worker": worker.pk, "months": 1}], key="second")
    assert again.status_code == 201, again.content
    assert _pending_lines() == [(worker.pk, again.json()["id"])]


class Meddler:
    """Before the guarded write of each attempt (up to `times`), change the worker from another
    connection: committed at once, or (`while_waiting`) in a transaction committed while the write
    waits for the row's lock."""

    def __init__(self, sql: str, params: list, *, times: int = 1, while_waiting: bool = False):
        self.sql, self.params, self.times, self.while_waiting = sql, params, times, while_waiting
        self.writes: list[str] = []
        self.timers: list[threading.Timer] = []
        db = connection.settings_dict
        self.other = psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"],
                                     password=db["PASSWORD"], autocommit=not while_waiting)

    def __call__(self, execute, sql, params, many, context):
        if GUARDED in sql or "INSERT INTO" in sql:
            self.writes.append(sql)
        if GUARDED in sql and len([w for w in self.writes if GUARDED in w]) <= self.times:
            self.other.execute(self.sql, self.params)
            if self.while_waiting:  # committed by another thread while this one's write waits
                self.timers.append(threading.Timer(0.5, self.other.commit))
                self.timers[-1].start()
        return execute(sql, params, many, context)

    def close(self):
        for timer in self.timers:
            timer.join()
        self.other.close()


def _create_with(meddler: Meddler, sponsor, items, key="k"):
    client = client_for(sponsor)
    try:
        with connection.execute_wrapper(meddler):
            return invoice_post(client, items, key=key)
    finally:
        meddler.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("while_waiting", [False, True])
def test_a_worker_paid_between_the_read_and_the_write_is_read_again(while_waiting):
    worker = enrollment()
    paid_through = add_months(worker.member.paid_through or timezone.localdate().replace(day=1), 1)
    # A payment credited meanwhile moves the member's paid_through (not the sponsorship's row).
    meddler = Meddler("UPDATE registration_member SET paid_through = %s WHERE id = %s",
                      [paid_through, worker.member_id], while_waiting=while_waiting)
    started = time.monotonic()
    response = _create_with(meddler, worker.sponsor, [{"worker": worker.pk, "months": 1}])
    assert response.status_code == 201, response.content
    if while_waiting:
        assert time.monotonic() - started >= 0.4  # the first write waited for the other's commit
    # Two guarded writes: the first wrote nothing. The months start after the new paid_through.
    assert [GUARDED in sql for sql in meddler.writes] == [True, True]
    assert [m["month"] for m in response.json()["items"][0]["months"]] == [f"{add_months(paid_through, 1):%Y-%m}"]
    assert Invoice.objects.count() == 1 and InvoiceMonth.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_ended_between_the_read_and_the_write_is_refused():
    worker = enrollment()
    meddler = Meddler("UPDATE registration_enrollment SET status = 'ended' WHERE id = %s", [worker.pk])
    response = _create_with(meddler, worker.sponsor, [{"worker": worker.pk, "months": 1}])
    assert response.status_code == 409, response.content
    assert response.json()["errors"][0]["code"] == "worker_not_approved"
    assert not Invoice.objects.exists() and not InvoiceMonth.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_after_two_attempts_the_third_locks_the_workers_from_its_read_to_its_write():
    worker = enrollment()
    meddler = Meddler("UPDATE registration_enrollment SET full_name = full_name WHERE id = %s", [worker.pk], times=99)
    reads: list[str] = []

    def spy(execute, sql, params, many, context):
        if "FROM registration_enrollment e JOIN registration_member m" in sql and "registration_occupation" in sql:
            reads.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        response = _create_with(meddler, worker.sponsor, [{"worker": worker.pk, "months": 3}])
    assert response.status_code == 201, response.content
    assert [GUARDED in sql for sql in meddler.writes] == [True, True, False]
    assert ["FOR NO KEY UPDATE" in sql for sql in reads] == [False, False, True]
    assert InvoiceMonth.objects.filter(invoice_id=response.json()["id"]).count() == 3
    assert _pending_lines() == [(worker.pk, response.json()["id"])]
