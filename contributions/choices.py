from django.db import models
from django.utils.translation import gettext_lazy as _


class RateKind(models.TextChoices):
    NORMAL = "normal", "Normal rates"
    ADJUSTMENT = "adjustment", "Temporary adjustment"


ALLOWED_MONTH_COUNTS = (1, 3, 6, 12)
# At most this many months beyond the current month may be paid ahead (our rule, DOMAIN.md).
MAX_PREPAY_MONTHS_AHEAD = 12


class InvoiceStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    NEEDS_REVIEW = "needs_review", "Needs review"


# Money that arrives is never ignored: a closed (expired, cancelled) invoice that the gateway confirms
# as settled is credited if the money came before it closed, else sent to review. Nothing moves back
# to `pending`, and `paid` is final.
INVOICE_TRANSITIONS: dict[str, frozenset[str]] = {
    InvoiceStatus.PENDING: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.EXPIRED, InvoiceStatus.CANCELLED, InvoiceStatus.NEEDS_REVIEW}
    ),
    InvoiceStatus.EXPIRED: frozenset({InvoiceStatus.PAID, InvoiceStatus.NEEDS_REVIEW}),
    InvoiceStatus.CANCELLED: frozenset({InvoiceStatus.PAID, InvoiceStatus.NEEDS_REVIEW}),
    InvoiceStatus.PAID: frozenset(),
    # Only finance's credit after a check (services.invoice_credit_after_review): late money for an
    # invoice that had closed, whose months are still uncovered and whose period has not lapsed.
    InvoiceStatus.NEEDS_REVIEW: frozenset({InvoiceStatus.PAID}),
}


class ReviewReason(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", "Amount differs from the invoice total"
    MONTHS_ALREADY_COVERED = "months_already_covered", "Months already covered by another payment"
    COVERAGE_LAPSED = "coverage_lapsed", "Months of a coverage period that lapsed before the money came"
    INVOICE_CLOSED = "invoice_closed", "Money came after the invoice expired or was cancelled"


class ReviewOutcome(models.TextChoices):
    """How finance closed a `needs_review` case. Blank while the case is open."""

    REFUNDED = "refunded", _("Refunded")
    CREDITED = "credited", _("Credited after a check")


class Gateway(models.TextChoices):
    SIMULATOR = "simulator", "Simulator"
    MIDTRANS = "midtrans", "Midtrans"
    XENDIT = "xendit", "Xendit"


class AutopayStatus(models.TextChoices):
    """API.md "Automatic monthly payment": `failed` is a linked account whose last month's charge
    failed for good (the next month is tried again)."""

    OFF = "off", "Off"
    LINKING = "linking", "Linking"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"


# The mandate statuses under which the charge day charges.
AUTOPAY_LINKED = (AutopayStatus.ACTIVE, AutopayStatus.FAILED)


class AutopayMethod(models.TextChoices):
    GOPAY = "gopay", "GoPay (tokenization)"
    CARD = "card", "Saved card"


class AutopayChargeStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    CHARGING = "charging", "Charging"
    RETRY = "retry", "Waiting to try again"
    CHARGED = "charged", "Charged"
    FAILED = "failed", "Failed (the payer was told)"
    SKIPPED = "skipped", "Skipped (nothing to charge, or unlinked)"


# Midtrans transaction_status values (https://docs.midtrans.com, HTTP notification).
SETTLED_STATUSES = frozenset({"settlement", "capture"})
CLOSING_STATUSES = frozenset({"expire", "cancel", "deny"})


class ReminderKind(models.TextChoices):
    DUE_IN_7_DAYS = "due_d7", "Due in 7 days"
    DUE_IN_3_DAYS = "due_d3", "Due in 3 days"
    DUE_IN_1_DAY = "due_d1", "Due tomorrow"
    OVERDUE = "overdue", "Overdue (now in arrears)"
    ARREARS_MONTHLY = "arrears_monthly", "Monthly arrears reminder"
    FINAL_WARNING = "final_warning", "Final warning before lapse"
    COVERAGE_LAPSED = "coverage_lapsed", "Coverage lapsed"
    PREPAID_ENDING = "prepaid_ending", "Prepaid period ends this month"
    COVERAGE_ENDING = "coverage_ending", "Coverage ends (sponsorship ended): how to continue"


class ReminderChannel(models.TextChoices):
    SMS = "sms", "SMS to the payer"
    WHATSAPP = "whatsapp", "WhatsApp to the payer"
    PUSH = "push", "Push to the payer's devices"
    INBOX = "inbox", "The payer's in-app inbox"
    WORKER_SMS = "worker_sms", "SMS to the worker"


class ReminderStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (no longer true)"
    FAILED = "failed", "Failed"
