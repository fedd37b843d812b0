from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.choices import AuditAction, action_label


class BaseModel(models.Model):
    """Timestamps every domain row carries."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        abstract = True


class AuditLog(models.Model):
    """A staff action on personal data or a decision (approve, reject, reveal a NIK), kept for audit.

    UU PDP 27/2022 asks who processed whose data, when and why. Rows are never edited or deleted from
    the admin.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor")
    )
    action = models.CharField(max_length=40, choices=AuditAction.choices, verbose_name=_("action"))
    object_type = models.CharField(max_length=60, verbose_name=_("object type"))
    object_id = models.CharField(max_length=40, verbose_name=_("object ID"))
    detail = models.TextField(blank=True, verbose_name=_("detail"))
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("time"))

    class Meta:
        verbose_name = _("audit log")
        verbose_name_plural = _("audit logs")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="core_audit_object_idx"),
            models.Index(fields=["action"], name="core_audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{action_label(self.action)} · {self.object_type_label()} #{self.object_id}"

    def object_type_label(self) -> str:
        """The audited model as people read it (`Tagihan`, not `contributions.invoice`); the stored
        label only when that model no longer exists."""
        try:
            return capfirst(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type
