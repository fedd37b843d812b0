from django.db import models
from django.utils.translation import gettext_lazy as _


class RateKind(models.TextChoices):
    NORMAL = "normal", _("Normal rates")
    ADJUSTMENT = "adjustment", _("Temporary adjustment")


ALLOWED_MONTH_COUNTS = (1, 3, 6, 12)
# At most this many months beyond the current month may be paid ahead (our rule, DOMAIN.md).
MAX_PREPAY_MONTHS_AHEAD = 12


class InvoiceStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    NEEDS_REVIEW = "needs_review", _("Needs review")


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
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from the invoice total")
    MONTHS_ALREADY_COVERED = "months_already_covered", _("Months already covered by another payment")
    COVERAGE_LAPSED = "coverage_lapsed", _("Months of a coverage period that lapsed before the money came")
    INVOICE_CLOSED = "invoice_closed", _("Money came after the invoice expired or was cancelled")


class ReviewOutcome(models.TextChoices):
    """How finance closed a `needs_review` case. Blank while the case is open."""

    REFUNDED = "refunded", _("Refunded")
    CREDITED = "credited", _("Credited after a check")


class Gateway(models.TextChoices):
    SIMULATOR = "simulator", _("Simulator")
    MIDTRANS = "midtrans", _("Midtrans")
    XENDIT = "xendit", _("Xendit")


class AutopayStatus(models.TextChoices):
    """API.md "Automatic monthly payment": `failed` is a linked account whose last month's charge
    failed for good (the next month is tried again)."""

    OFF = "off", _("Off")
    LINKING = "linking", _("Linking")
    ACTIVE = "active", _("Active")
    FAILED = "failed", _("Failed")


# The mandate statuses under which the charge day charges.
AUTOPAY_LINKED = (AutopayStatus.ACTIVE, AutopayStatus.FAILED)


class AutopayMethod(models.TextChoices):
    GOPAY = "gopay", _("GoPay (tokenization)")
    CARD = "card", _("Saved card")


class AutopayChargeStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CHARGING = "charging", _("Charging")
    RETRY = "retry", _("Waiting to try again")
    CHARGED = "charged", _("Charged")
    FAILED = "failed", _("Failed (the payer was told)")
    SKIPPED = "skipped", _("Skipped (nothing to charge, or unlinked)")


# Midtrans transaction_status values (https://docs.midtrans.com, HTTP notification).
SETTLED_STATUSES = frozenset({"settlement", "capture"})
CLOSING_STATUSES = frozenset({"expire", "cancel", "deny"})


class ReminderKind(models.TextChoices):
    DUE_IN_7_DAYS = "due_d7", _("Due in 7 days")
    DUE_IN_3_DAYS = "due_d3", _("Due in 3 days")
    DUE_IN_1_DAY = "due_d1", _("Due tomorrow")
    OVERDUE = "overdue", _("Overdue (now in arrears)")
    ARREARS_MONTHLY = "arrears_monthly", _("Monthly arrears reminder")
    FINAL_WARNING = "final_warning", _("Final warning before lapse")
    COVERAGE_LAPSED = "coverage_lapsed", _("Coverage lapsed")
    PREPAID_ENDING = "prepaid_ending", _("Prepaid period ends this month")
    COVERAGE_ENDING = "coverage_ending", _("Coverage ends (sponsorship ended): how to continue")


class ReminderChannel(models.TextChoices):
    SMS = "sms", _("SMS to the payer")
    WHATSAPP = "whatsapp", _("WhatsApp to the payer")
    PUSH = "push", _("Push to the payer's devices")
    INBOX = "inbox", _("The payer's in-app inbox")
    WORKER_SMS = "worker_sms", _("SMS to the worker")


class ReminderStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped (no longer true)")
    FAILED = "failed", _("Failed")
