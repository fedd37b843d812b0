"""Back-office for money: invoices, payments and the coverage ledger are read-only and never deleted.
Finance works the `needs_review` queue (mark refunded, with a note) and exports payments as CSV."""

import csv
import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from contributions import services
from contributions.choices import Gateway
from contributions.models import ContributionRate, CoverageMonth, GatewayNotification, Invoice, InvoiceMonth, Payment
from core.admin_base import SaveOnlyChangesMixin
from core.exceptions import DomainError
from core.format import month_label, rupiah
from core.paginator import ExactSearchAdmin
from core.phones import normalize_phone_or_none
from registration.admin import MemberAdmin
from registration.models import Member
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


class RefundForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000)


@admin.register(Invoice)
class InvoiceAdmin(ExactSearchAdmin, ModelAdmin):
    list_display = ["number", "sponsor", "status", "total_shown", "review_reason", "refunded_at", "created_at", "paid_at"]
    list_filter = ["status", "review_reason", "gateway", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["number"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("An exact invoice number, VA number, or the sponsor's phone (any format).")
    list_select_related = ["sponsor"]
    ordering = ["-id"]
    inlines = [InvoiceMonthInline, PaymentInline]
    actions = ["mark_refunded"]
    readonly_fields = [
        "number", "sponsor", "status", "total", "gateway", "va_number", "gateway_reference", "expires_at",
        "paid_at", "expired_at", "cancelled_at", "needs_review_at", "review_reason", "refunded_at",
        "refund_note", "refunded_by", "created_at", "updated_at",
        # Which app request made it: support answers "I was billed twice" with it.
        "idempotency_key",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("total"), ordering="total")
    def total_shown(self, obj):
        return rupiah(obj.total)

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

    @admin.action(description=_("Mark as refunded (needs review only)…"), permissions=["change"])
    def mark_refunded(self, request, queryset):
        form = RefundForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for invoice in queryset:
                try:
                    services.invoice_mark_refunded(invoice=invoice, actor=request.user, note=form.cleaned_data["note"])
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"{invoice.number}: {exc.detail}", messages.WARNING)
            if done:
                self.message_user(request, gettext("%(count)s invoice(s) marked refunded.") % {"count": done}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Mark invoices as refunded"),
            "queryset": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/contributions/invoice/refund.html", context)


class ExportForm(forms.Form):
    date_from = forms.DateField(label=_("From (WIB)"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To (WIB, inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_to"] < cleaned["date_from"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return cleaned


class _Echo:
    def write(self, value):
        return value


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
        """Payments confirmed in a date range (WIB), as CSV, streamed so any range fits in memory."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ExportForm(request.GET or None)
        if not form.is_valid():
            context = {**self.admin_site.each_context(request), "title": gettext("Export payments"), "form": form,
                       "opts": self.model._meta}
            return TemplateResponse(request, "admin/contributions/payment/export.html", context)
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(form.cleaned_data["date_from"], datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(form.cleaned_data["date_to"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        rows = (
            Payment.objects.filter(confirmed_at__gte=start, confirmed_at__lt=end)
            .select_related("invoice")
            .order_by("confirmed_at", "id")
            .values_list("receipt_number", "invoice__number", "gateway", "transaction_id", "gross_amount", "credited",
                         "confirmed_at", "invoice__status")
        )
        writer = csv.writer(_Echo())

        def stream():
            yield writer.writerow(["receipt_number", "invoice_number", "gateway", "transaction_id", "gross_amount",
                                   "credited", "confirmed_at", "invoice_status"])
            for row in rows.iterator(chunk_size=2000):
                receipt, number, gateway, txn, amount, credited, confirmed, inv_status = row
                yield writer.writerow([receipt or "", number, gateway, txn, amount, "yes" if credited else "no",
                                       timezone.localtime(confirmed).isoformat(), inv_status])

        name = f"payments-{form.cleaned_data['date_from']}-{form.cleaned_data['date_to']}.csv"
        response = StreamingHttpResponse(stream(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


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
