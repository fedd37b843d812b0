"""Hand-written data migrations of contributions, run against the real schema."""

import datetime
import json
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from contributions.models import Invoice
from tests.factories import UserFactory

BEFORE_KEYS_MOVED = [("contributions", "0008_invoice_review_partial_index")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@contextmanager
def _schema_at(targets):
    """The models as of `targets` (the database migrated back to them), then the latest schema again."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = _migrate(targets)
    try:
        yield executor.loader.project_state(targets).apps
    finally:
        _migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_0009_moves_each_stored_idempotency_key_onto_its_invoice():
    sponsor, other = UserFactory(), UserFactory()
    with _schema_at(BEFORE_KEYS_MOVED) as old:
        OldInvoice, OldKey = old.get_model("contributions", "Invoice"), old.get_model("contributions", "IdempotencyKey")
        made = [
            OldInvoice.objects.create(sponsor_id=owner.pk, number=f"INV-202612-00000{n}", total=36_800,
                                      gateway="simulator", expires_at=timezone.now())
            for n, owner in enumerate((sponsor, sponsor, other), start=1)
        ]
        OldKey.objects.create(user_id=sponsor.pk, key="k-1", request_hash="a" * 64, status_code=201,
                              response_body=json.dumps({"id": made[0].pk, "number": made[0].number}))
        OldKey.objects.create(user_id=other.pk, key="k-1", request_hash="b" * 64, status_code=201,
                              response_body=json.dumps({"id": made[2].pk}))

    keys = dict(Invoice.objects.values_list("pk", "idempotency_key"))
    assert keys == {made[0].pk: "k-1", made[1].pk: None, made[2].pk: "k-1"}
    assert Invoice.objects.get(pk=made[2].pk).request_hash == "b" * 64
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "contributions_idempotencykey" not in tables


BEFORE_PENDING_MARK = [("contributions", "0010_invoice_pending_sponsor_index")]


@pytest.mark.django_db(transaction=True)
def test_0011_marks_one_line_of_each_worker_of_the_pending_invoices(reference):
    from contributions.models import InvoiceMonth
    from tests.factories import enrollment

    a, b = enrollment(), enrollment()
    with _schema_at(BEFORE_PENDING_MARK) as old:
        OldInvoice, OldLine = old.get_model("contributions", "Invoice"), old.get_model("contributions", "InvoiceMonth")
        lines = {}
        for n, status in enumerate(("pending", "cancelled"), start=1):
            invoice = OldInvoice.objects.create(sponsor_id=a.sponsor_id, number=f"INV-202612-00000{n}", total=1,
                                                gateway="simulator", status=status, expires_at=timezone.now())
            for worker in (a, b):
                for month in (1, 2):
                    line = OldLine.objects.create(invoice=invoice, enrollment_id=worker.pk, jkk=1, jkm=1, jht=1,
                                                  total=3, month=datetime.date(2027, month, 1))
                    lines[(status, worker.pk, month)] = line.pk

    marked = set(InvoiceMonth.objects.filter(pending=True).values_list("pk", flat=True))
    assert marked == {lines[("pending", a.pk, 1)], lines[("pending", b.pk, 1)]}
    assert InvoiceMonth.objects.filter(pending__isnull=True).count() == 6


BEFORE_CASES = [("contributions", "0019_translated_labels")]


@pytest.mark.django_db(transaction=True)
def test_0021_gives_review_cases_their_money_and_closes_the_ones_marked_refunded():
    sponsor, staff = UserFactory(), UserFactory(is_staff=True)
    now = timezone.now()
    with _schema_at(BEFORE_CASES) as old:
        OldInvoice, OldPayment = old.get_model("contributions", "Invoice"), old.get_model("contributions", "Payment")

        def invoice(n: int, status: str, **extra):
            made = OldInvoice.objects.create(sponsor_id=sponsor.pk, number=f"INV-202612-00001{n}", total=36_800,
                                             gateway="simulator", expires_at=now, status=status, **extra)
            return made

        waiting = invoice(1, "needs_review", needs_review_at=now, review_reason="amount_mismatch")
        marked = invoice(2, "needs_review", needs_review_at=now, review_reason="amount_mismatch", refunded_at=now,
                         refund_note="BCA 123", refunded_by_id=staff.pk)
        paid = invoice(3, "paid", paid_at=now)
        for made, amount, credited in ((waiting, 1000, False), (marked, 50_000, False), (paid, 36_800, True)):
            OldPayment.objects.create(invoice_id=made.pk, gateway="simulator", transaction_id=f"t-{made.pk}",
                                      gross_amount=amount, credited=credited, confirmed_at=now)

    rows = {row.pk: row for row in Invoice.objects.all()}
    assert (rows[waiting.pk].received_amount, rows[waiting.pk].review_outcome) == (1000, "")
    assert (rows[marked.pk].received_amount, rows[marked.pk].review_outcome, rows[marked.pk].refund_amount) == (
        50_000, "refunded", 50_000
    )
    assert rows[marked.pk].refund_note == "BCA 123"
    assert (rows[paid.pk].received_amount, rows[paid.pk].review_outcome) == (None, "")
