from django.apps import apps
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from core.models import AuditLog
from core.paginator import ExactSearchAdmin
from core.phones import normalize_phone_or_none


@admin.register(AuditLog)
class AuditLogAdmin(ExactSearchAdmin, ModelAdmin):
    """Read-only: audit rows are written by services, never edited or deleted."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "detail"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["object_id"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("An exact object id, or the phone of the staff member who acted (any format).")
    list_select_related = ["actor"]

    def search_q(self, term: str) -> Q:
        # A row per approval and review: one per worker at least.
        types = [model._meta.label_lower for model in apps.get_models()]  # the index leads with the type
        wanted = Q(object_type__in=types, object_id=term)
        phone = normalize_phone_or_none(term)
        if phone:
            wanted |= Q(actor__phone=phone)
        return wanted

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
