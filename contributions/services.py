"""Contributions: quotes, invoices, settlement through gateway confirmation, and the coverage ledger.

Money rules (QUALITY.md, Payments): credit only what the gateway's own status lookup confirms; every
(member, month) is covered at most once (a unique constraint), whoever pays; a wrong amount, an
already covered month, months of a coverage period that lapsed meanwhile, or money that came after the
invoice closed leave the invoice in `needs_review` and cover nothing; repeats and reorderings of
notifications never change anything twice nor move a state backwards.

Invoices bill sponsorships (enrollments, the API's workers); the months they cover land on the
member, whose `paid_through` decides what a new invoice bills.
"""

import datetime
import logging
from collections import defaultdict
from contextlib import nullcontext
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone

from contributions.choices import (
    ALLOWED_MONTH_COUNTS,
    CLOSING_STATUSES,
    INVOICE_TRANSITIONS,
    MAX_PREPAY_MONTHS_AHEAD,
    InvoiceStatus,
    ReviewOutcome,
    ReviewReason,
)
from contributions.gateways import GatewayError, GatewayRefused, GatewayStatus, gateways_polled, get_gateway, method_offered
from contributions.gateways.methods import Method
from contributions.models import CoverageMonth, GatewayNotification, Invoice, InvoiceMonth, Payment
from contributions.pricing import MonthPrice, RateBook
from core.audit import audit_log_record
from core.db import insert_rows, placeholders, update_rows
from core.exceptions import Conflict, DomainError
from notifications import services as notifications
from registration import services as registration
from registration.choices import EnrollmentStatus
from registration.coverage import MAX_ARREARS_MONTHS, add_months, coverage_for, months_between
from registration.models import Enrollment

logger = logging.getLogger(__name__)

# --- Quotes ---------------------------------------------------------------------------------------


def months_require(months, *, attr: str = "months") -> int:
    if isinstance(months, bool) or months not in ALLOWED_MONTH_COUNTS:
        raise DomainError("months_not_allowed", attr=attr)
    return months


def quote_months(
    *, income_level: int, programmes: list[str], occupation: str, months: int, start_month: datetime.date | None
) -> list[MonthPrice]:
    """Price `months` consecutive months from `start_month` (default: the current month, WIB)."""
    level = registration.income_level_require(income_level)
    jht = registration.programmes_require(programmes)
    sector = registration.occupation_require(occupation).sector
    count = months_require(months)
    first = start_month or registration.today_wib().replace(day=1)
    book = RateBook.current()
    return [
        book.price(month=add_months(first, offset), sector=sector, income_level=level.amount, jht=jht)
        for offset in range(count)
    ]


# --- Invoices -------------------------------------------------------------------------------------


def billable_months(
    *, paid_through: datetime.date | None, count: int, today: datetime.date, attr: str = "items"
) -> list[datetime.date]:
    """The months a new payment for a member paid through `paid_through` covers: the oldest payable
    arrears first, else the month after `paid_through`, else the current month; never more than 12
    months ahead."""
    cover = coverage_for(paid_through=paid_through, today=today, payable=True)
    months = [add_months(cover.first_payable_month, offset) for offset in range(count)]
    if months_between(today.replace(day=1), months[-1]) > MAX_PREPAY_MONTHS_AHEAD:
        raise DomainError("prepay_limit_exceeded", attr=attr, limit=MAX_PREPAY_MONTHS_AHEAD)
    return months


def _transition(invoice: Invoice, target: str, **fields) -> Invoice:
    return _transition_many([invoice], target, **fields)[0]


def _transition_many(invoices: list[Invoice], target: str, **fields) -> list[Invoice]:
    """Move locked invoices to `target` (the map in choices.py), stamping `fields`: two statements
    whatever their number."""
    for invoice in invoices:
        if target not in INVOICE_TRANSITIONS[invoice.status]:
            raise Conflict("invoice_not_pending", status=invoice.status)
    if not invoices:
        return invoices
    pending = [invoice.pk for invoice in invoices if invoice.status == InvoiceStatus.PENDING]
    if pending:
        # Their workers are free to be billed again (InvoiceMonth.pending).
        InvoiceMonth.objects.filter(invoice_id__in=pending, pending=True).update(pending=None)
    now = timezone.now()
    Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).update(status=target, updated_at=now, **fields)
    for invoice in invoices:
        invoice.status, invoice.updated_at = target, now
        for name, value in fields.items():
            setattr(invoice, name, value)
    return invoices


# Invoice creation is the API's busiest write, so its statements are written by hand (see core/db.py
# for what the ORM costs there); each one is the query the ORM version made, for PostgreSQL and SQLite.

# Attempts that write without holding row locks between the read and the write, before one that does.
UNLOCKED_ATTEMPTS = 2
ONE_PENDING = "contributions_invoicemonth_one_pending"
# A worker's version (PostgreSQL), read by _workers_read and compared by _unchanged: the xmin of the
# sponsorship's row and of its member's row (paid_through), which changes with every update of the
# row; the id keeps two rows updated by one transaction apart.
ROW_VERSION = "e.id::text || ':' || e.xmin::text || ':' || m.xmin::text"
# A sponsorship with its member and occupation.
WORKERS_FROM = (
    "registration_enrollment e JOIN registration_member m ON m.id = e.member_id "
    "JOIN registration_occupation o ON o.code = e.occupation_id"
)


def _row_lock() -> str:
    """The lock of the workers' rows (the sponsorships, alias e, and their members, m) from a read to
    a write: FOR NO KEY UPDATE OF e, m."""
    return connection.ops.for_update_sql(of=("e", "m"), no_key=connection.features.has_select_for_no_key_update)


class ReadWorker(NamedTuple):
    id: int
    status: str
    full_name: str
    paid_through: datetime.date | None
    income_level_id: int
    jht: bool
    sector: str
    version: str | None  # "id:xmin:xmin" on PostgreSQL: changes with every update of either row


def _workers_read(*, sponsor_id: int, worker_ids: list[int], lock: bool) -> tuple[list[ReadWorker], bool, int]:
    """The sponsor's listed workers; whether one of them is on a pending invoice; and the id of the
    invoice about to be made. One statement.

    The id is taken before the row is written, so the invoice's number is known before the gateway
    opens the VA and the row is written once, complete (an UPDATE of a new invoice rewrites all its
    indexes). A request refused later leaves a gap in the ids, as a rolled-back one does.

    The pending check reads the index of InvoiceMonth.pending, one entry per worker billed by a
    pending invoice. It is an early answer (no VA is opened for a refused request); the rule itself
    is that index's uniqueness, which the write meets whatever committed since this read.

    `paid_through` is the member's: billing continues after the months anyone paid for the person.

    `lock`: the rows FOR NO KEY UPDATE, in id order (two requests never deadlock; a payment's credit
    locks members in the same order), for a caller that writes in the same transaction. NO KEY: it
    does not wait for the foreign-key checks of the reminder pass, which hold the workers it reminds
    FOR KEY SHARE until it commits (tests/reminders/test_pass_locks.py). OF e, m: the workers' and
    their members' rows only, not the occupation's, which every worker of that occupation shares
    (tests/test_lock_scope.py)."""
    low, high = connection.ops.integer_field_range("BigAutoField")
    worker_ids = [worker_id for worker_id in worker_ids if low <= worker_id <= high]  # others cannot exist
    if not worker_ids:
        return [], False, 0
    postgres = connection.vendor == "postgresql"
    pending = (
        "EXISTS (SELECT 1 FROM contributions_invoicemonth m "
        f"WHERE m.pending AND m.enrollment_id IN ({placeholders(len(worker_ids))}))"
    )
    if postgres:
        version = ROW_VERSION
        next_id = "(SELECT nextval(pg_get_serial_sequence('contributions_invoice', 'id')))"
    else:
        # SQLite: the transaction holds the database's write lock from its start (IMMEDIATE, in
        # settings), so no other writer can take the same id; AUTOINCREMENT's counter keeps ids
        # of deleted rows unused.
        version = "NULL"
        next_id = (
            "MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'contributions_invoice'), 0), "
            "COALESCE((SELECT MAX(id) FROM contributions_invoice), 0)) + 1"
        )
    for_update = " " + _row_lock() if lock and connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id, e.status, e.full_name, m.paid_through, e.income_level_id, e.jht, o.sector, "
            f"{version}, {pending}, {next_id} FROM {WORKERS_FROM} "
            f"WHERE e.sponsor_id = %s AND e.id IN ({placeholders(len(worker_ids))}) ORDER BY e.id{for_update}",
            [*worker_ids, sponsor_id, *worker_ids],
        )
        rows = cursor.fetchall()
    if not rows:
        return [], False, 0
    return [ReadWorker(*row[:8]) for row in rows], bool(rows[0][8]), rows[0][9]


def _unchanged(*, sponsor_id: int, workers: list[ReadWorker]) -> tuple[str, list]:
    """The guard of an unlocked write (core.db.insert_rows): whether every worker (sponsorship and
    member) is still the row that was read, locked FOR NO KEY UPDATE (as in _workers_read) for the
    rest of the statement.

    Locking a row that another transaction updated meanwhile re-evaluates these conditions on the
    row's newest version (READ COMMITTED), whose xmin differs; a transaction still writing it is
    waited for first. So a worker paid, ended or edited since the read fails the guard, and nothing
    is written: the caller reads again."""
    ids = [worker.id for worker in workers]
    sql = (
        "SELECT count(*) = %s FROM (SELECT 1 FROM registration_enrollment e "
        "JOIN registration_member m ON m.id = e.member_id "
        f"WHERE e.sponsor_id = %s AND e.id IN ({placeholders(len(ids))}) "
        f"AND {ROW_VERSION} IN ({placeholders(len(ids))}) ORDER BY e.id {_row_lock()}) locked"
    )
    return sql, [len(ids), sponsor_id, *ids, *[worker.version for worker in workers]]


def _violates(exc: IntegrityError, constraint: str) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:
        return diag.constraint_name == constraint
    return "contributions_invoicemonth.enrollment_id" in str(exc)  # SQLite names the columns


def invoice_create(
    *,
    sponsor,
    items: list[dict],
    idempotency_key: str | None = None,
    request_hash: str = "",
    payment_method: "str | Method | None" = None,
    gateway=None,
) -> Invoice:
    """Bill 1, 3, 6 or 12 months for each listed worker of the sponsor, and open a payment for the
    total by `payment_method` (default: DEFAULT_PAYMENT_METHOD) through the configured gateway.

    Issue 22: `payment_method` is a code the gateway must offer, or a Method as it is (autopay's);
    `gateway` opens the payment (default: PAYMENT_GATEWAY's; autopay passes one that opens nothing,
    it charges the linked account afterwards).

    `idempotency_key` and `request_hash` are the client's key and its request's fingerprint, stored
    on the invoice (contributions/idempotency.py); a key the sponsor used before fails the INSERT
    (IntegrityError), and the work with it.

    On PostgreSQL, outside a transaction: two statements and no transaction of its own. One reads
    the workers; the other writes the gateway's ledger row, the invoice and its lines, if the
    workers are unchanged since the read (_unchanged) and none is on another pending invoice (the
    unique index of InvoiceMonth.pending): a statement is atomic. A worker changed meanwhile (paid,
    ended) means reading again; after UNLOCKED_ATTEMPTS, the read locks the rows until the write,
    in a transaction (the SQLite way: its transactions take the database's write lock)."""
    if not items:
        raise DomainError("items_invalid", attr="items")
    # An item's error names the item and its field (`items.1.months`); `counts` keeps the
    # client's order, so a worker's position in it is its item's index.
    counts: dict[int, int] = {}
    for index, item in enumerate(items):
        if item["worker"] in counts:
            raise DomainError("items_invalid", attr=f"items.{index}.worker")
        counts[item["worker"]] = months_require(item["months"], attr=f"items.{index}.months")
    today = registration.today_wib()
    gateway = gateway or get_gateway()
    method = (  # issue 22
        payment_method
        if isinstance(payment_method, Method)
        else method_offered(payment_method or settings.DEFAULT_PAYMENT_METHOD, gateway.name)
    )
    unlocked = UNLOCKED_ATTEMPTS if connection.vendor == "postgresql" else 0
    for attempt in range(unlocked + 1):
        lock = attempt == unlocked
        with transaction.atomic() if lock else nullcontext():
            invoice = _invoice_write(
                sponsor=sponsor, counts=counts, today=today, gateway=gateway, lock=lock,
                idempotency_key=idempotency_key, request_hash=request_hash, method=method,
            )
        if invoice is not None:
            return invoice
    raise AssertionError("a locked attempt always writes or raises")  # pragma: no cover


def _invoice_write(
    *, sponsor, counts: dict[int, int], today, gateway, lock: bool, idempotency_key, request_hash, method: Method
) -> Invoice | None:
    """One attempt of invoice_create: the invoice, or None if a worker changed since it was read."""
    workers, pending, invoice_id = _workers_read(sponsor_id=sponsor.pk, worker_ids=sorted(counts), lock=lock)
    if len(workers) != len(counts):
        raise Http404
    by_id = {worker.id: worker for worker in workers}
    index = {worker_id: position for position, worker_id in enumerate(counts)}
    for worker in workers:
        if worker.status != EnrollmentStatus.APPROVED:
            raise Conflict("worker_not_approved", attr=f"items.{index[worker.id]}.worker", name=worker.full_name)
    if pending:
        raise Conflict("pending_invoice_exists", attr="items")

    book = RateBook.current()
    lines: list[InvoiceMonth] = []
    for worker_id in counts:  # the order the client listed them
        lines += _invoice_lines(
            by_id[worker_id], counts[worker_id], today=today, book=book, attr=f"items.{index[worker_id]}.months"
        )
    invoice, charge = _invoice_open(
        invoice_id=invoice_id, sponsor=sponsor, lines=lines, gateway=gateway, method=method,
        idempotency_key=idempotency_key, request_hash=request_hash,
    )
    guard = None if lock else _unchanged(sponsor_id=sponsor.pk, workers=workers)
    try:
        # Inside a caller's transaction, a failed statement must not spoil it: a savepoint.
        with transaction.atomic() if guard and connection.in_atomic_block else nullcontext():
            written = insert_rows(list(charge.ledger), [invoice], lines, guard=guard)  # one statement on PostgreSQL
    except IntegrityError as exc:
        if _violates(exc, ONE_PENDING):  # billed by an invoice committed since the read
            raise Conflict("pending_invoice_exists", attr="items") from None
        raise
    if not written:
        return None
    # The caller renders the invoice with its lines without reading them back: fill the relation's
    # cache the way prefetch_related does (a queryset whose results are already known).
    known = invoice.lines.all()
    known._result_cache, known._prefetch_done = lines, True
    invoice._prefetched_objects_cache = {"lines": known}
    return invoice


def _invoice_lines(worker: ReadWorker, count: int, *, today, book: RateBook, attr: str) -> list[InvoiceMonth]:
    """The months a new invoice bills for a worker (billable_months), each priced by the rates in
    force for it; the first one marks the worker as billed by a pending invoice (InvoiceMonth.pending)."""
    lines = []
    for n, month in enumerate(billable_months(paid_through=worker.paid_through, count=count, today=today, attr=attr)):
        price = book.price(month=month, sector=worker.sector, income_level=worker.income_level_id, jht=worker.jht)
        lines.append(
            InvoiceMonth(
                enrollment_id=worker.id,
                month=month,
                jkk=price.jkk,
                jkm=price.jkm,
                jht=price.jht,
                total=price.total,
                adjustment=price.adjustment or "",
                pending=True if n == 0 else None,
            )
        )
    return lines


def _invoice_open(*, invoice_id: int, sponsor, lines, gateway, method: Method, idempotency_key=None, request_hash=""):
    """The invoice of `lines` (its id taken already), with its payment opened at the gateway: (the
    unsaved invoice, the gateway's Charge). `amount_out_of_range` (issue 22) or 503 `gateway_unavailable`."""
    now = timezone.now()
    invoice = Invoice(
        pk=invoice_id,
        sponsor=sponsor,
        number=f"INV-{timezone.localtime(now):%Y%m}-{invoice_id:06d}",
        total=sum(line.total for line in lines),
        gateway=gateway.name,
        payment_method=method.code,
        expires_at=now + method.lifetime,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    payment_method_accepts(method, invoice.total)  # issue 22
    try:
        charge = gateway.create_charge(
            order_id=invoice.number, gross_amount=invoice.total, expires_at=invoice.expires_at, method=method
        )
    except GatewayError as exc:
        logger.warning("gateway %s could not open a %s payment for %s: %s", gateway.name, method.code, invoice.number, exc)
        raise DomainError("gateway_unavailable", status_code=503) from exc
    invoice.va_number = charge.va_number
    invoice.payment_details = charge.details  # issue 22
    invoice.expires_at = charge.expires_at  # issue 22: the opener's (autopay's lasts until the due date)
    invoice.gateway_reference = charge.reference
    for line in lines:
        line.invoice = invoice
    return invoice, charge


class Bill(NamedTuple):
    """One invoice of invoices_create_month: a sponsor's workers, one month each, and how it is paid."""

    sponsor: object
    worker_ids: list[int]
    method: Method
    gateway: object  # the opener (services.invoice_create's `gateway`)


def invoices_create_month(*, bills: list[Bill], month: datetime.date) -> list["Invoice | DomainError | None"]:
    """invoice_create for many sponsors at once, one month for each worker (autopay's month, issue 22):
    one locked read, one id per invoice, one INSERT of the invoices and their lines. PostgreSQL;
    inside the caller's transaction.

    The workers' rows (sponsorships and members) are locked in id order, as invoice_create locks
    them, so what the read says holds until the commit. A worker no longer approved, paid through
    `month` by now or on a pending invoice is left out of its bill; the rest are billed as
    invoice_create bills them (_invoice_lines, _invoice_open). For each bill: its invoice, None when
    nothing is left to bill, or the DomainError invoice_create would raise (`amount_out_of_range`)."""
    wanted = sorted({worker_id for bill in bills for worker_id in bill.worker_ids})
    if not wanted:
        return [None] * len(bills)
    pending = "EXISTS (SELECT 1 FROM contributions_invoicemonth b WHERE b.pending AND b.enrollment_id = e.id)"
    lock = " " + _row_lock() if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id, e.status, e.full_name, m.paid_through, e.income_level_id, e.jht, o.sector, NULL, "
            f"e.sponsor_id FROM {WORKERS_FROM} WHERE e.id IN ({placeholders(len(wanted))}) AND e.status = %s "
            f"AND NOT {pending} AND (m.paid_through IS NULL OR m.paid_through < %s) ORDER BY e.id{lock}",
            [*wanted, EnrollmentStatus.APPROVED, month],
        )
        workers = {row[0]: (row[8], ReadWorker(*row[:8])) for row in cursor.fetchall()}
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('contributions_invoice', 'id')) FROM generate_series(1, %s)",
                [len(bills)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        else:  # SQLite: the transaction holds the database's write lock (_workers_read)
            cursor.execute(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'contributions_invoice'), 0), "
                "COALESCE((SELECT MAX(id) FROM contributions_invoice), 0)) + 1"
            )
            first = cursor.fetchone()[0]
            ids = list(range(first, first + len(bills)))
    today = registration.today_wib()
    book = RateBook.current()
    results: list = []
    ledger, invoices, lines = [], [], []
    for bill, invoice_id in zip(bills, ids, strict=True):
        billed = [workers[w][1] for w in bill.worker_ids if w in workers and workers[w][0] == bill.sponsor.pk]
        if not billed:
            results.append(None)
            continue
        bill_lines = [line for worker in billed for line in _invoice_lines(worker, 1, today=today, book=book, attr="items")]
        try:
            invoice, charge = _invoice_open(
                invoice_id=invoice_id, sponsor=bill.sponsor, lines=bill_lines, gateway=bill.gateway, method=bill.method
            )
        except DomainError as exc:
            results.append(exc)
            continue
        results.append(invoice)
        ledger += charge.ledger
        invoices.append(invoice)
        lines += bill_lines
    insert_rows(ledger, invoices, lines)
    return results


def payment_method_accepts(method: Method, amount: int) -> None:
    """`amount_out_of_range` unless the method takes `amount` (its bounds at the gateway)."""
    if not method.accepts(amount):
        raise DomainError(
            "amount_out_of_range",
            attr="payment_method",
            method=method.name,
            min_amount=notifications.rupiah(method.min_amount),
            max_amount=notifications.rupiah(method.max_amount),
        )


def _gateway_cancel(invoice: Invoice) -> None:
    """Close the VA of an invoice cancelled here (after the commit: the cancellation stands anyway)."""
    try:
        get_gateway(invoice.gateway).cancel(order_id=gateway_order_id(invoice), reference=invoice.gateway_reference)
    except GatewayRefused as exc:
        _gateway_refused(invoice, exc)
    except GatewayError:
        # The VA dies at its expiry anyway; a payment that still arrives is credited or reviewed.
        logger.warning("gateway could not cancel %s; it will expire on its own", invoice.number)


def _gateway_refused(invoice: Invoice, exc: GatewayRefused) -> None:
    """The gateway would not close the payment: it is no longer pending there, perhaps paid just
    before. Ask what it is now, so money already taken is credited (or reviewed) without waiting for
    a notification; if it cannot be asked, reconciliation and the notification still will."""
    logger.warning("gateway refused to close %s: %s", invoice.number, exc)
    try:
        invoice_sync(invoice=invoice)
    except GatewayError:
        logger.warning("gateway could not be asked about %s after its refusal", invoice.number)


def invoice_cancel(*, invoice: Invoice) -> Invoice:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(no_key=True).get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.PENDING:
            raise Conflict("invoice_not_pending", status=invoice.status)
        _transition(invoice, InvoiceStatus.CANCELLED, cancelled_at=timezone.now())
    _gateway_cancel(invoice)
    return invoice


def invoices_cancel_for_worker(*, enrollment_id: int) -> list[Invoice]:
    """Cancel the pending invoices that bill this worker, whose sponsorship ends: each invoice whole (its
    VA is paid in full or not at all; the sponsor bills their other workers again), here now and at the
    gateway after the commit. Runs inside the caller's transaction (registration's enrollment_end)."""
    # From the index of InvoiceMonth.pending, not from the worker's whole billing history.
    billing = InvoiceMonth.objects.filter(enrollment_id=enrollment_id, pending=True).values("invoice_id")
    cancelled = []
    now = timezone.now()
    locked = Invoice.objects.select_for_update(no_key=True).filter(pk__in=billing).order_by("pk")
    for invoice in locked:
        if invoice.status != InvoiceStatus.PENDING:  # paid or closed while we waited for its lock
            continue
        cancelled.append(_transition(invoice, InvoiceStatus.CANCELLED, cancelled_at=now))
        transaction.on_commit(partial(_gateway_cancel, invoice))
    return cancelled


# --- Finance's needs-review cases (issue 24) --------------------------------------------------------
# A `needs_review` invoice holds money that covered nothing. Finance closes the case: the money goes
# back to the payer (a refund, recorded after the bank transfer), or, where the domain allows it, it is
# credited after a check through the one crediting path (_cover_many). Each is audit-logged with its actor.

# Who closes cases: finance (superusers have every permission).
CLOSE_CASES = "contributions.change_invoice"


def _case_closer_require(actor) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(CLOSE_CASES):
        raise DomainError("permission_denied", status_code=403)


def _open_case_lock(invoice: Invoice) -> Invoice:
    """The invoice, locked, if its case is open; else 409."""
    invoice = Invoice.objects.select_for_update(no_key=True).get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.NEEDS_REVIEW or invoice.review_outcome:
        raise Conflict("invoice_not_refundable", status=invoice.status)
    return invoice


def invoice_refund(
    *, invoice: Invoice, actor, amount: int, reference: str, transferred_on: datetime.date, note: str = ""
) -> Invoice:
    """Finance records that money of a `needs_review` invoice went back to the payer by bank transfer:
    the amount (at most what was received), the transfer's reference and date. Closes the case."""
    _case_closer_require(actor)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError("refund_amount_invalid", attr="amount")
    reference = (reference or "").strip()
    if not reference:
        raise DomainError("refund_reference_required", attr="reference")
    if not isinstance(transferred_on, datetime.date) or transferred_on > registration.today_wib():
        raise DomainError("refund_date_invalid", attr="transferred_on")
    note = (note or "").strip()
    with transaction.atomic():
        invoice = _open_case_lock(invoice)
        received = invoice.received_amount or 0
        if amount > received:
            raise DomainError("refund_exceeds_received", attr="amount", received=notifications.rupiah(received))
        invoice.review_outcome = ReviewOutcome.REFUNDED
        invoice.refund_amount = amount
        invoice.refund_reference = reference
        invoice.refund_transferred_on = transferred_on
        invoice.refund_note = note
        invoice.refunded_at = timezone.now()
        invoice.refunded_by = actor
        invoice.save(update_fields=[
            "review_outcome", "refund_amount", "refund_reference", "refund_transferred_on", "refund_note",
            "refunded_at", "refunded_by", "updated_at",
        ])
        detail = f"{amount} ref {reference} on {transferred_on.isoformat()}" + (f": {note}" if note else "")
        audit_log_record(actor=actor, action="invoice_refund", obj=invoice, detail=detail)
    return invoice


def invoice_credit_after_review(*, invoice: Invoice, actor, note: str = "") -> Invoice:
    """Finance credits the money of a `needs_review` invoice after checking it: only money that came
    after the invoice expired or was cancelled (`invoice_closed`), of exactly its total, whose months
    are still uncovered, whose workers' coverage has not lapsed meanwhile (DOMAIN.md: after a lapse
    the old months are not paid) and that no pending invoice bills again. The months are covered
    through the path every payment takes, the invoice becomes paid and the payer gets the receipt.
    Anything else stays for a refund (409 `review_not_creditable`, saying why); nothing is written."""
    _case_closer_require(actor)

    def refused(text: str, **params):
        return Conflict("review_not_creditable", text=text, **params)

    with transaction.atomic():
        invoice = _open_case_lock(invoice)
        if invoice.review_reason != ReviewReason.INVOICE_CLOSED:
            raise refused("credit_only_late_money")
        payments = list(invoice.payments.filter(credited=False).order_by("id"))
        received = sum(payment.gross_amount for payment in payments)
        if len(payments) != 1 or received != invoice.total:
            raise refused("credit_amount_differs", received=notifications.rupiah(received),
                          total=notifications.rupiah(invoice.total))
        workers = invoice.lines.values("enrollment_id")
        if InvoiceMonth.objects.filter(enrollment_id__in=workers, pending=True).exists():
            raise refused("credit_pending_invoice")
        now = timezone.now()
        failed = _cover_many(
            [(invoice, payments[0])], now=now, credited_by=actor, review_outcome=ReviewOutcome.CREDITED
        )
        if failed:
            reason = failed[0][2]
            raise refused("credit_coverage_lapsed" if reason == ReviewReason.COVERAGE_LAPSED else "credit_months_covered")
        note = (note or "").strip()
        audit_log_record(actor=actor, action="invoice_credit_after_review", obj=invoice, detail=note)
    return invoice


# --- Gateway notifications and settlement ---------------------------------------------------------

def gateway_order_id(invoice: Invoice) -> str:
    """The order id the gateway knows the invoice's current payment by: its number, or for an autopay
    invoice charged again after a decline, the number and the attempt (a gateway takes an order id once)."""
    attempt = (invoice.payment_details or {}).get("attempt", 1)
    return invoice.number if attempt <= 1 else f"{invoice.number}-{attempt}"


def invoice_number_of(order_id: str) -> str:
    """The invoice number of a gateway order id (gateway_order_id's inverse)."""
    parts = order_id.split("-")
    return "-".join(parts[:3]) if len(parts) == 4 and parts[0] == "INV" and parts[3].isdigit() else order_id


def notification_receive(*, gateway_name: str, payload, headers=None) -> GatewayNotification:
    """Check and store a gateway notification. Raises 400 (malformed), 401 (signature or callback
    token), 404 (order).

    The check proves the gateway sent it, not that the payment is real now (Midtrans' signature covers
    neither `transaction_status` nor a timestamp; Xendit's token is the same on every call): the
    notification only triggers a status lookup.
    """
    gateway = get_gateway(gateway_name)
    info = gateway.notification_read(payload=payload, headers=headers or {})
    if not Invoice.objects.filter(number=invoice_number_of(info.order_id), gateway=gateway.name).exists():
        raise Http404
    notification = GatewayNotification(
        gateway=gateway.name,
        order_id=info.order_id,
        transaction_status=info.transaction_status,
        transaction_id=info.transaction_id,
        payload=payload,
    )
    insert_rows([notification])  # every gateway call ends here: no ORM save() machinery (core/db.py)
    return notification


def notification_process(*, notification_id: int) -> Invoice | None:
    """Act on a stored notification by asking the gateway for the truth. Idempotent."""
    notification = GatewayNotification.objects.get(pk=notification_id)
    invoice = Invoice.objects.filter(number=invoice_number_of(notification.order_id)).first()
    if invoice is None:
        return None
    invoice = invoice_sync(invoice=invoice)
    GatewayNotification.objects.filter(pk=notification.pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), outcome=invoice.status
    )
    return invoice


def invoice_sync(*, invoice: Invoice) -> Invoice:
    """Bring an invoice in line with what its gateway confirms: credit a settlement (once), close a
    pending invoice the gateway expired, cancelled or denied. Raises GatewayError if it cannot ask."""
    status = get_gateway(invoice.gateway).get_status(order_id=gateway_order_id(invoice), reference=invoice.gateway_reference)
    if status is None:
        return invoice
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(no_key=True).get(pk=invoice.pk)
        if status.settled:
            return _credit(invoice, status)
        if status.transaction_status in CLOSING_STATUSES and invoice.status == InvoiceStatus.PENDING:
            if status.transaction_status == "expire":
                return _transition(invoice, InvoiceStatus.EXPIRED, expired_at=timezone.now())
            return _transition(invoice, InvoiceStatus.CANCELLED, cancelled_at=timezone.now())
    return invoice


def _amount(gross_amount: str) -> int | None:
    try:
        value = Decimal(gross_amount)
    except (InvalidOperation, TypeError):
        return None
    return int(value) if value == value.to_integral_value() and value > 0 else None


def _closed_before_the_money(invoice: Invoice, status: GatewayStatus) -> bool:
    """Whether the invoice had expired or been cancelled when the money came (by the gateway's clock;
    a gateway that does not say when counts as after)."""
    closed_at = {InvoiceStatus.EXPIRED: invoice.expired_at, InvoiceStatus.CANCELLED: invoice.cancelled_at}.get(
        invoice.status
    )
    if closed_at is None:
        return False
    return status.settled_at is None or status.settled_at > closed_at


def _continues_lapsed_period(member, first: datetime.date, today: datetime.date) -> bool:
    """Whether months from `first` would be arrears of a coverage period that has lapsed since the
    invoice was made: crediting them would revive it (DOMAIN.md: after a lapse, paying starts a new
    period from the current month; the old months are not billed)."""
    if member.paid_through is None:
        return False
    lapsed = coverage_for(paid_through=member.paid_through, today=today).status == "lapsed"
    return lapsed and first <= add_months(member.paid_through, MAX_ARREARS_MONTHS)


def invoices_credit(*, confirmed: list[tuple[Invoice, GatewayStatus]]) -> list[Invoice]:
    """Credit what the gateway confirmed in its own answer to us (autopay's charge of a linked
    account: the answer of our call, not a notification), for many invoices in one transaction. The
    invoices are locked in id order; then the one path of crediting (_credit_many)."""
    if not confirmed:
        return []
    with transaction.atomic():
        locked = {
            invoice.pk: invoice
            for invoice in Invoice.objects.select_for_update(no_key=True, of=("self",))
            .select_related("sponsor")  # the receipts' addressee
            .filter(pk__in=[invoice.pk for invoice, _ in confirmed])
            .order_by("pk")
        }
        return _credit_many([(locked[invoice.pk], status) for invoice, status in confirmed])


def _credit(invoice: Invoice, status: GatewayStatus) -> Invoice:
    return _credit_many([(invoice, status)])[0]


def _credit_many(confirmed: list[tuple[Invoice, GatewayStatus]]) -> list[Invoice]:
    """Credit confirmed settlements: each billed month lands on its worker's member. The invoice rows
    are locked by the caller. The rules are each invoice's; the writes are shared by all of them (a
    fixed number of statements for a batch), except the rare review."""
    now = timezone.now()
    handled = set(
        Payment.objects.filter(transaction_id__in={status.transaction_id for _, status in confirmed}).values_list(
            "gateway", "transaction_id"
        )
    )
    reviews: list[tuple[Invoice, Payment, str]] = []
    candidates: list[tuple[Invoice, Payment]] = []
    for invoice, status in confirmed:
        if (invoice.gateway, status.transaction_id) in handled:
            continue  # this transaction was already handled
        if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.NEEDS_REVIEW):
            logger.warning("second settlement %s for closed invoice %s", status.transaction_id, invoice.number)
            continue
        amount = _amount(status.gross_amount)
        payment = Payment(
            invoice=invoice,
            gateway=invoice.gateway,
            transaction_id=status.transaction_id or invoice.gateway_reference or invoice.number,
            gross_amount=amount or 1,
            confirmed_at=now,
            confirmation=status.raw or {},
            credited=False,
        )
        if amount != invoice.total:
            reviews.append((invoice, payment, ReviewReason.AMOUNT_MISMATCH))
        elif _closed_before_the_money(invoice, status):
            reviews.append((invoice, payment, ReviewReason.INVOICE_CLOSED))
        else:
            candidates.append((invoice, payment))
    for invoice, payment, reason in _cover_many(candidates, now=now):
        reviews.append((invoice, payment, reason))
    for invoice, payment, reason in reviews:
        payment.save()
        _transition(
            invoice, InvoiceStatus.NEEDS_REVIEW, needs_review_at=now, review_reason=reason,
            received_amount=payment.gross_amount,
        )
    return [invoice for invoice, _ in confirmed]


def _cover_many(candidates: list[tuple[Invoice, Payment]], *, now, **paid_fields) -> list[tuple[Invoice, Payment, str]]:
    """The one crediting path, for settlements (_credit_many) and finance's credit after review alike:
    cover each billed month on its worker's member with its payment (new, or one kept for review),
    number the receipts, make the invoices paid (stamping `paid_fields`) and send the receipts. The
    invoice rows are locked by the caller. Returns, with their review reason, the invoices it could not
    credit (nothing of theirs written): months of a coverage period that lapsed meanwhile, or months
    another payment covered first."""
    if not candidates:
        return []
    lines: dict[int, list[InvoiceMonth]] = defaultdict(list)
    for line in (
        InvoiceMonth.objects.filter(invoice_id__in=[invoice.pk for invoice, _ in candidates])
        .select_related("enrollment")
        .only("invoice_id", "enrollment_id", "month", "total", "enrollment__full_name", "enrollment__phone")
        .order_by("enrollment_id", "month")
    ):
        lines[line.invoice_id].append(line)
    members = registration.members_lock_for_sponsorships(
        enrollment_ids=sorted({line.enrollment_id for invoice_lines in lines.values() for line in invoice_lines})
    )
    today = registration.today_wib()
    failed: list[tuple[Invoice, Payment, str]] = []
    credits = []
    for invoice, payment in candidates:
        by_enrollment: dict[int, list[datetime.date]] = defaultdict(list)
        for line in lines[invoice.pk]:
            by_enrollment[line.enrollment_id].append(line.month)
        if any(_continues_lapsed_period(members[e], min(months), today) for e, months in by_enrollment.items()):
            failed.append((invoice, payment, ReviewReason.COVERAGE_LAPSED))
        else:
            credits.append((invoice, payment, lines[invoice.pk], by_enrollment))
    for invoice, payment in _credit_write(credits, members, now):
        # Another payment covered one of these months first: the money is for review (refund).
        failed.append((invoice, payment, ReviewReason.MONTHS_ALREADY_COVERED))
    written = [credit for credit in credits if credit[1].credited]
    if written:
        _transition_many([invoice for invoice, *_ in written], InvoiceStatus.PAID, paid_at=now, **paid_fields)
        with notifications.collected():
            for invoice, payment, invoice_lines, _ in written:
                _send_receipts(invoice, invoice_lines, members, receipt_number=payment.receipt_number)
    return failed


def _credit_write(credits: list, members: dict, now) -> list[tuple[Invoice, Payment]]:
    """Write the credits (payments with their receipt numbers, coverage rows, the members'
    paid_through) all at once, under a savepoint; if a month is covered already (the constraint),
    each credit alone. A payment already stored (money kept for review) is updated, a new one
    inserted. Returns the credits that could not be written (their payments as they were)."""
    if not credits:
        return []
    payments = [payment for _, payment, _, _ in credits]
    inserted = [payment.pk is None for payment in payments]
    try:
        with transaction.atomic():
            for payment in payments:
                payment.credited = True
            Payment.objects.bulk_create([payment for payment in payments if payment.pk is None])
            for payment in payments:
                payment.receipt_number = f"RCP-{timezone.localtime(now):%Y%m}-{payment.pk:06d}"
            update_rows(payments, ["credited", "receipt_number"])
            CoverageMonth.objects.bulk_create(
                [
                    CoverageMonth(
                        member_id=members[line.enrollment_id].pk, month=line.month, invoice=invoice,
                        payment=payment, total=line.total,
                    )
                    for invoice, payment, invoice_lines, _ in credits
                    for line in invoice_lines
                ]
            )
            registration.members_coverage_extend(
                extensions=[(members[e], months) for *_, by_enrollment in credits for e, months in by_enrollment.items()]
            )
        return []
    except IntegrityError:
        for payment, new in zip(payments, inserted):
            payment.credited, payment.receipt_number = False, None
            if new:  # the rolled-back insert's id
                payment.pk = None
                payment._state.adding = True
        if len(credits) == 1:
            return [(credits[0][0], credits[0][1])]
    return [failed for credit in credits for failed in _credit_write([credit], members, now)]


def _month_name(month: datetime.date, language: str) -> str:
    return notifications.month_label(month, language)


def _send_receipts(invoice: Invoice, lines: list[InvoiceMonth], members: dict, *, receipt_number: str) -> None:
    sponsor = invoice.sponsor
    last_by_worker: dict[int, tuple[Enrollment, datetime.date]] = {}
    for line in lines:
        last_by_worker[line.enrollment_id] = (line.enrollment, line.month)
    covered = ", ".join(
        f"{enrollment.full_name} s.d. {_month_name(month, sponsor.language)}"
        if sponsor.language != "en"
        else f"{enrollment.full_name} until {_month_name(month, 'en')}"
        for enrollment, month in last_by_worker.values()
    )
    notifications.user_notify(
        user=sponsor,
        kind="payment_received",
        number=invoice.number,
        receipt_number=receipt_number,
        amount=notifications.rupiah(invoice.total),
        covered=covered,
    )
    for enrollment, month in last_by_worker.values():
        if enrollment.phone == sponsor.phone:
            continue  # a self-enrollment: the payer already got the receipt
        notifications.sms_send(
            to=enrollment.phone,
            kind="coverage_confirmed",
            language="id",
            worker_name=enrollment.full_name,
            sponsor_name=sponsor.full_name,
            until=_month_name(month, "id"),
            kpj_number=members[enrollment.pk].kpj_number,
        )


# --- Periodic work --------------------------------------------------------------------------------


def invoice_expire_if_stale(*, invoice: Invoice) -> Invoice:
    """A pending invoice past its VA expiry: take the gateway's word (it may have been paid after
    all), else expire it here and at the gateway. Raises GatewayError if the gateway cannot answer."""
    now = timezone.now()
    if invoice.status != InvoiceStatus.PENDING or invoice.expires_at > now:
        return invoice
    invoice = invoice_sync(invoice=invoice)
    if invoice.status != InvoiceStatus.PENDING:
        return invoice
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(no_key=True).get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.PENDING:
            _transition(invoice, InvoiceStatus.EXPIRED, expired_at=now)
    try:
        # So that it can no longer be paid there either (QRIS at Xendit lives 48 h, ours 15 minutes).
        get_gateway(invoice.gateway).expire(order_id=gateway_order_id(invoice), reference=invoice.gateway_reference)
    except GatewayRefused as exc:
        _gateway_refused(invoice, exc)
        invoice.refresh_from_db()
    except GatewayError:
        logger.warning("gateway could not expire %s; it will expire on its own", invoice.number)
    return invoice


def invoices_reconcile(*, limit: int = 1000) -> int:
    """Ask the gateway about pending invoices past their expiry, about notifications that were
    stored but never processed (broker down), and (Xendit) about pending invoices whose callback may
    have been lost. Expire what the gateway still calls pending once it is past its expiry.
    Idempotent and safe to run twice at once (every change happens under the invoice's lock)."""
    now = timezone.now()
    handled = 0
    stale = Invoice.objects.filter(status=InvoiceStatus.PENDING, expires_at__lt=now).order_by("expires_at")[:limit]
    for invoice in stale:
        try:
            invoice_expire_if_stale(invoice=invoice)
        except GatewayError:
            continue
        handled += 1
    unprocessed = GatewayNotification.objects.filter(
        processed_at__isnull=True, received_at__lt=now - timedelta(minutes=1)
    ).values_list("pk", flat=True)[:limit]
    for notification_id in unprocessed:
        try:
            notification_process(notification_id=notification_id)
        except GatewayError:
            continue
        handled += 1
    handled += _poll_unannounced(now=now, limit=limit)
    return handled


# A pending payment is asked about once it is this old, at a gateway that never repeats a callback
# that timed out (Xendit): its payment may have gone unannounced.
POLL_AFTER = timedelta(minutes=5)


def _poll_unannounced(*, now, limit: int) -> int:
    """Issue 22: ask a gateway that never repeats a timed-out callback (Xendit) about its pending
    invoices, least recently asked first, and credit or close what it confirms. An invoice still
    pending is stamped (updated_at), so the next run asks about the others first."""
    pending = Invoice.objects.filter(
        status=InvoiceStatus.PENDING, gateway__in=gateways_polled(), created_at__lt=now - POLL_AFTER, expires_at__gte=now
    ).order_by("updated_at")[:limit]
    handled = 0
    for invoice in pending:
        try:
            invoice = invoice_sync(invoice=invoice)
        except GatewayError:
            continue
        if invoice.status == InvoiceStatus.PENDING:
            Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.PENDING).update(updated_at=timezone.now())
        handled += 1
    return handled
