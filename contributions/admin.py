"""Back-office for money: invoices, payments and the coverage ledger are read-only and never deleted.
Finance closes `needs_review` cases (contributions/desk.py) and exports what a list shows as CSV
(contributions/exports.py)."""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from contributions import exports
from contributions.choices import Gateway
from contributions.desk import CaseAgeFilter, CaseStateFilter, DateInput, FinanceDeskMixin, method_name
from contributions.models import (
    ContributionRate,
    CoverageMonth,
    GatewayNotification,
    Invoice,
    InvoiceMonth,
    Payment,
    Reminder,
)
from core.admin_base import SaveOnlyChangesMixin
from core.exceptions import DomainError
from core.format import month_label, rupiah
from core.paginator import ExactSearchAdmin
from core.phones import normalize_phone_or_none
from registration.admin import MemberAdmin, mask_last4
from registration.models import Enrollment, Member
from sponsors.models import User


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContributionRate)
class ContributionRateAdmin(SaveOnlyChangesMixin, ModelAdmin):
    """Rates are edited here; `clean()` refuses periods that overlap for the same kind and sector."""

    list_display = ["regulation", "kind", "sector", "valid_from", "valid_to", "jkk_percent", "jkm_amount", "jht_percent"]
    list_filter = ["kind", "sector"]

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceMonthInline(ReadOnlyMixin, TabularInline):
    model = InvoiceMonth
    fields = ["enrollment", "month_shown", "jkk_shown", "jkm_shown", "jht_shown", "total_shown", "adjustment"]
    readonly_fields = fields
    extra = 0
    hide_title = True  # each row's columns say what it is

    @admin.display(description=_("month"))
    def month_shown(self, obj):
        return month_label(obj.month)

    @admin.display(description="JKK")
    def jkk_shown(self, obj):
        return rupiah(obj.jkk)

    @admin.display(description="JKM")
    def jkm_shown(self, obj):
        return rupiah(obj.jkm)

    @admin.display(description="JHT")
    def jht_shown(self, obj):
        return rupiah(obj.jht)

    @admin.display(description=_("total"))
    def total_shown(self, obj):
        return rupiah(obj.total)


class PaymentInline(ReadOnlyMixin, TabularInline):
    model = Payment
    fields = ["receipt_number", "transaction_id", "gross_amount_shown", "credited", "confirmed_at"]
    readonly_fields = fields
    extra = 0
    hide_title = True

    @admin.display(description=_("gross amount"))
    def gross_amount_shown(self, obj):
        return rupiah(obj.gross_amount)


def _invoice_id(term: str) -> int | None:
    """The invoice with this exact number (any case), by its unique index."""
    return Invoice.objects.filter(number=term.upper()).values_list("pk", flat=True).first()


def _transaction(term: str) -> Q:
    """A payment's gateway transaction id, exactly: the unique (gateway, transaction_id) index."""
    return Q(gateway__in=Gateway.values, transaction_id=term)


@admin.register(Invoice)
class InvoiceAdmin(FinanceDeskMixin, ExactSearchAdmin, ModelAdmin):
    list_display = ["number_shown", "sponsor", "status", "case_state", "total_shown", "received", "review_reason",
                    "needs_review_at", "paid_at"]  # when it was made: its page (fits 1440 px without scrolling)
    list_filter = [CaseStateFilter, CaseAgeFilter, "status", "review_reason", "gateway",
                   ("created_at", admin.DateFieldListFilter)]
    search_fields = ["number"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("An exact invoice number, VA number, or the sponsor's phone (any format).")
    list_select_related = ["sponsor"]
    ordering = ["-id"]
    inlines = [InvoiceMonthInline, PaymentInline]
    readonly_fields = [
        "number", "sponsor", "status", "total_shown", "gateway", "payment_method_shown", "va_number", "gateway_reference",
        "payment_details", "expires_at",
        "paid_at", "expired_at", "cancelled_at", "needs_review_at", "review_reason", "refunded_at",
        "refund_amount_shown", "refund_reference", "refund_transferred_on", "refund_note", "refunded_by", "credited_by",
        "created_at", "updated_at",
        # Which app request made it: support answers "I was billed twice" with it.
        "idempotency_key",
    ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.case_fields(request), *self.readonly_fields]

    def get_fields(self, request, obj=None):
        # Everything is shown, nothing edited (the case closes through its buttons): no form fields.
        return self.get_readonly_fields(request, obj)

    def get_urls(self):
        return [
            *self.case_urls(),
            path("export/", self.admin_site.admin_view(self.export_view), name="contributions_invoice_export"),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def render_change_form(self, request, context, *args, **kwargs):
        # Nothing on the page is edited: cases close through their own buttons (case_actions).
        context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=_("total"), ordering="total")
    def total_shown(self, obj):
        return rupiah(obj.total)

    @admin.display(description=_("number"), ordering="id")
    def number_shown(self, obj):
        return format_html('<span class="whitespace-nowrap">{}</span>', obj.number)  # one line, wide list or not

    @admin.display(description=_("refund amount"))
    def refund_amount_shown(self, obj):
        return rupiah(obj.refund_amount)

    @admin.display(description=_("payment method"))
    def payment_method_shown(self, obj):
        return method_name(obj.payment_method)

    def search_q(self, term: str) -> Q:
        # The invoice table is the largest one (a row per payer per month at national scale).
        wanted = Q(number=term.upper())
        if term.isdigit():
            wanted |= Q(va_number=term)
        phone = normalize_phone_or_none(term)
        sponsor_id = User.objects.filter(phone=phone).values_list("pk", flat=True).first() if phone else None
        if sponsor_id is not None:
            wanted |= Q(sponsor_id=sponsor_id)
        return wanted

    def export_view(self, request):
        """The invoices the list shows under its current filters and search, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            invoices = exports.changelist_queryset(self, request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("These filters are not valid."))
        return exports.invoices_csv(invoices, f"invoices-{timezone.localdate():%Y%m%d}.csv")


class ExportForm(forms.Form):
    """An optional range of confirmation dates (WIB) on top of the list's filters."""

    date_from = forms.DateField(label=_("From (WIB)"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To (WIB, inclusive)"), required=False, widget=DateInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_to"] < cleaned["date_from"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return cleaned


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, ExactSearchAdmin, ModelAdmin):
    list_display = ["receipt_number", "invoice", "gateway", "gross_amount_shown", "credited", "confirmed_at"]
    list_filter = ["credited", "gateway", ("confirmed_at", admin.DateFieldListFilter)]
    search_fields = ["receipt_number"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("An exact receipt number, gateway transaction id or invoice number.")
    list_select_related = ["invoice"]
    ordering = ["-id"]

    @admin.display(description=_("gross amount"), ordering="gross_amount")
    def gross_amount_shown(self, obj):
        return rupiah(obj.gross_amount)

    def search_q(self, term: str) -> Q:
        # A payment per paid invoice, nationally.
        wanted = Q(receipt_number=term.upper()) | _transaction(term)
        invoice_id = _invoice_id(term)
        if invoice_id is not None:
            wanted |= Q(invoice_id=invoice_id)
        return wanted

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="contributions_payment_export")
        ] + super().get_urls()

    def export_view(self, request):
        """The payments the list shows under its current filters and search, within an optional range
        of confirmation dates (WIB), as CSV. Without any, the form asks for a range."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ExportForm(request.GET or None)
        if not form.is_valid():
            context = {**self.admin_site.each_context(request), "title": gettext("Export payments"), "form": form,
                       "opts": self.model._meta}
            return TemplateResponse(request, "admin/contributions/payment/export.html", context)
        try:
            payments = exports.changelist_queryset(self, request, drop=("date_from", "date_to"))
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("These filters are not valid."))
        tz = timezone.get_current_timezone()
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        if date_from:
            payments = payments.filter(confirmed_at__gte=datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz))
        if date_to:
            end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
            payments = payments.filter(confirmed_at__lt=end)
        name = f"payments-{date_from or 'start'}-{date_to or timezone.localdate()}.csv"
        return exports.payments_csv(payments, name)


@admin.register(CoverageMonth)
class CoverageMonthAdmin(ReadOnlyMixin, ExactSearchAdmin, ModelAdmin):
    list_display = ["member", "month_shown", "total_shown", "invoice", "created_at"]
    list_filter = [("month", admin.DateFieldListFilter)]
    search_fields = ["invoice__number"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("An exact KPJ number or invoice number.")
    list_select_related = ["member", "invoice"]

    @admin.display(description=_("month"), ordering="month")
    def month_shown(self, obj):
        return month_label(obj.month)

    @admin.display(description=_("total"), ordering="total")
    def total_shown(self, obj):
        return rupiah(obj.total)

    def search_q(self, term: str) -> Q:
        # A row per member per paid month: the largest table of all.
        wanted = Q(pk__in=[])
        if len(term) == 11 and term.isdigit():
            wanted |= Q(member_id__in=Member.objects.filter(kpj_number=term).values("pk"))
        invoice_id = _invoice_id(term)
        if invoice_id is not None:
            wanted |= Q(invoice_id=invoice_id)
        return wanted


@admin.register(GatewayNotification)
class GatewayNotificationAdmin(ReadOnlyMixin, ExactSearchAdmin, ModelAdmin):
    list_display = ["received_at", "gateway", "order_id", "transaction_status", "processed_at", "outcome"]
    list_filter = ["gateway", "transaction_status", "outcome"]
    search_fields = ["order_id"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("An exact invoice number (the gateway's order id), or the transaction id of a payment.")

    def search_q(self, term: str) -> Q:
        # The order id's index; a transaction id is found through its payment.
        paid = Payment.objects.filter(_transaction(term)).values("invoice__number")
        return Q(order_id=term.upper()) | Q(order_id__in=paid)


class CoverageMonthInline(ReadOnlyMixin, TabularInline):
    """The member's paid months (the ledger), whoever paid them, on the member's page."""

    model = CoverageMonth
    fields = ["month_shown", "total_shown", "invoice", "paid_by", "created_at"]
    readonly_fields = fields
    extra = 0
    ordering = ["-month"]
    verbose_name = _("covered month")
    verbose_name_plural = _("coverage ledger")
    hide_title = True

    @admin.display(description=_("month"))
    def month_shown(self, obj):
        return month_label(obj.month)

    @admin.display(description=_("total"))
    def total_shown(self, obj):
        return rupiah(obj.total)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice__sponsor")

    @admin.display(description=_("paid by"))
    def paid_by(self, obj):
        return obj.invoice.sponsor


class MemberWithLedgerAdmin(MemberAdmin):
    inlines = [*MemberAdmin.inlines, CoverageMonthInline]


admin.site.unregister(Member)
admin.site.register(Member, MemberWithLedgerAdmin)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyMixin, ExactSearchAdmin, ModelAdmin):
    """The reminder rows the daily pass plans and the senders work through: support answers "I was never
    reminded" with them. A row per enrollment, due date, kind and channel: over a million a day."""

    list_display = ["id", "enrollment", "payer", "kind", "channel", "month", "due_date", "status", "sent_at"]
    list_filter = ["status", "kind", "channel", ("due_date", admin.DateFieldListFilter)]
    list_select_related = ["enrollment__member", "user"]  # the enrollment shows its member's masked NIK
    ordering = ["-id"]
    search_fields = ["id"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("The worker's exact KPJ number, or the payer's phone (any format).")

    @admin.display(description=_("payer"))
    def payer(self, obj):
        return mask_last4(obj.user.phone) if obj.user else "—"

    def search_q(self, term: str) -> Q:
        # The (enrollment, due_date, kind, channel) unique index, and the user's foreign-key index.
        wanted = Q(pk__in=[])
        if len(term) == 11 and term.isdigit():
            member = Member.objects.filter(kpj_number=term).values("pk")
            wanted |= Q(enrollment_id__in=Enrollment.objects.filter(member_id__in=member).values("pk"))
        phone = normalize_phone_or_none(term)
        payer_id = User.objects.filter(phone=phone).values_list("pk", flat=True).first() if phone else None
        if payer_id is not None:
            wanted |= Q(user_id=payer_id)
        return wanted
