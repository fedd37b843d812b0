"""Accounts and staff groups in the back office.

Only superusers manage staff: a non-superuser with `sponsors.change_user` edits the profile of
non-staff accounts and sees staff accounts read-only; it never sees nor sets staff status, the superuser
flag, groups, permissions or a password. Groups are the superusers' alone. Every change of an account or
a group made here is audit-logged with its actor (sponsors.services), and refused (rolled back) if a
non-superuser made a change only a superuser may make.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from core.admin_base import SaveOnlyChangesMixin
from core.paginator import LargeTableAdmin
from core.phones import normalize_phone_or_none
from sponsors import services
from sponsors.models import Device, User
from sponsors.sponsor_pages import sponsor_sections

BACK_OFFICE = (_("Back office"), {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]})


@admin.register(User)
class UserAdmin(SaveOnlyChangesMixin, LargeTableAdmin, BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    ordering = ["-id"]
    list_display = ["phone", "full_name", "phone_verified", "is_staff", "date_joined"]
    list_filter = ["is_staff", "is_active", "groups"]
    # A phone is matched exactly, on its unique index; a name or an e-mail address inside (a full scan).
    search_fields = ["full_name", "email"]
    search_help_text = _("A phone (any format), or part of a name or an e-mail address.")
    readonly_fields = ["date_joined", "last_login", "phone_verified_at", "whatsapp_opt_in_at"]
    fieldsets = [
        (None, {"fields": ["phone", "password"]}),
        (_("Profile"), {"fields": ["full_name", "email", "language", "remind_by_sms", "remind_by_whatsapp", "remind_by_push", "whatsapp_opt_in_at"]}),
        (_("Status"), {"fields": ["phone_verified_at", "is_active", "date_joined", "last_login"]}),
        BACK_OFFICE,
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["phone", "full_name", "password1", "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]

    @admin.display(boolean=True, description=_("phone verified"))
    def phone_verified(self, obj):
        return obj.phone_verified

    # --- who may do what ------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False  # staff accounts are the superusers' to manage: read-only at most
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        shown = list(super().get_readonly_fields(request, obj))
        return [*shown, *sponsor_sections(request)] if obj is not None else shown

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and sponsor_sections(request):
            fieldsets = [*fieldsets, (_("Workers and invoices"), {"fields": list(sponsor_sections(request))})]
        if obj is None or request.user.is_superuser:
            return fieldsets
        # No password hash, no staff flags, groups or permissions for a non-superuser, not even read-only.
        hidden = {"password", *BACK_OFFICE[1]["fields"]}
        shown = [(name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
                 for name, options in fieldsets]
        return [(name, options) for name, options in shown if options["fields"]]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and not request.user.is_superuser:
            kwargs["form"] = forms.ModelForm  # the change form declares a password field: leave it out
        return super().get_form(request, obj, **kwargs)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if request.user.is_superuser else [name for name in shown if name != "is_staff"]

    def get_list_filter(self, request):
        shown = super().get_list_filter(request)
        return shown if request.user.is_superuser else [name for name in shown if name not in ("is_staff", "groups")]

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().user_change_password(request, id, form_url)

    # --- the audit ------------------------------------------------------------------------------

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._audit_before = services.account_snapshot(obj)  # before the form changes it
        return obj

    def log_addition(self, request, obj, message):
        services.account_change_record(actor=request.user, account=obj, before=None)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if getattr(obj, "_nothing_changed", False):
            return None  # nothing to audit (SaveOnlyChangesMixin saved nothing)
        services.account_change_record(actor=request.user, account=obj, before=obj._audit_before)
        return super().log_change(request, obj, message)

    def get_search_results(self, request, queryset, search_term):
        phone = normalize_phone_or_none(search_term.strip())
        if phone:
            return queryset.filter(phone=phone), False
        return super().get_search_results(request, queryset, search_term)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SaveOnlyChangesMixin, BaseGroupAdmin, ModelAdmin):
    """Groups and the permissions they hold: superusers only, every change audit-logged."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._audit_before = services.group_snapshot(obj)
        return obj

    def log_addition(self, request, obj, message):
        services.group_change_record(actor=request.user, group=obj, before=None)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if getattr(obj, "_nothing_changed", False):
            return None
        services.group_change_record(actor=request.user, group=obj, before=obj._audit_before)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for group in queryset:
            services.group_change_record(actor=request.user, group=group, before=None, deleted=True)
        return super().log_deletions(request, queryset)


@admin.register(Device)
class DeviceAdmin(SaveOnlyChangesMixin, ModelAdmin):
    list_display = ["user", "platform", "created_at"]
    list_filter = ["platform"]
    readonly_fields = ["user", "token", "platform"]
