from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from contributions.choices import (
    AutopayChargeStatus,
    AutopayMethod,
    AutopayStatus,
    Gateway,
    InvoiceStatus,
    RateKind,
    ReminderChannel,
    ReminderKind,
    ReminderStatus,
    ReviewOutcome,
    ReviewReason,
)
from core.format import month_label
from core.models import BaseModel
from registration.choices import Sector
from registration.models import Enrollment, Member


class ContributionRate(BaseModel):
    """The BPU programme rates in force over a period, for one sector or for every sector.

    Rates change by regulation, so they are data with a validity period, never constants:
    - normal rates (PP 44/2015 as amended): JKK 1 % of the income level, JKM Rp6,800, JHT 2 %;
    - temporary adjustments, e.g. PP 50/2025, which halves JKK and JKM for a period that differs by
      sector (transport Jan 2026 – Mar 2027, non-transport Apr – Dec 2026).
    An adjustment in force for a month and sector wins over the normal rates; a row for the worker's
    sector wins over a row for every sector. Rows of the same kind and sector never overlap.
    """

    kind = models.CharField(max_length=12, choices=RateKind.choices, verbose_name=_("kind"))
    regulation = models.CharField(
        max_length=60,
        help_text=_("The regulation that sets these rates, e.g. PP 50/2025."),
        verbose_name=_("regulation"),
    )
    source = models.CharField(
        max_length=255, blank=True, help_text=_("Where the figures come from."), verbose_name=_("source")
    )
    sector = models.CharField(
        max_length=20, choices=Sector.choices, blank=True, help_text=_("Blank: every sector."), verbose_name=_("sector")
    )
    valid_from = models.DateField(
        help_text=_("First day in force (the first of a month)."), verbose_name=_("valid from")
    )
    valid_to = models.DateField(
        null=True,
        blank=True,
        help_text=_("Last day in force; blank: until further notice."),
        verbose_name=_("valid to"),
    )
    jkk_percent = models.DecimalField(
        max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        verbose_name=_("JKK (%)")
    )
    jkm_amount = models.PositiveBigIntegerField(
        help_text=_("Flat monthly JKM, whole rupiah."), verbose_name=_("JKM (Rp)")
    )
    jht_percent = models.DecimalField(
        max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        verbose_name=_("JHT (%)")
    )

    class Meta:
        verbose_name = _("contribution rate")
        verbose_name_plural = _("contribution rates")
        ordering = ["valid_from", "kind", "sector"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="%(app_label)s_%(class)s_period_ordered",
            ),
            models.CheckConstraint(condition=Q(jkm_amount__gt=0), name="%(app_label)s_%(class)s_jkm_positive"),
        ]

    def __str__(self) -> str:
        until = self.valid_to.isoformat() if self.valid_to else "…"
        sector = self.get_sector_display() or _("all sectors")
        return f"{self.regulation} {self.get_kind_display()} {sector} {self.valid_from}–{until}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from contributions.pricing import RateBook

        RateBook.forget()  # this process prices with the new row at once; others within a minute

    def clean(self) -> None:
        if self.valid_from is None:
            return  # the field's own "required" error says it
        if self.valid_from.day != 1:
            raise ValidationError({"valid_from": "Rates start on the first of a month."})
        if self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "The period ends before it starts."})
        overlapping = ContributionRate.objects.filter(kind=self.kind, sector=self.sector).exclude(pk=self.pk)
        if self.valid_to:
            overlapping = overlapping.filter(valid_from__lte=self.valid_to)
        overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))
        if overlapping.exists():
            raise ValidationError(
                "Another rate of the same kind and sector is in force during this period: "
                f"{overlapping.first()}."
            )


class Invoice(BaseModel):
    """A bill for contribution months of one or more workers, paid as a whole through a gateway VA.

    Each month is priced when the invoice is made (the rates in force for that month and the worker's
    sector), so later rate or profile changes never alter what was billed.
    """

    # No single-column index on sponsor: contrib_invoice_sponsor_idx (sponsor, -id) serves it.
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices", db_index=False,
        verbose_name=_("sponsor")
    )
    number = models.CharField(max_length=32, null=True, blank=True, verbose_name=_("number"))
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.PENDING, verbose_name=_("status")
    )
    total = models.PositiveBigIntegerField(verbose_name=_("total"))
    gateway = models.CharField(max_length=16, choices=Gateway.choices, verbose_name=_("gateway"))
    # Issue 22: how the payer pays (contributions/gateways/methods.py) and what the gateway gave for it.
    # The database defaults let statements that name columns (bench/generate.py's COPY) leave them out.
    payment_method = models.CharField(
        max_length=20, default="va_bca", db_default="va_bca", verbose_name=_("payment method")
    )
    # The code the payer quotes: a VA number, a Mandiri bill key or a store's payment code (empty for
    # QRIS and e-wallets); finance searches by it.
    va_number = models.CharField(max_length=40, blank=True, verbose_name=_("VA number"))
    # The rest of the method kind's fields (biller_code, qr_string, deeplink_url): API.md's `payment`.
    payment_details = models.JSONField(
        default=dict, db_default=models.Value({}, models.JSONField()), blank=True, verbose_name=_("payment details")
    )
    gateway_reference = models.CharField(max_length=100, blank=True, verbose_name=_("gateway reference"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paid at"))
    expired_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expired at"))
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cancelled at"))
    needs_review_at = models.DateTimeField(null=True, blank=True, verbose_name=_("needs review at"))
    review_reason = models.CharField(
        max_length=32, choices=ReviewReason.choices, blank=True, verbose_name=_("review reason")
    )
    # Finance's case of a `needs_review` invoice (issue 24): open while blank, closed by a refund or by
    # crediting the money after a check (services.invoice_refund, invoice_credit_after_review).
    review_outcome = models.CharField(
        max_length=16, choices=ReviewOutcome.choices, blank=True, default="", db_default="",
        verbose_name=_("review outcome"),
    )
    # The money the gateway confirmed for the invoice that covered nothing, when it went to review:
    # the most a refund may return (the check constraint below).
    received_amount = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("received amount"))
    refunded_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("refunded at"), help_text=_("When finance recorded the refund.")
    )
    refund_amount = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name=_("refund amount"), help_text=_("Whole rupiah returned.")
    )
    refund_reference = models.CharField(
        max_length=100, blank=True, default="", db_default="", verbose_name=_("refund reference"),
        help_text=_("The bank transfer's reference."),
    )
    refund_transferred_on = models.DateField(
        null=True, blank=True, verbose_name=_("refund transferred on"), help_text=_("The date of the bank transfer.")
    )
    refund_note = models.TextField(blank=True, verbose_name=_("refund note"))
    # Indexed by contrib_invoice_refunded_idx, refunded invoices only (below).
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False,
        verbose_name=_("refunded by")
    )
    # Who credited the money after a check; when is `paid_at`. Indexed by contrib_invoice_credited_idx.
    credited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False,
        verbose_name=_("credited by"),
    )
    # The `Idempotency-Key` of the request that made it and that request's fingerprint (API.md;
    # contributions/idempotency.py): written with the invoice, in its INSERT, so the key exists
    # exactly when the invoice does. Null for invoices made without a key (seed data, the shell).
    idempotency_key = models.CharField(
        max_length=255, null=True, blank=True, editable=False, verbose_name=_("app request key")
    )
    request_hash = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("request fingerprint"))

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="%(app_label)s_%(class)s_total_positive"),
            models.UniqueConstraint(fields=["number"], name="%(app_label)s_%(class)s_number_uniq"),
            # One invoice per key and client; a request with a used key waits here for the first
            # one's commit, then replays it (or gets 422).
            models.UniqueConstraint(
                fields=["sponsor", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="%(app_label)s_%(class)s_idempotency_uniq",
            ),
            # A refund returns money that came, never more (issue 24).
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True)
                | Q(refund_amount__gt=0, received_amount__isnull=False, refund_amount__lte=models.F("received_amount")),
                name="%(app_label)s_%(class)s_refund_within_received",
            ),
            # A closed case says how: a refund with its amount and time, or a credit that paid the invoice.
            models.CheckConstraint(
                condition=~Q(review_outcome=ReviewOutcome.REFUNDED)
                | Q(status=InvoiceStatus.NEEDS_REVIEW, refunded_at__isnull=False, refund_amount__isnull=False),
                name="%(app_label)s_%(class)s_refund_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(review_outcome=ReviewOutcome.CREDITED) | Q(status=InvoiceStatus.PAID, paid_at__isnull=False),
                name="%(app_label)s_%(class)s_credit_paid",
            ),
        ]
        indexes = [
            models.Index(fields=["sponsor", "-id"], name="contrib_invoice_sponsor_idx"),
            models.Index(
                fields=["expires_at"], condition=Q(status="pending"), name="contrib_invoice_pending_idx"
            ),
            # Finance's queue (the admin filtered on needs_review, newest first). Only those invoices:
            # a full (status, …) index took an entry for every invoice written, to serve no other query.
            models.Index(fields=["-id"], condition=Q(status="needs_review"), name="contrib_invoice_review_q_idx"),
            # Finance's closed cases (the admin's case filter: refunded, credited after a check), newest
            # first; the open ones are found through contrib_invoice_review_q_idx.
            models.Index(
                fields=["review_outcome", "-id"], condition=~Q(review_outcome=""), name="contrib_invoice_case_idx"
            ),
            # Finance finds an invoice by the VA number a payer quotes (the admin search).
            models.Index(fields=["va_number"], name="contrib_invoice_va_idx"),
            # What PROTECT looks up when a staff account is deleted. Refunds are rare: a full index
            # would hold a NULL entry for every invoice (one more index write per invoice, GBs at
            # hundreds of millions); this one holds the refunded invoices only.
            models.Index(
                fields=["refunded_by"], condition=Q(refunded_by__isnull=False), name="contrib_invoice_refunded_idx"
            ),
            models.Index(
                fields=["credited_by"], condition=Q(credited_by__isnull=False), name="contrib_invoice_credited_idx"
            ),
            # The daily reconciliation (contributions/reconciliation.py): invoices settled on a day.
            models.Index(fields=["paid_at"], condition=Q(paid_at__isnull=False), name="contrib_invoice_paid_idx"),
        ]

    def __str__(self) -> str:
        return self.number or _("invoice #%(id)s") % {"id": self.pk}


class InvoiceMonth(models.Model):
    """One billed contribution month of one worker on an invoice, priced when billed."""

    # Both served by composite indexes below: (invoice, enrollment, month) and (enrollment, month).
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="lines", db_index=False, verbose_name=_("invoice")
    )
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("enrollment")
    )
    month = models.DateField(help_text=_("First day of the contribution month."), verbose_name=_("month"))
    jkk = models.PositiveBigIntegerField(verbose_name=_("jkk"))
    jkm = models.PositiveBigIntegerField(verbose_name=_("jkm"))
    jht = models.PositiveBigIntegerField(verbose_name=_("jht"))
    total = models.PositiveBigIntegerField(verbose_name=_("total"))
    adjustment = models.CharField(max_length=60, blank=True, verbose_name=_("adjustment"))
    # TRUE on one line of each worker of a pending invoice (their first month), NULL on every other
    # line and once the invoice stops being pending (services._transition). The unique index on it
    # makes "a worker is on one pending invoice at most" the database's rule, which lets invoice
    # creation write without holding row locks from its check to its write (services.invoice_create).
    pending = models.BooleanField(null=True, default=None, editable=False, verbose_name=_("pending"))

    class Meta:
        verbose_name = _("invoice month")
        verbose_name_plural = _("invoice months")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "enrollment", "month"], name="%(app_label)s_%(class)s_once_per_invoice"
            ),
            models.UniqueConstraint(
                fields=["enrollment"], condition=Q(pending=True), name="%(app_label)s_%(class)s_one_pending"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="%(app_label)s_%(class)s_total_positive"),
            models.CheckConstraint(
                condition=Q(total=models.F("jkk") + models.F("jkm") + models.F("jht")),
                name="%(app_label)s_%(class)s_total_is_sum",
            ),
        ]
        indexes = [models.Index(fields=["enrollment", "month"], name="contrib_invmonth_enr_idx")]

    def __str__(self) -> str:
        return _("%(month)s, enrollment #%(id)s") % {"month": month_label(self.month), "id": self.enrollment_id}


class Payment(BaseModel):
    """Money a gateway confirmed for an invoice: the receipt. One per gateway transaction."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice"))
    gateway = models.CharField(max_length=16, choices=Gateway.choices, verbose_name=_("gateway"))
    transaction_id = models.CharField(max_length=100, verbose_name=_("transaction ID"))
    gross_amount = models.PositiveBigIntegerField(verbose_name=_("gross amount"))
    receipt_number = models.CharField(max_length=32, null=True, blank=True, verbose_name=_("receipt number"))
    credited = models.BooleanField(
        help_text=_("Whether the payment covered months (else it awaits review)."), verbose_name=_("credited")
    )
    confirmed_at = models.DateTimeField(verbose_name=_("confirmed at"))
    confirmation = models.JSONField(
        default=dict, help_text=_("The gateway's status answer, as received."), verbose_name=_("confirmation")
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "transaction_id"], name="%(app_label)s_%(class)s_once_per_transaction"
            ),
            models.UniqueConstraint(fields=["receipt_number"], name="%(app_label)s_%(class)s_receipt_uniq"),
            models.CheckConstraint(condition=Q(gross_amount__gt=0), name="%(app_label)s_%(class)s_amount_positive"),
        ]
        indexes = [
            # The daily reconciliation and the list's date filter: payments confirmed on a day.
            models.Index(fields=["confirmed_at"], name="contrib_payment_confirmed_idx"),
        ]

    def __str__(self) -> str:
        return self.receipt_number or _("payment #%(id)s") % {"id": self.pk}


class CoverageMonth(models.Model):
    """The coverage ledger: one row per (member, month) that is paid. Written only by settlement.

    The month belongs to the person, whoever paid it (the invoice says who): a month covered stays
    covered, and the unique constraint makes double coverage impossible, whatever races the gateways,
    sponsors and workers produce.
    """

    # Served by the (member, month) unique constraint.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="coverage_months", db_index=False, verbose_name=_("member")
    )
    month = models.DateField(verbose_name=_("month"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice"))
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="coverage_months", verbose_name=_("payment")
    )
    total = models.PositiveBigIntegerField(verbose_name=_("total"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("coverage month")
        verbose_name_plural = _("coverage months")
        ordering = ["member", "month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="%(app_label)s_%(class)s_once"),
            models.CheckConstraint(condition=Q(total__gt=0), name="%(app_label)s_%(class)s_total_positive"),
        ]

    def __str__(self) -> str:
        return _("%(month)s, member #%(id)s") % {"month": month_label(self.month), "id": self.member_id}


class GatewayNotification(models.Model):
    """Every notification a gateway sent, stored raw before it is acted on (audit and replay)."""

    gateway = models.CharField(max_length=16, choices=Gateway.choices, verbose_name=_("gateway"))
    order_id = models.CharField(max_length=64, verbose_name=_("order ID"))
    transaction_status = models.CharField(max_length=32, blank=True, verbose_name=_("transaction status"))
    transaction_id = models.CharField(max_length=100, blank=True, verbose_name=_("transaction ID"))
    payload = models.JSONField(verbose_name=_("payload"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))
    outcome = models.CharField(max_length=64, blank=True, verbose_name=_("outcome"))

    class Meta:
        verbose_name = _("gateway notification")
        verbose_name_plural = _("gateway notifications")
        indexes = [
            models.Index(fields=["order_id"], name="contrib_notif_order_idx"),
            models.Index(fields=["received_at"], condition=Q(processed_at__isnull=True), name="contrib_notif_todo_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.order_id} {self.transaction_status}"


class SimulatorTransaction(models.Model):
    """The payment simulator's own ledger: what a real gateway would know about a payment."""

    order_id = models.CharField(max_length=64, verbose_name=_("order ID"))
    transaction_id = models.CharField(max_length=64, verbose_name=_("transaction ID"))
    va_number = models.CharField(max_length=40, blank=True, verbose_name=_("VA number"))  # or bill key, or store payment code
    method = models.CharField(max_length=20, default="va_bca", db_default="va_bca", verbose_name=_("method"))
    gross_amount = models.PositiveBigIntegerField(verbose_name=_("gross amount"))
    transaction_status = models.CharField(max_length=16, default="pending", verbose_name=_("transaction status"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("simulator transaction")
        verbose_name_plural = _("simulator transactions")
        constraints = [
            models.UniqueConstraint(fields=["order_id"], name="%(app_label)s_%(class)s_order_uniq"),
            models.UniqueConstraint(fields=["transaction_id"], name="%(app_label)s_%(class)s_transaction_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.transaction_status}"


class Reminder(models.Model):
    """One reminder to one payer on one channel, about one contribution month: a row before it is a
    message. The daily pass plans rows in one set-based statement; small batch tasks send them.
    A reminder to the worker alone (no payer: their sponsorship ended) has no user.

    Unique per (enrollment, due date, kind, channel), so running the pass twice, or twice at once,
    never sends anything twice. A reminder that is no longer true when its turn comes (the month got
    paid, the enrollment ended) is skipped, not sent.
    """

    # Served by the (enrollment, due_date, kind, channel) unique constraint.
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("enrollment")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, verbose_name=_("user")
    )
    kind = models.CharField(max_length=20, choices=ReminderKind.choices, verbose_name=_("kind"))
    channel = models.CharField(max_length=12, choices=ReminderChannel.choices, verbose_name=_("channel"))
    month = models.DateField(help_text=_("The contribution month the reminder is about."), verbose_name=_("month"))
    due_date = models.DateField(verbose_name=_("due date"))
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PLANNED, verbose_name=_("status")
    )
    # Quiet hours: SMS and WhatsApp wait until this time (WIB 08:00) when planned at night.
    not_before = models.DateTimeField(null=True, blank=True, verbose_name=_("not before"))
    # False for an operator's explicit run for a date (send_reminders --date): it sends at once.
    respect_quiet_hours = models.BooleanField(default=True, verbose_name=_("respect quiet hours"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    # The Celery task that claimed the row: a redelivery of that same task may resume it.
    claimed_by = models.CharField(max_length=64, blank=True, verbose_name=_("claimed by"))
    provider_message_id = models.CharField(max_length=128, blank=True, verbose_name=_("provider message ID"))
    last_error = models.CharField(max_length=255, blank=True, verbose_name=_("last error"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "due_date", "kind", "channel"], name="%(app_label)s_%(class)s_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(status__in=["planned", "queued", "sending"]),
                name="contrib_reminder_todo_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()} · {month_label(self.month)}"


# --- Automatic monthly payment (issue 22, API.md "Automatic monthly payment (autopay)") -------------
# A payer's workers are its approved sponsorships (Enrollment); the months charged are their members'.


class AutopayMandate(BaseModel):
    """A payer's standing permission to charge a linked account (a GoPay wallet through GoPay
    tokenization, or a saved card) for their workers' monthly contributions. One per payer; unlinking
    turns it `off` and forgets the account, the row stays with the history of its charges."""

    payer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="autopay", verbose_name=_("payer")
    )
    status = models.CharField(
        max_length=10, choices=AutopayStatus.choices, default=AutopayStatus.OFF, verbose_name=_("status")
    )
    method = models.CharField(max_length=10, choices=AutopayMethod.choices, blank=True, verbose_name=_("method"))
    gateway = models.CharField(max_length=16, choices=Gateway.choices, blank=True, verbose_name=_("gateway"))
    # The gateway's linked account (Midtrans' GoPay account_id) and what a charge presents with it
    # (GoPay's payment_option_token). Cleared when unlinked.
    account_id = models.CharField(max_length=100, blank=True, verbose_name=_("account ID"))
    payment_token = models.TextField(blank=True, verbose_name=_("payment token"))
    account_masked = models.CharField(max_length=40, blank=True, verbose_name=_("account masked"))
    activation_url = models.CharField(max_length=500, blank=True, verbose_name=_("activation url"))
    # The simulator only: the linked account declines every charge (POST /payments/simulator/link).
    fail_charges = models.BooleanField(default=False, verbose_name=_("fail charges (simulator)"))
    linked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("linked at"))
    unlinked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("unlinked at"))

    class Meta:
        verbose_name = _("autopay mandate")
        verbose_name_plural = _("autopay mandates")
        indexes = [
            # A linking notification names the account, not the payer.
            models.Index(fields=["account_id"], condition=~Q(account_id=""), name="contrib_autopay_account_idx"),
        ]

    def __str__(self) -> str:
        return f"autopay of {self.payer_id}: {self.status}"


class AutopayOptOut(models.Model):
    """A worker its payer pays by hand although autopay is on (PATCH /workers/{id} {autopay: false}):
    a row of the sponsorship, so it ends with it (another payer of the member starts with autopay on).
    Every other approved sponsorship of a payer with autopay on is charged."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.CASCADE, related_name="+", verbose_name=_("enrollment")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("autopay opt out")
        verbose_name_plural = _("autopay opt outs")

    def __str__(self) -> str:
        return f"no autopay for {self.enrollment_id}"


class AutopayCharge(BaseModel):
    """One month's automatic payment of one payer: at most one per (payer, month), a constraint, so
    the charge day running twice, or twice at once, never bills or charges a month twice. It holds
    the month's one invoice (made when first charged), and the attempts: the charge day, then the
    12th and the 14th after declines. An attempt whose outcome is unknown (a timeout) is `in_doubt`:
    the next run asks the gateway about it before any new charge."""

    # Served by the (payer, month) unique constraint.
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("payer")
    )
    month = models.DateField(help_text=_("The month of the charge day (its first day)."), verbose_name=_("month"))
    status = models.CharField(
        max_length=10,
        choices=AutopayChargeStatus.choices,
        default=AutopayChargeStatus.PLANNED,
        verbose_name=_("status"),
    )
    invoice = models.OneToOneField(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="autopay_charge",
        verbose_name=_("invoice"),
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text=_("Charges sent to the gateway."), verbose_name=_("attempts")
    )
    failures = models.PositiveSmallIntegerField(
        default=0, help_text=_("Charges the gateway declined."), verbose_name=_("failures")
    )
    in_doubt = models.BooleanField(
        default=False, help_text=_("The last charge's outcome is not known yet."), verbose_name=_("in doubt")
    )
    next_attempt_on = models.DateField(null=True, blank=True, verbose_name=_("next attempt on"))
    failure_reason = models.CharField(max_length=40, blank=True, verbose_name=_("failure reason"))
    charged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("charged at"))
    failed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("failed at"))

    class Meta:
        verbose_name = _("autopay charge")
        verbose_name_plural = _("autopay charges")
        constraints = [
            models.UniqueConstraint(fields=["payer", "month"], name="%(app_label)s_%(class)s_once"),
            models.CheckConstraint(condition=Q(failures__lte=models.F("attempts")), name="%(app_label)s_%(class)s_failures_attempted"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_on"], condition=Q(status__in=["planned", "retry"]), name="contrib_autopay_todo_idx"
            ),
            models.Index(fields=["updated_at"], condition=Q(status="charging"), name="contrib_autopay_charging_idx"),
        ]

    def __str__(self) -> str:
        return f"{month_label(self.month)} · {self.get_status_display()}"
