"""Automatic monthly payment (API.md "Automatic monthly payment (autopay)"; issue 22 item 5).

A payer links an account once: GoPay tokenization or a saved card at Midtrans (gateways/midtrans.py:
the card through a 3DS-checked verification charge, then charged by its saved token), or a GoPay
account or a card at once in the simulator. Then, each month:
- the charge day (AUTOPAY_CHARGE_DAY, default the 10th) plans one AutopayCharge per linked payer in one
  INSERT … SELECT … ON CONFLICT DO NOTHING: one per (payer, month), a constraint, so a plan run twice,
  or twice at once, plans nothing twice;
- tasks charge them, 100 at a time, set-based (autopay_charge_batch): the first attempt makes the
  month's one invoice (the next unpaid month of each of the payer's approved workers with autopay on:
  an ordinary invoice, number, receipt) and charges it to the linked account; what the gateway
  confirms is credited through the one crediting path (services.invoices_credit);
- a declined charge is tried again on the 12th and the 14th; after the third decline the invoice is
  cancelled (the payer pays by hand), the payer gets an `autopay_failed` inbox message saying why, and
  the reminders the charge day held back go out again (contributions/reminders.py);
- a charge whose outcome is unknown (a timeout) is `in_doubt`: before any new charge, the next run asks
  the gateway about it, and credits it if it went through, so a payer is never charged twice a month.
Unlinking stops everything at once: planned charges are skipped and their invoices cancelled.

On the member model (DOMAIN.md): a payer's workers are its approved sponsorships (Enrollment, whose
`sponsor` is the payer: a self-enrolled worker pays for themselves), and a worker's opt-out is an
AutopayOptOut row of the sponsorship, so a new payer of the same member starts with autopay on. What is
unpaid is the member's: the next unpaid month after the member's `paid_through` (or its payable
arrears, or the current month after a lapse: services.billable_months), whoever paid before.
"""

import datetime
import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from contributions import services
from contributions.choices import AUTOPAY_LINKED, AutopayChargeStatus, AutopayMethod, AutopayStatus, InvoiceStatus
from contributions.gateways import CardRefused, Charge, GatewayError, GatewayStatus, LinkedCharge, get_gateway
from contributions.gateways.methods import METHODS
from contributions.models import AutopayCharge, AutopayMandate, AutopayOptOut, Invoice
from core.db import placeholders, update_rows
from core.exceptions import Conflict, DomainError
from notifications import services as notifications
from registration.choices import EnrollmentStatus
from registration.coverage import due_date
from registration.models import Enrollment

logger = logging.getLogger(__name__)

RETRY_DAYS = (12, 14)  # after the first and the second decline (API.md)
MAX_FAILURES = 1 + len(RETRY_DAYS)
# A charge whose task died mid-call (its row stays `charging`) is taken up again after this, in doubt.
CHARGING_LEASE = timedelta(minutes=10)
BATCH_SIZE = 100


def _mask_phone(phone: str) -> str:
    return f"{phone[:6]}****{phone[-4:]}" if len(phone) > 10 else "****"


# --- The payer's link ----------------------------------------------------------------------------------


def autopay_workers(*, payer) -> list[int]:
    """The payer's approved workers that autopay charges (all but those opted out), by id."""
    return _autopay_workers_of([payer.pk])[payer.pk]


def autopay_get(*, payer) -> dict:
    mandate = AutopayMandate.objects.filter(payer=payer).first()
    status = mandate.status if mandate else AutopayStatus.OFF
    return {
        "status": status,
        "method": (mandate.method or None) if mandate and status != AutopayStatus.OFF else None,
        "account_masked": (mandate.account_masked or None) if mandate and status != AutopayStatus.OFF else None,
        "activation_url": mandate.activation_url if mandate and status == AutopayStatus.LINKING else None,
        "charge_day": settings.AUTOPAY_CHARGE_DAY,
        "workers": autopay_workers(payer=payer) if status != AutopayStatus.OFF else [],
    }


def autopay_link(*, payer, method: str, card_token: str = "") -> AutopayMandate:
    """Start linking an account (PUT /me/autopay): `linking` with the gateway's activation URL (a
    GoPay approval page, a card's 3DS page); the gateway's word (its notification, confirmed by a
    lookup) makes it `active`. A card at Midtrans comes as the token its SDK made in the app."""
    gateway = get_gateway()
    if method not in gateway.autopay_methods:
        raise DomainError("payment_method_invalid", attr="method")
    if method == "card" and gateway.card_link_needs_token and not card_token:
        raise DomainError("card_token_required", attr="card_token")
    try:
        link = gateway.link_start(method=method, phone=payer.phone, card_token=card_token)
    except CardRefused as exc:
        logger.info("gateway %s refused a card to link: %s", gateway.name, exc)
        raise DomainError("card_refused", attr="card_token") from exc
    except GatewayError as exc:
        logger.warning("gateway %s could not start an autopay link: %s", gateway.name, exc)
        raise DomainError("gateway_unavailable", status_code=503) from exc
    with transaction.atomic():
        mandate, _ = AutopayMandate.objects.select_for_update(no_key=True).get_or_create(payer=payer)
        old = (mandate.gateway, mandate.account_id)
        mandate.status = AutopayStatus.LINKING
        mandate.method = method
        mandate.gateway = gateway.name
        mandate.account_id = link.account_id
        mandate.payment_token = ""
        mandate.account_masked = _mask_phone(payer.phone) if method == "gopay" else link.account_masked
        mandate.activation_url = link.activation_url
        mandate.fail_charges = False
        mandate.save()
        if old[1] and old[1] != link.account_id:
            transaction.on_commit(lambda: _unlink_at_gateway(*old))
    return mandate


def _unlink_at_gateway(gateway_name: str, account_id: str) -> None:
    try:
        get_gateway(gateway_name).link_remove(account_id=account_id)
    except GatewayError:
        logger.warning("gateway %s could not unlink an account; it stays unused", gateway_name)


def autopay_link_enable(
    *, mandate: AutopayMandate, payment_token: str = "", account_masked: str = ""
) -> AutopayMandate:
    """The gateway confirmed the link: `active`, and what linking left open at the gateway is closed
    (a card's verification charge voided). Idempotent."""
    with transaction.atomic():
        mandate = AutopayMandate.objects.select_for_update(no_key=True).get(pk=mandate.pk)
        if mandate.status != AutopayStatus.LINKING:
            return mandate
        mandate.status = AutopayStatus.ACTIVE
        mandate.payment_token = payment_token
        mandate.account_masked = account_masked or mandate.account_masked
        mandate.activation_url = ""
        mandate.linked_at = timezone.now()
        mandate.save()
        link = (mandate.gateway, mandate.account_id)
        transaction.on_commit(lambda: _link_enabled_at_gateway(*link))
    return mandate


def _link_enabled_at_gateway(gateway_name: str, account_id: str) -> None:
    try:
        get_gateway(gateway_name).link_enabled(account_id=account_id)
    except GatewayError as exc:
        # A card's verification charge not voided settles: finance refunds it (it names the order).
        logger.warning("gateway %s: the link %s is active, but what linking left open was not closed: %s", gateway_name, account_id, exc)


def autopay_link_notified(*, gateway_name: str, account_id, payload=None) -> AutopayMandate:
    """A gateway's notification about an account being linked (answered at once): 404 for an account
    no payer is linking; else the lookup runs in a task (autopay_link_sync).

    A card's notification is a payment notification of its verification charge (`order_id` is the
    account): its signature is checked like any payment's (401), and the `saved_token_id` it carries
    is kept, unused, until the lookup confirms the card it belongs to (Midtrans' lookup does not
    repeat the token)."""
    from django.http import Http404

    from contributions import tasks

    notified_token = ""
    if payload is not None:
        get_gateway(gateway_name).notification_read(payload=payload, headers={})
        notified_token = payload.get("saved_token_id") if isinstance(payload.get("saved_token_id"), str) else ""
    mandate = None
    if isinstance(account_id, str) and account_id:
        mandate = AutopayMandate.objects.filter(gateway=gateway_name, account_id=account_id[:100]).first()
    if mandate is None:
        raise Http404
    if notified_token:
        AutopayMandate.objects.filter(pk=mandate.pk, status=AutopayStatus.LINKING, account_id=mandate.account_id).update(
            payment_token=notified_token[:255], updated_at=timezone.now()
        )
    tasks.enqueue_autopay_link_sync(mandate.pk)
    return mandate


def autopay_link_sync(*, mandate_id: int) -> AutopayMandate:
    """Ask the gateway about a linking account (the notification is a hint, as for payments) and
    follow what it says. Raises GatewayError if it cannot ask (the task retries)."""
    mandate = AutopayMandate.objects.get(pk=mandate_id)
    if mandate.status != AutopayStatus.LINKING or not mandate.account_id:
        return mandate
    status = get_gateway(mandate.gateway).link_status(account_id=mandate.account_id, notified_token=mandate.payment_token)
    if status.state == "enabled" and status.payment_token:
        return autopay_link_enable(mandate=mandate, payment_token=status.payment_token, account_masked=status.account_masked)
    if status.state in ("expired", "disabled"):
        AutopayMandate.objects.filter(pk=mandate.pk, status=AutopayStatus.LINKING, account_id=mandate.account_id).update(
            status=AutopayStatus.OFF, account_id="", payment_token="", activation_url="", updated_at=timezone.now()
        )
    return mandate


def autopay_simulator_link(*, payer, fail_charges: bool = False) -> AutopayMandate:
    """POST /payments/simulator/link: the simulator's payer approves the link at once; with
    `fail_charges`, the linked account declines every charge (for trying the retries)."""
    mandate = AutopayMandate.objects.filter(payer=payer, gateway="simulator").first()
    if mandate is None or mandate.status not in (AutopayStatus.LINKING, *AUTOPAY_LINKED):
        raise Conflict("autopay_not_linking", status=mandate.status if mandate else AutopayStatus.OFF)
    mandate = autopay_link_enable(mandate=mandate, payment_token="simulator-token", account_masked=mandate.account_masked or "SIMULATOR")
    AutopayMandate.objects.filter(pk=mandate.pk).update(fail_charges=fail_charges, updated_at=timezone.now())
    mandate.refresh_from_db()
    return mandate


def autopay_unlink(*, payer) -> None:
    """DELETE /me/autopay: nothing more is charged, at once. Planned and waiting charges are skipped
    and their invoices cancelled (the workers may be billed by hand); a charge in flight is the
    gateway's now, and its money is credited if it went through."""
    with transaction.atomic():
        mandate = AutopayMandate.objects.select_for_update(no_key=True).filter(payer=payer).first()
        if mandate is None or mandate.status == AutopayStatus.OFF:
            return
        old = (mandate.gateway, mandate.account_id)
        mandate.status = AutopayStatus.OFF
        mandate.account_id = mandate.payment_token = mandate.activation_url = ""
        mandate.unlinked_at = timezone.now()
        mandate.save()
        waiting = list(
            AutopayCharge.objects.select_for_update(no_key=True, of=("self",))
            .filter(payer=payer, status__in=[AutopayChargeStatus.PLANNED, AutopayChargeStatus.RETRY])
            .select_related("invoice")
        )
        for charge in waiting:
            _close(charge, AutopayChargeStatus.SKIPPED, "unlinked")
        if old[1]:
            transaction.on_commit(lambda: _unlink_at_gateway(*old))


def autopay_worker_set(*, enrollment_id: int, on: bool) -> None:
    """PATCH /workers/{id} {autopay}: a worker is charged by default; false opts them out."""
    if on:
        AutopayOptOut.objects.filter(enrollment_id=enrollment_id).delete()
    else:
        AutopayOptOut.objects.get_or_create(enrollment_id=enrollment_id)


# --- The charge day -------------------------------------------------------------------------------------

_PLAN_SQL = """
INSERT INTO contributions_autopaycharge
    (payer_id, month, status, attempts, failures, in_doubt, next_attempt_on, failure_reason, created_at, updated_at)
SELECT a.payer_id, %s, 'planned', 0, 0, FALSE, %s, '', %s, %s
FROM contributions_autopaymandate a
WHERE a.status IN ('active', 'failed')
ON CONFLICT (payer_id, month) DO NOTHING
"""


def autopay_plan(*, day: datetime.date) -> int:
    """Plan the month's charges, one per linked payer, in one statement; from the charge day until the
    last retry day (a payer who links on the 12th is charged that day; a plan missed on the charge day
    is caught up). Idempotent. Returns the rows inserted."""
    if not settings.AUTOPAY_CHARGE_DAY <= day.day <= RETRY_DAYS[-1]:
        return 0
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_PLAN_SQL, [day.replace(day=1), day, now, now])
        return cursor.rowcount


def autopay_dispatch(*, day: datetime.date, enqueue=None) -> int:
    """Hand the charges due by `day` to the charge task, BATCH_SIZE ids a message. A charge whose task
    died mid-call (still `charging` past the lease) is due again, in doubt. Returns the ids handed on."""
    from contributions import tasks

    enqueue = enqueue or tasks.enqueue_autopay_batch
    now = timezone.now()
    AutopayCharge.objects.filter(status=AutopayChargeStatus.CHARGING, updated_at__lt=now - CHARGING_LEASE).update(
        status=AutopayChargeStatus.RETRY, in_doubt=True, next_attempt_on=day, updated_at=now
    )
    ids = list(
        AutopayCharge.objects.filter(
            status__in=[AutopayChargeStatus.PLANNED, AutopayChargeStatus.RETRY], next_attempt_on__lte=day
        ).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH_SIZE):
        if not enqueue(ids[start : start + BATCH_SIZE], day):
            return start  # the broker is down: the rows stay due, the next run hands them on
    return len(ids)


def autopay_run(*, day: datetime.date) -> dict:
    """What beat runs (and `manage.py autopay --date`): plan, then hand the due charges on."""
    return {"planned": autopay_plan(day=day), "dispatched": autopay_dispatch(day=day)}


# --- Charging (batches of charges; one charge is a batch of one) -----------------------------------------


class AutopayOpening:
    """The opener of an autopay invoice (services.invoice_create's `gateway`): it opens nothing at the
    gateway (the linked account is charged right after) and keeps the invoice open until the due date."""

    def __init__(self, mandate: AutopayMandate, expires_at: datetime.datetime, attempt: int = 0):
        self.name = mandate.gateway
        self.mandate = mandate
        self.expires_at = expires_at
        self.attempt = attempt  # the charge's attempt about to be made (0: none yet)

    def create_charge(self, *, order_id: str, gross_amount: int, expires_at, method) -> Charge:
        return Charge(
            va_number="",
            reference="",
            expires_at=self.expires_at,
            details={"autopay": True, "account_masked": self.mandate.account_masked, "attempt": self.attempt},
        )


def _claim(charge_ids: list[int], day: datetime.date) -> list[AutopayCharge]:
    """planned/retry → charging, committed, for those due: one runner per charge, whatever runs twice."""
    if not charge_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE contributions_autopaycharge SET status = %s, updated_at = %s "
            f"WHERE id IN ({placeholders(len(charge_ids))}) AND status IN (%s, %s) AND next_attempt_on <= %s RETURNING id",
            [AutopayChargeStatus.CHARGING, timezone.now(), *charge_ids, AutopayChargeStatus.PLANNED, AutopayChargeStatus.RETRY, day],
        )
        claimed = [row[0] for row in cursor.fetchall()]
    return list(AutopayCharge.objects.select_related("invoice", "payer").filter(pk__in=claimed).order_by("pk"))


def _release(charge: AutopayCharge, *, next_attempt_on: datetime.date, **fields) -> None:
    AutopayCharge.objects.filter(pk=charge.pk, status=AutopayChargeStatus.CHARGING).update(
        status=AutopayChargeStatus.RETRY, next_attempt_on=next_attempt_on, updated_at=timezone.now(), **fields
    )


def _close(charge: AutopayCharge, status: str, reason: str = "") -> None:
    _close_many([charge], status, reason)


def _close_many(charges: list[AutopayCharge], status: str, reason: str = "") -> None:
    """End months' charges: skipped or failed, in one statement (a batch's payers with nothing due
    are closed together: one commit, not one each). Their open invoices are cancelled, so the payer
    can pay by hand (a pending invoice would block a new one)."""
    if not charges:
        return
    now = timezone.now()
    fields = {"status": status, "failure_reason": reason, "in_doubt": False, "updated_at": now}
    if status == AutopayChargeStatus.FAILED:
        fields["failed_at"] = now
    AutopayCharge.objects.filter(pk__in=[charge.pk for charge in charges]).update(**fields)
    for charge in charges:
        invoice = charge.invoice
        if invoice is not None and invoice.status == InvoiceStatus.PENDING:
            try:
                services.invoice_cancel(invoice=invoice)
            except Conflict:
                pass  # paid or closed meanwhile


def _autopay_workers_of(payer_ids: list[int]) -> dict[int, list[int]]:
    """Each payer's approved sponsorships with autopay on (autopay_workers, for many payers), by id."""
    opted_out = AutopayOptOut.objects.filter(enrollment__sponsor_id__in=payer_ids).values("enrollment_id")
    workers: dict[int, list[int]] = {payer_id: [] for payer_id in payer_ids}
    for enrollment_id, payer_id in (
        Enrollment.objects.filter(sponsor_id__in=payer_ids, status=EnrollmentStatus.APPROVED)
        .exclude(pk__in=opted_out)
        .order_by("pk")
        .values_list("pk", "sponsor_id")
    ):
        workers[payer_id].append(enrollment_id)
    return workers


def _invoices_make(
    charges: list[tuple[AutopayCharge, AutopayMandate]], *, first_attempt: bool = False
) -> dict[int, "Invoice | str | None"]:
    """Each charge's month's one invoice, made once: under the charges' row locks, linked in the same
    transaction, all in services.invoices_create_month (a few statements for the batch). The invoice
    bills the next unpaid month of the member of each of the payer's approved sponsorships with
    autopay on, except members paid for this month already (by anyone: the ledger is the member's)
    and sponsorships on a pending invoice (the payer is paying them by hand). For each charge: its
    invoice, None (nothing due), or the code of why not now.

    `first_attempt` (the charge task, about to charge them): a charge linked to a new invoice has its
    first attempt recorded in the same statement and transaction (what _attempts_record writes: the
    attempt counted, the charge in doubt, the invoice's `attempt`), committed before the gateway is
    called, one commit and two UPDATEs fewer than recording it afterwards."""
    if not charges:
        return {}
    workers = _autopay_workers_of(sorted({charge.payer_id for charge, _ in charges}))
    made: dict[int, Invoice | str | None] = {}
    with transaction.atomic():
        linked = dict(
            AutopayCharge.objects.select_for_update(no_key=True)
            .filter(pk__in=[charge.pk for charge, _ in charges])
            .order_by("pk")
            .values_list("pk", "invoice_id")
        )
        already = Invoice.objects.in_bulk([invoice_id for invoice_id in linked.values() if invoice_id])
        todo = [(charge, mandate) for charge, mandate in charges if not linked[charge.pk]]
        made.update({charge.pk: already[linked[charge.pk]] for charge, _ in charges if linked[charge.pk]})
        by_month: dict[datetime.date, list] = defaultdict(list)
        for charge, mandate in todo:
            by_month[charge.month].append((charge, mandate))
        new = []
        for month, group in by_month.items():
            expires_at = timezone.make_aware(
                datetime.datetime.combine(due_date(month), datetime.time(23, 59, 59)), timezone.get_default_timezone()
            )
            bills = [
                services.Bill(
                    sponsor=charge.payer,
                    worker_ids=workers[charge.payer_id],
                    method=METHODS[mandate.method],
                    gateway=AutopayOpening(mandate, expires_at, attempt=charge.attempts + 1 if first_attempt else 0),
                )
                for charge, mandate in group
            ]
            for (charge, _), result in zip(group, services.invoices_create_month(bills=bills, month=month), strict=True):
                made[charge.pk] = result.code if isinstance(result, DomainError) else result
                if isinstance(result, Invoice):
                    charge.invoice = result
                    if first_attempt:
                        charge.attempts += 1
                        charge.in_doubt = True
                    new.append(charge)
        update_rows(new, ["invoice", "attempts", "in_doubt"] if first_attempt else ["invoice"])
    return made


def _attempts_record(charges: list[AutopayCharge]) -> None:
    """The next attempt of each charge, committed before the gateway is called: a crash after the
    call leaves them in doubt, asked about before any new one (the lease in autopay_dispatch)."""
    now = timezone.now()
    for charge in charges:
        charge.attempts += 1
        charge.in_doubt, charge.updated_at = True, now
        charge.invoice.payment_details = {**charge.invoice.payment_details, "attempt": charge.attempts}
    with transaction.atomic():
        update_rows([charge.invoice for charge in charges], ["payment_details"])
        update_rows(charges, ["attempts", "in_doubt", "updated_at"])


def _invoice_make(charge: AutopayCharge, mandate: AutopayMandate) -> Invoice | None:
    made = _invoices_make([(charge, mandate)])[charge.pk]
    return made if not isinstance(made, str) else None


def _month_day(month: datetime.date, day: int) -> datetime.date:
    return month.replace(day=day)


def autopay_charge_attempt(*, charge_id: int, day: datetime.date) -> str:
    """Run one due charge (autopay_charge_batch of one). Returns what happened."""
    return autopay_charge_batch(charge_ids=[charge_id], day=day).get(charge_id, "not due")


def autopay_charge_batch(*, charge_ids: list[int], day: datetime.date) -> dict[int, str]:
    """Run due charges (the task's batch): confirm a charge in doubt, else charge the linked account.
    Idempotent: a charge not due (or taken by another run) is left alone. Returns what happened to
    each charge taken (for the task's log).

    The common case, a month's first charge, costs a fixed number of statements for the whole batch:
    one claim, the invoices made together with their first attempts recorded (one transaction), the
    payers with nothing due closed together, the gateway's batch of charges, and the credit of what
    it confirmed in one transaction (services.invoices_credit)."""
    outcomes: dict[int, str] = {}
    charges = _claim(charge_ids, day)
    mandates = {mandate.payer_id: mandate for mandate in AutopayMandate.objects.filter(payer_id__in={c.payer_id for c in charges})}
    to_charge: list[tuple[AutopayCharge, AutopayMandate]] = []
    unlinked: list[AutopayCharge] = []
    for charge in charges:
        mandate = mandates.get(charge.payer_id)
        if mandate is None or mandate.status not in AUTOPAY_LINKED:
            unlinked.append(charge)
            outcomes[charge.pk] = "skipped: unlinked"
            continue
        if charge.in_doubt and charge.invoice is not None:
            # The last charge's outcome is unknown: ask the gateway before charging again.
            try:
                status = get_gateway(mandate.gateway).get_status(order_id=services.gateway_order_id(charge.invoice))
            except GatewayError:
                _release(charge, next_attempt_on=day)
                outcomes[charge.pk] = "in doubt: the gateway cannot be asked"
                continue
            if status is not None:
                outcomes.update(_settle([(charge, mandate, status)], day))
                continue
            AutopayCharge.objects.filter(pk=charge.pk).update(in_doubt=False)  # it never got there: charge again
        to_charge.append((charge, mandate))
    _close_many(unlinked, AutopayChargeStatus.SKIPPED, "unlinked")

    # A month's first charge: its invoice is made with the attempt recorded (one transaction).
    first = [(charge, mandate) for charge, mandate in to_charge if charge.invoice is None]
    made = _invoices_make(first, first_attempt=True)
    recorded = {charge.pk for charge, _ in first if charge.invoice is not None}  # linked to a new invoice
    ready: list[tuple[AutopayCharge, AutopayMandate]] = []
    nothing_due: list[AutopayCharge] = []
    for charge, mandate in to_charge:
        result = made.get(charge.pk, charge.invoice)
        if result == "amount_out_of_range":
            _fail(charge, mandate, "amount_out_of_range")
            outcomes[charge.pk] = "failed: amount out of range"
        elif isinstance(result, str):
            _release(charge, next_attempt_on=day)
            outcomes[charge.pk] = f"retry: {result}"
        elif result is None:
            nothing_due.append(charge)
            outcomes[charge.pk] = "skipped: nothing due"
        elif result.status == InvoiceStatus.PAID:
            charge.invoice = result
            _charged([(charge, mandate)])
            outcomes[charge.pk] = "charged"
        elif result.status != InvoiceStatus.PENDING:  # cancelled by the payer, or expired
            charge.invoice = result
            _fail(charge, mandate, "invoice_closed")
            outcomes[charge.pk] = "failed: invoice closed"
        else:
            charge.invoice = result
            ready.append((charge, mandate))
    _close_many(nothing_due, AutopayChargeStatus.SKIPPED, "nothing_due")
    if not ready:
        return outcomes

    # Those whose invoice was just made have their attempt recorded with it (_invoices_make).
    _attempts_record([charge for charge, _ in ready if charge.pk not in recorded])

    answered = []
    by_gateway: dict[str, list[tuple[AutopayCharge, AutopayMandate]]] = defaultdict(list)
    for charge, mandate in ready:
        by_gateway[mandate.gateway].append((charge, mandate))
    for gateway_name, group in by_gateway.items():
        answers = get_gateway(gateway_name).charge_linked_many(
            [
                LinkedCharge(
                    order_id=services.gateway_order_id(charge.invoice),
                    gross_amount=charge.invoice.total,
                    method=mandate.method,
                    account_id=mandate.account_id,
                    payment_token=mandate.payment_token,
                )
                for charge, mandate in group
            ]
        )
        for (charge, mandate), answer in zip(group, answers, strict=True):
            if isinstance(answer, GatewayError):
                logger.warning("autopay charge %s timed out or failed in flight: %s", charge.pk, answer)
                _release(charge, next_attempt_on=day)  # stays in doubt
                outcomes[charge.pk] = "in doubt: the charge's outcome is unknown"
            else:
                answered.append((charge, mandate, answer))
    outcomes.update(_settle(answered, day))
    return outcomes


def _settle(answered: list[tuple[AutopayCharge, AutopayMandate, GatewayStatus]], day) -> dict[int, str]:
    """Act on the gateway's word about each charge's current attempt (its answer, or its lookup):
    what is settled is credited, all together; what is pending stays in doubt; the rest declined."""
    outcomes: dict[int, str] = {}
    settled = []
    for charge, mandate, status in answered:
        if status.settled:
            settled.append((charge, mandate, status))
        elif status.transaction_status in ("pending", "authorize", "capture"):
            # Not settled yet: pending, or a card's capture the fraud check holds (`challenge`) until
            # Midtrans' merchant approves or denies it. Charging again could take the money twice.
            _release(charge, next_attempt_on=day, in_doubt=True)
            outcomes[charge.pk] = "in doubt: pending at the gateway"
        else:
            outcomes[charge.pk] = _declined(charge, mandate, day)
    if not settled:
        return outcomes
    # The gateway's own word, in its answer to our charge or lookup: credited once (services), and
    # the charges marked in the same transaction.
    with transaction.atomic():
        invoices = services.invoices_credit(confirmed=[(charge.invoice, status) for charge, _, status in settled])
        charged = []
        for (charge, mandate, _), invoice in zip(settled, invoices, strict=True):
            charge.invoice = invoice
            if invoice.status == InvoiceStatus.PAID:
                charged.append((charge, mandate))
                outcomes[charge.pk] = "charged"
            else:
                _release(charge, next_attempt_on=day)  # confirmed but not credited (review): ask again
                outcomes[charge.pk] = "in doubt: settled at the gateway, not credited yet"
        _charged(charged)
    return outcomes


def _declined(charge: AutopayCharge, mandate: AutopayMandate, day) -> str:
    """deny, cancel, expire: a decline. Tried again on the 12th and the 14th, then failed."""
    reason = "card_declined" if mandate.method == AutopayMethod.CARD else "declined"
    failures = charge.failures + 1
    AutopayCharge.objects.filter(pk=charge.pk).update(failures=failures, in_doubt=False)
    charge.failures = failures
    if failures >= MAX_FAILURES:
        _fail(charge, mandate, reason)
        return "failed: declined, no retry left"
    retry_on = max(_month_day(charge.month, RETRY_DAYS[failures - 1]), day + timedelta(days=1))
    _release(charge, next_attempt_on=retry_on, in_doubt=False, failure_reason=reason)
    return f"declined: retry on {retry_on}"


def _charged(charged: list[tuple[AutopayCharge, AutopayMandate]]) -> None:
    """The months are paid: the charges `charged`, a `failed` mandate active again, and each payer
    told once (a charge another run marked already is not told twice)."""
    if not charged:
        return
    now = timezone.now()
    ids = [charge.pk for charge, _ in charged]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE contributions_autopaycharge SET status = %s, in_doubt = %s, failure_reason = '', charged_at = %s, "
            f"updated_at = %s WHERE id IN ({placeholders(len(ids))}) AND status <> %s RETURNING id",
            [AutopayChargeStatus.CHARGED, False, now, now, *ids, AutopayChargeStatus.CHARGED],
        )
        newly = {row[0] for row in cursor.fetchall()}
    AutopayMandate.objects.filter(pk__in=[mandate.pk for _, mandate in charged], status=AutopayStatus.FAILED).update(
        status=AutopayStatus.ACTIVE
    )
    with notifications.collected():
        for charge, mandate in charged:
            if charge.pk in newly:
                notifications.user_notify(
                    user=charge.payer,
                    kind="autopay_charged",
                    sms=False,
                    number=charge.invoice.number,
                    amount=notifications.rupiah(charge.invoice.total),
                    account=mandate.account_masked or mandate.get_method_display(),
                )


REASONS = {
    "declined": {"id": "pembayaran ditolak (saldo tidak cukup atau akun dibatasi)", "en": "the payment was declined (not enough balance, or the account is restricted)"},
    "card_declined": {
        "id": "kartu ditolak oleh bank penerbit (limit tidak cukup, kartu diblokir atau sudah tidak berlaku)",
        "en": "the card was declined by its bank (not enough limit, or the card is blocked or no longer valid)",
    },
    "amount_out_of_range": {"id": "jumlah tagihan melebihi batas akun", "en": "the amount is above the account's limit"},
    "invoice_closed": {"id": "tagihannya dibatalkan atau kedaluwarsa", "en": "its invoice was cancelled or expired"},
}


def _fail(charge: AutopayCharge, mandate: AutopayMandate, reason: str) -> None:
    """The month's charge failed for good: the invoice goes, the reminders come back (the plan sees the
    failed charge), the mandate says `failed`, and the payer is told why."""
    _close(charge, AutopayChargeStatus.FAILED, reason)
    AutopayMandate.objects.filter(pk=mandate.pk, status=AutopayStatus.ACTIVE).update(
        status=AutopayStatus.FAILED, updated_at=timezone.now()
    )
    payer = charge.payer
    language = "en" if payer.language == "en" else "id"
    notifications.user_notify(
        user=payer,
        kind="autopay_failed",
        sms=False,
        month=notifications.month_label(charge.month, language),
        account=mandate.account_masked or mandate.get_method_display(),
        reason=REASONS[reason][language],
    )

