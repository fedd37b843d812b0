from django.contrib import admin

from core.models import AuditLog
from core.paginator import LargeTableAdmin


@admin.register(AuditLog)
class AuditLogAdmin(LargeTableAdmin, admin.ModelAdmin):
    """Read-only: audit rows are written by services, never edited or deleted."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "detail"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["object_id", "actor__phone", "actor__full_name"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
