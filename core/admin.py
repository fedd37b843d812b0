from django.apps import apps
from django.contrib import admin
from django.db.models import Q

from core.models import AuditLog
from core.paginator import LargeTableAdmin
from core.phones import normalize_phone_or_none


@admin.register(AuditLog)
class AuditLogAdmin(LargeTableAdmin, admin.ModelAdmin):
    """Read-only: audit rows are written by services, never edited or deleted."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "detail"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["object_id"]  # shows the search box; get_search_results decides what a term matches
    search_help_text = "An exact object id, or the phone of the staff member who acted (any format)."
    list_select_related = ["actor"]

    def get_search_results(self, request, queryset, search_term):
        # A row per approval and review: one per worker at least. Exact matches on indexes only.
        term = search_term.strip()
        if not term:
            return queryset, False
        types = [model._meta.label_lower for model in apps.get_models()]  # the index leads with the type
        wanted = Q(object_type__in=types, object_id=term)
        phone = normalize_phone_or_none(term)
        if phone:
            wanted |= Q(actor__phone=phone)
        return queryset.filter(wanted), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
