from django.utils.translation import gettext_lazy as _

from core.models import AuditLog

# Every action services audit-log, as people read it (the audit log's filter lists these, never a
# DISTINCT over the table).
ACTIONS = {
    "enrollment_approve": _("Enrollment approved"),
    "enrollment_reject": _("Enrollment rejected"),
    "nik_reveal": _("Full NIK revealed"),
    "invoice_refund": _("Refund recorded"),
    "invoice_credit_after_review": _("Money credited after a check"),
    "account_create": _("Account created"),
    "account_change": _("Account changed"),
    "group_create": _("Group created"),
    "group_change": _("Group changed"),
    "group_delete": _("Group deleted"),
}


def audit_log_record(*, actor, action: str, obj, detail: str = "") -> AuditLog:
    """Write one audit row for a staff action on `obj` (any model instance)."""
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail,
    )
