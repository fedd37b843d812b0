"""core.db.insert_rows: the ORM's bulk_create, without its per-statement machinery."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contributions.models import GatewayNotification, Invoice, InvoiceMonth, SimulatorTransaction
from core.db import insert_rows
from sponsors.models import User
from tests.factories import UserFactory, enrollment

pytestmark = pytest.mark.django_db


def _ledger(order_id: str, transaction_id: str, **fields) -> SimulatorTransaction:
    return SimulatorTransaction(order_id=order_id, transaction_id=transaction_id, va_number="8808", gross_amount=1,
                                **fields)


def test_rows_without_a_key_get_the_database_ids_defaults_and_timestamps():
    before = timezone.now()
    rows = [
        GatewayNotification(gateway="simulator", order_id=f"INV-1-{n}", transaction_status="settlement",
                            payload={"n": n, "nested": ["a", {"b": None}]})
        for n in range(3)
    ]
    insert_rows(rows)

    assert all(row.pk is not None and not row._state.adding for row in rows)
    stored = {row.pk: row for row in GatewayNotification.objects.filter(pk__in=[row.pk for row in rows])}
    for n, row in enumerate(rows):
        read = stored[row.pk]
        assert (read.order_id, read.payload, read.transaction_id, read.processed_at) == (
            f"INV-1-{n}", {"n": n, "nested": ["a", {"b": None}]}, "", None
        )
        assert read.received_at >= before and read.received_at == row.received_at


def test_rows_with_a_key_are_written_with_it():
    insert_rows([_ledger("INV-7", "t-7", pk=987_654)])

    read = SimulatorTransaction.objects.get(pk=987_654)
    assert (read.order_id, read.transaction_id, read.transaction_status) == ("INV-7", "t-7", "pending")


def test_a_constraint_violation_is_djangos_integrity_error_and_writes_nothing():
    insert_rows([_ledger("INV-1", "t-1")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([_ledger("INV-2", "t-2"), _ledger("INV-1", "t-3")])
    assert list(SimulatorTransaction.objects.values_list("order_id", flat=True)) == ["INV-1"]


def test_mixed_rows_are_refused_before_any_statement():
    owner = UserFactory()
    with pytest.raises(ValueError):
        insert_rows([_ledger("INV-1", "t-1"), _ledger("INV-2", "t-2", pk=5)])
    with pytest.raises(ValueError):
        insert_rows([_ledger("INV-1", "t-1"), owner])
    assert not SimulatorTransaction.objects.exists()
    assert User.objects.count() == 1
    assert insert_rows([]) is True  # nothing to write: nothing refused


def _invoice_with_lines(invoice_id: int, months: int) -> tuple[Invoice, list[InvoiceMonth]]:
    worker = enrollment()
    invoice = Invoice(pk=invoice_id, sponsor=worker.sponsor, number=f"INV-TEST-{invoice_id}", total=36_800 * months,
                      gateway="simulator", expires_at=timezone.now())
    lines = [
        InvoiceMonth(invoice=invoice, enrollment=worker, month=datetime.date(2027, 1 + n, 1), jkk=10_000, jkm=6_800,
                     jht=20_000, total=36_800)
        for n in range(months)
    ]
    return invoice, lines


def test_several_models_go_in_one_statement_on_postgresql(reference):
    invoice, lines = _invoice_with_lines(424_242, 3)
    with CaptureQueriesContext(connection) as ctx:
        insert_rows([invoice], lines)

    if connection.vendor == "postgresql":
        assert len(ctx.captured_queries) == 1
    assert not invoice._state.adding and all(not line._state.adding for line in lines)
    assert [line.pk for line in lines] == list(
        InvoiceMonth.objects.filter(invoice_id=424_242).order_by("month").values_list("pk", flat=True)
    )
    stored = Invoice.objects.get(pk=424_242)
    assert (stored.number, stored.total, stored.lines.count()) == ("INV-TEST-424242", 110_400, 3)


def test_several_models_fail_together(reference):
    invoice, lines = _invoice_with_lines(515_151, 2)
    lines[1].month = lines[0].month  # one row per (invoice, enrollment, month)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([invoice], lines)
    assert not Invoice.objects.filter(pk=515_151).exists()
    assert not InvoiceMonth.objects.exists()


def test_every_list_gets_the_ids_the_database_assigned_in_the_one_statement(reference):
    invoice, lines = _invoice_with_lines(616_161, 2)
    ledger = [_ledger("INV-TEST-616161", "t-1"), _ledger("INV-TEST-616162", "t-2")]
    with CaptureQueriesContext(connection) as ctx:
        insert_rows(ledger, lines, [invoice])  # in any order: the keys are checked at the commit

    if connection.vendor == "postgresql":
        assert len(ctx.captured_queries) == 1
    assert [row.pk for row in ledger] == list(
        SimulatorTransaction.objects.order_by("order_id").values_list("pk", flat=True)
    )
    assert [line.pk for line in lines] == list(
        InvoiceMonth.objects.filter(invoice_id=616_161).order_by("month").values_list("pk", flat=True)
    )
    assert None not in [row.pk for row in ledger + lines]
    assert Invoice.objects.get(pk=616_161).lines.count() == 2


def test_lists_that_all_carry_their_keys_are_written_with_them(reference):
    invoice, _ = _invoice_with_lines(818_181, 1)
    insert_rows([_ledger("INV-TEST-818181", "t-8", pk=818_000)], [invoice])

    assert SimulatorTransaction.objects.get(pk=818_000).order_id == "INV-TEST-818181"
    assert Invoice.objects.get(pk=818_181).number == "INV-TEST-818181"


def test_the_statement_of_a_list_does_not_grow_with_its_rows_on_postgresql(reference):
    """Several rows of a model go as one array per column (UNNEST, as bulk_create does): one
    statement text, so one prepared statement, and as many parameters for 2 rows as for 12."""
    sent = []

    def record(execute, sql, params, many, context):
        sent.append((sql, len(params)))
        return execute(sql, params, many, context)

    for invoice_id, months in ((717_171, 2), (727_272, 12)):
        invoice, lines = _invoice_with_lines(invoice_id, months)
        with connection.execute_wrapper(record):
            insert_rows([invoice], lines)
        assert InvoiceMonth.objects.filter(invoice_id=invoice_id).count() == months
    stored = InvoiceMonth.objects.filter(invoice_id=727_272).order_by("month").first()
    assert (stored.month, stored.jkk, stored.jkm, stored.jht, stored.total, stored.adjustment) == (
        datetime.date(2027, 1, 1), 10_000, 6_800, 20_000, 36_800, ""
    )
    if connection.vendor == "postgresql":
        assert len(sent) == 2 and sent[0] == sent[1] and "UNNEST(" in sent[0][0]
    else:
        assert len(sent) == 4  # SQLite: the invoice, then its lines


@pytest.mark.parametrize("answer", [True, False])
def test_a_guard_runs_first_in_the_same_statement_and_a_false_one_writes_nothing(reference, answer):
    """One row of a model (a SELECT of its values, nullable columns included) and several (arrays),
    each written only if the guard says so; one statement either way."""
    owner = UserFactory()
    invoice = Invoice(pk=424_242, sponsor=owner, number="INV-G", total=36_800, gateway="simulator",
                      expires_at=timezone.now())
    lines = [
        InvoiceMonth(invoice=invoice, enrollment=enrollment(), month=datetime.date(2027, month, 1), jkk=10_000,
                     jkm=6_800, jht=20_000, total=36_800)
        for month in (1, 2)
    ]
    with CaptureQueriesContext(connection) as ctx:
        written = insert_rows([_ledger("INV-G", "t-g")], [invoice], lines, guard=("SELECT %s", [answer]))

    assert written is answer
    assert len(ctx.captured_queries) == 1
    assert SimulatorTransaction.objects.filter(order_id="INV-G").exists() is answer
    assert Invoice.objects.filter(pk=424_242).exists() is answer
    assert InvoiceMonth.objects.filter(invoice_id=424_242).count() == (2 if answer else 0)
    assert all((line.pk is not None) is answer for line in lines)
