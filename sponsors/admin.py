from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from core.paginator import LargeTableAdmin
from core.phones import normalize_phone_or_none
from sponsors.models import Device, User


@admin.register(User)
class UserAdmin(LargeTableAdmin, BaseUserAdmin):
    ordering = ["-id"]
    list_display = ["phone", "full_name", "phone_verified", "is_staff", "date_joined"]
    list_filter = ["is_staff", "is_active", "groups"]
    # A phone is matched exactly, on its unique index; a name or an e-mail address inside (a full scan).
    search_fields = ["full_name", "email"]
    search_help_text = "A phone (any format), or part of a name or an e-mail address."
    readonly_fields = ["date_joined", "last_login", "phone_verified_at", "whatsapp_opt_in_at"]
    fieldsets = [
        (None, {"fields": ["phone", "password"]}),
        ("Profile", {"fields": ["full_name", "email", "language", "remind_by_sms", "remind_by_whatsapp", "remind_by_push", "whatsapp_opt_in_at"]}),
        ("Status", {"fields": ["phone_verified_at", "is_active", "date_joined", "last_login"]}),
        ("Back-office", {"fields": ["is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["phone", "full_name", "password1", "password2"]})]
    filter_horizontal = ["groups"]

    @admin.display(boolean=True, description="phone verified")
    def phone_verified(self, obj):
        return obj.phone_verified

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        phone = normalize_phone_or_none(search_term.strip())
        if phone:
            return queryset.filter(phone=phone), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "platform", "created_at"]
    list_filter = ["platform"]
    readonly_fields = ["user", "token", "platform"]
