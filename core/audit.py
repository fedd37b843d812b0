from core.models import AuditLog

# Every action services audit-log, with its label, is in core.choices.AuditAction.


def audit_log_record(*, actor, action: str, obj, detail: str = "") -> AuditLog:
    """Write one audit row for a staff action on `obj` (any model instance)."""
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail,
    )
