from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from core.paginator import LargeTableAdmin
from notifications.models import InboxItem, Message


class ReadOnlyAdmin(LargeTableAdmin, ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["channel", "kind", "status"]
    exclude = ["to", "body"]  # staff need delivery state, not the codes and numbers inside


@admin.register(InboxItem)
class InboxItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]
