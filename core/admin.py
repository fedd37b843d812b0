from django.apps import apps
from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from core.admin_links import change_url
from core.choices import AuditAction, action_label
from core.models import AuditLog
from core.paginator import ExactSearchAdmin
from core.phones import normalize_phone_or_none


def _audited_object(label: str):
    """The model an audit row's `object_type` names, if it still exists."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


class ActionFilter(admin.SimpleListFilter):
    """The audited actions, from their list (core.choices.AuditAction): no DISTINCT over the whole log."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    """The kinds of object audited: the models whose actions are in core.choices.AuditAction."""

    title = _("object type")
    parameter_name = "object_type"
    LABELS = ("registration.enrollment", "contributions.invoice", "sponsors.user", "auth.group")

    def lookups(self, request, model_admin):
        return [(label, apps.get_model(label)._meta.verbose_name) for label in self.LABELS]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(ExactSearchAdmin, ModelAdmin):
    """Read-only: audit rows are written by services, never edited or deleted."""

    list_display = ["at", "actor", "action_shown", "object_type_shown", "object_id", "detail"]
    list_filter = [ActionFilter, ObjectTypeFilter, ("at", admin.DateFieldListFilter)]
    search_fields = ["object_id"]  # shows the search box; search_q decides what a term matches
    search_help_text = _(
        "An exact object id, invoice number or KPJ number, or the phone of the staff member who acted (any format)."
    )
    list_select_related = ["actor"]

    def search_q(self, term: str) -> Q:
        # A row per approval and review: one per worker at least.
        types = [model._meta.label_lower for model in apps.get_models()]  # the index leads with the type
        wanted = Q(object_type__in=types, object_id=term)
        phone = normalize_phone_or_none(term)
        if phone:
            wanted |= Q(actor__phone=phone)
        return wanted | self._about_invoice_or_member(term)

    @staticmethod
    def _about_invoice_or_member(term: str) -> Q:
        """Rows about the invoice with this number, or about the member with this KPJ number and their
        sponsorships (approvals, rejections, NIK reveals): on the (object_type, object_id) index."""
        from contributions.models import Invoice
        from registration.models import Enrollment, Member

        wanted = Q(pk__in=[])
        invoice_id = Invoice.objects.filter(number=term.upper()).values_list("pk", flat=True).first()
        if invoice_id is not None:
            wanted |= Q(object_type=Invoice._meta.label_lower, object_id=str(invoice_id))
        if len(term) == 11 and term.isdigit():
            member_id = Member.objects.filter(kpj_number=term).values_list("pk", flat=True).first()
            if member_id is not None:
                sponsorships = [str(pk) for pk in Enrollment.objects.filter(member_id=member_id).values_list("pk", flat=True)]
                wanted |= Q(object_type=Member._meta.label_lower, object_id=str(member_id))
                wanted |= Q(object_type=Enrollment._meta.label_lower, object_id__in=sponsorships)
        return wanted

    def _object_link(self, request):
        """The audited object's id, linked to its admin page when this viewer may open it. One function
        per request (the form's fields and its read-only fields must name the same one)."""
        if hasattr(request, "_audited_object"):
            return request._audited_object

        def audited_object(obj):
            model = _audited_object(obj.object_type)
            url = change_url(model, obj.object_id, user=request.user) if model is not None else None
            return format_html('<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url, obj.object_id) if url else obj.object_id

        audited_object.short_description = _("object id")
        request._audited_object = audited_object
        return audited_object

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, obj):
        return action_label(obj.action)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_type_shown(self, obj):
        return obj.object_type_label()

    def get_list_display(self, request):
        return [self._object_link(request) if name == "object_id" else name for name in self.list_display]

    def get_fields(self, request, obj=None):
        return ["at", "actor", "action_shown", "object_type_shown", self._object_link(request), "detail"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
