"""The pending-invoice lookups read the workers' pending marks, not a worker's billing history.

A worker's lines grow by one a month, for years. The check before every new invoice, a worker's end
and the reminders used to start from the worker's lines and read every invoice the worker was ever
billed on; then from a partial index of the sponsor's pending invoices (contributions 0010); now
from the unique index of InvoiceMonth.pending, one entry per worker of a pending invoice
(contributions 0012, 0013). The test tables are tiny, so each statement is planned with fresh
statistics and without the shortcuts a tiny table allows (sequential scans, bitmaps, hash and merge
joins: index lookups joined by nested loops, as on a large table), and run under EXPLAIN ANALYZE,
which says how many rows it read.
"""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from contributions import reminders, services
from contributions.models import Invoice, InvoiceMonth
from core.db import insert_rows
from core.exceptions import Conflict
from tests.factories import enrollment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference")]

HISTORY = 24  # two years of monthly invoices, closed
OTHERS = 8  # other sponsors' workers, with the same history and an invoice pending now


def _billed(worker, invoice_ids: range) -> None:
    """Closed invoices of this worker, one month each, written as a live table holds them once
    vacuumed: an invoice that was pending leaves a dead entry in the partial index until VACUUM,
    and the whole test runs in one transaction."""
    past = [
        Invoice(pk=pk, sponsor=worker.sponsor, number=f"INV-PAST-{pk}", total=36_800, gateway="simulator",
                status="cancelled", expires_at=timezone.now())
        for pk in invoice_ids
    ]
    lines = [
        InvoiceMonth(invoice=invoice, enrollment=worker, month=datetime.date(2024 + n // 12, 1 + n % 12, 1),
                     jkk=10_000, jkm=6_800, jht=20_000, total=36_800)
        for n, invoice in enumerate(past)
    ]
    insert_rows(past, lines)


def _worker_with_history():
    """A worker billed HISTORY times before, among other sponsors' workers billed as often, whose
    latest invoices are pending: pending invoices are a few percent of all, as in production."""
    for n in range(OTHERS):
        other = enrollment()
        _billed(other, range(900_000 + 100 * n, 900_000 + 100 * n + HISTORY))
        services.invoice_create(sponsor=other.sponsor, items=[{"worker": other.pk, "months": 1}])
    worker = enrollment()
    _billed(worker, range(990_000, 990_000 + HISTORY))
    return worker


def _statements(run, marker: str) -> list[tuple[str, list]]:
    """The statements `run()` sends whose SQL contains `marker`, with their parameters; what `run()`
    wrote is rolled back."""
    sent = []

    def record(execute, sql, params, many, context):
        if marker in sql:
            sent.append((sql, list(params)))
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(record):
        run()
        transaction.set_rollback(True)
    assert sent, marker
    return sent


def _rows_read(sql: str, params: list) -> int:
    """Rows the statement read: those each scan returned, and those its filters removed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE contributions_invoice, contributions_invoicemonth")  # statistics, as a live table has
        for plan_type in ("seqscan", "bitmapscan", "hashjoin", "mergejoin"):  # a tiny table's shortcuts
            cursor.execute(f"SET LOCAL enable_{plan_type} = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    read, nodes = 0, [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if "Scan" in node["Node Type"]:
            read += node["Actual Rows"] * node["Actual Loops"] + node.get("Rows Removed by Filter", 0)
    return read


def test_the_check_before_a_new_invoice_does_not_read_the_workers_history():
    worker = _worker_with_history()

    [(sql, params)] = _statements(
        lambda: services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}]),
        "EXISTS (SELECT 1 FROM contributions_invoicemonth",
    )

    assert _rows_read(sql, params) <= 3  # the worker, its member, its occupation; nothing pending: no line
    services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    with pytest.raises(Conflict) as refused:  # and a pending invoice is found
        services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    assert refused.value.code == "pending_invoice_exists"


def test_ending_a_worker_reads_only_their_pending_invoice():
    worker = _worker_with_history()
    pending = services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 3}])

    [(sql, params)] = _statements(
        lambda: services.invoices_cancel_for_worker(enrollment_id=worker.pk), "FOR NO KEY UPDATE"
    )

    assert _rows_read(sql, params) <= 6  # the worker's enrollment, the pending invoice, its lines
    assert services.invoices_cancel_for_worker(enrollment_id=worker.pk) == [pending]
    pending.refresh_from_db()
    assert pending.status == "cancelled"


def test_the_reminders_read_only_the_pending_invoices():
    worker = _worker_with_history()
    pending = services.invoice_create(sponsor=worker.sponsor, items=[{"worker": worker.pk, "months": 1}])
    found = {}

    [(sql, params)] = _statements(
        lambda: found.update(reminders._pending_invoices({worker.pk})), "contributions_invoicemonth"
    )

    assert found == {worker.pk: (pending.number, pending.va_number, "va_bca")}
    assert _rows_read(sql, params) <= 3  # the pending invoice and its line
