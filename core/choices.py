from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """What a staff member did (core.audit.audit_log_record's `action`)."""

    ENROLLMENT_APPROVE = "enrollment_approve", _("Enrollment approved")
    ENROLLMENT_REJECT = "enrollment_reject", _("Enrollment rejected")
    NIK_REVEAL = "nik_reveal", _("Full NIK revealed")
    INVOICE_REFUND = "invoice_refund", _("Refund recorded")
    INVOICE_CREDIT_AFTER_REVIEW = "invoice_credit_after_review", _("Money credited after a check")
    ACCOUNT_CREATE = "account_create", _("Account created")
    ACCOUNT_CHANGE = "account_change", _("Account changed")
    GROUP_CREATE = "group_create", _("Staff group created")
    GROUP_CHANGE = "group_change", _("Staff group changed")
    GROUP_DELETE = "group_delete", _("Staff group deleted")


def action_label(code: str) -> str:
    """The action as people read it; an action not (yet) listed shows as its code."""
    return str(dict(AuditAction.choices).get(code, code))
