"""Finance's desk in the back office (issue 24): needs-review invoices are cases that close.

A case is open while a `needs_review` invoice has no outcome. Finance closes it on the invoice's page,
with a refund (the amount returned, at most what was received, and the bank transfer's reference and
date) or, where the domain allows it, by crediting the money after a check. Both go through
contributions.services, which audit-log them. The list filters by case state and by how long an open
case has waited. Kept apart from contributions/admin.py so the ModelAdmin stays a thin declaration.
"""

import csv
import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminIntegerFieldWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from contributions import reconciliation, services
from contributions.choices import Gateway, InvoiceStatus, ReviewOutcome, ReviewReason
from contributions.gateways.methods import method_get
from contributions.models import Invoice
from core.exceptions import DomainError
from core.format import rupiah
from registration.services import today_wib

OPEN = "open"
# A link drawn as unfold's primary button (its components/button.html).
BUTTON = (
    '<a class="bg-primary-600 border border-transparent font-medium inline-flex items-center mr-2 px-3 py-2 '
    'rounded-default text-white whitespace-nowrap hover:bg-primary-600/80" href="{}">{}</a>'
)


def open_cases() -> Q:
    """Invoices whose money awaits finance (served by contrib_invoice_review_q_idx)."""
    return Q(status=InvoiceStatus.NEEDS_REVIEW, review_outcome="")


class CaseStateFilter(admin.SimpleListFilter):
    title = _("case")
    parameter_name = "case"

    def lookups(self, request, model_admin):
        return [(OPEN, _("Needs review")), *ReviewOutcome.choices]

    def queryset(self, request, queryset):
        if self.value() == OPEN:
            return queryset.filter(open_cases())
        if self.value() in ReviewOutcome.values:
            return queryset.filter(review_outcome=self.value())
        return queryset


class CaseAgeFilter(admin.SimpleListFilter):
    """How long an open case has waited since the money came (its `needs_review_at`)."""

    title = _("waiting for")
    parameter_name = "waiting"
    # (lookup, label, at least, less than)
    AGES = [
        ("lt1d", _("less than 1 day"), None, datetime.timedelta(days=1)),
        ("1to7d", _("1 to 7 days"), datetime.timedelta(days=1), datetime.timedelta(days=7)),
        ("gt7d", _("more than 7 days"), datetime.timedelta(days=7), None),
    ]

    def lookups(self, request, model_admin):
        return [(key, label) for key, label, _least, _most in self.AGES]

    def queryset(self, request, queryset):
        for key, _label, least, most in self.AGES:
            if self.value() == key:
                now = timezone.now()
                wanted = open_cases()
                if least is not None:
                    wanted &= Q(needs_review_at__lte=now - least)
                if most is not None:
                    wanted &= Q(needs_review_at__gt=now - most)
                return queryset.filter(wanted)
        return queryset


class DateInput(UnfoldAdminTextInputWidget):
    """The browser's own date picker, styled as the back office's other inputs."""

    input_type = "date"


class RefundForm(forms.Form):
    amount = forms.IntegerField(label=_("Amount refunded (whole rupiah)"), min_value=1,
                                widget=UnfoldAdminIntegerFieldWidget)
    reference = forms.CharField(label=_("Bank transfer reference"), max_length=100, widget=UnfoldAdminTextInputWidget)
    transferred_on = forms.DateField(label=_("Transfer date"), widget=DateInput)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3})
    )

    def __init__(self, *args, received: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].max_value = received
        self.fields["amount"].widget.attrs["max"] = received
        self.fields["amount"].help_text = _("At most the money received: %(received)s.") % {"received": rupiah(received)}


class CreditForm(forms.Form):
    note = forms.CharField(
        label=_("What was checked"), required=False, max_length=2000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )


class FinanceDeskMixin:
    """For InvoiceAdmin: the case's buttons on the invoice's page and the two pages that close it."""

    def case_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/refund/", view(self.refund_view), name="contributions_invoice_refund"),
            path("<int:pk>/credit/", view(self.credit_view), name="contributions_invoice_credit"),
            path("reconciliation/", view(self.reconciliation_view), name="contributions_reconciliation"),
        ]

    def _may_close(self, request) -> bool:
        return request.user.has_perm(services.CLOSE_CASES)

    @admin.display(description=_("case"))
    def case_state(self, obj):
        if obj.review_outcome:
            return obj.get_review_outcome_display()
        return _("Needs review") if obj.status == InvoiceStatus.NEEDS_REVIEW else None  # the admin's empty value

    @admin.display(description=_("received"))
    def received(self, obj):
        return rupiah(obj.received_amount) if obj.received_amount is not None else None

    def case_fields(self, request) -> list[str]:
        """The case's fields on the invoice's page: with the buttons for who may close it."""
        return ["case_state", "received", "case_actions" if self._may_close(request) else "case_outcome"]

    @admin.display(description=_("outcome"))
    def case_outcome(self, obj):
        if obj.review_outcome == ReviewOutcome.REFUNDED:
            return format_html(
                "{} {} · {} {} · {}", _("Refunded"), rupiah(obj.refund_amount), _("ref."), obj.refund_reference,
                date_format(obj.refund_transferred_on) if obj.refund_transferred_on else "",
            )
        if obj.review_outcome == ReviewOutcome.CREDITED:
            return _("Credited after a check")
        return "—"

    @admin.display(description=_("close the case"))
    def case_actions(self, obj):
        """Buttons on an open case (shown to those who may close it: case_fields)."""
        if obj.review_outcome or obj.status != InvoiceStatus.NEEDS_REVIEW:
            return self.case_outcome(obj)
        buttons = [(reverse("admin:contributions_invoice_refund", args=[obj.pk]), _("Record a refund"))]
        if obj.review_reason == ReviewReason.INVOICE_CLOSED:
            buttons.append((reverse("admin:contributions_invoice_credit", args=[obj.pk]), _("Credit after a check")))
        return format_html_join(" ", BUTTON, buttons)

    def _case(self, request, pk: int) -> Invoice:
        if not self._may_close(request):
            raise PermissionDenied
        return get_object_or_404(Invoice.objects.select_related("sponsor"), pk=pk)

    def _case_page(self, request, invoice: Invoice, form, *, title, intro, action) -> TemplateResponse:
        change_url = reverse("admin:contributions_invoice_change", args=[invoice.pk])
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "action": action,
            "invoice": invoice,
            "original": invoice,  # unfold's header: the app, the invoices, this invoice
            "summary": {"rows": [
                [_("Invoice"), format_html('<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a> · {}',
                                           change_url, invoice.number, invoice.get_status_display())],
                [_("Reason for review"), invoice.get_review_reason_display() or "—"],
                [_("Invoice total"), rupiah(invoice.total)],
                [_("Money received"), format_html("<strong>{}</strong>", rupiah(invoice.received_amount or 0))],
            ]},
            "payments": {
                "headers": [_("Gateway"), _("Transaction"), _("Amount"), _("Confirmed at")],
                "rows": [
                    [payment.get_gateway_display(), payment.transaction_id, rupiah(payment.gross_amount),
                     date_format(timezone.localtime(payment.confirmed_at), "DATETIME_FORMAT")]
                    for payment in invoice.payments.order_by("id")
                ],
            },
            "form": form,
            "opts": self.model._meta,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/contributions/invoice/case.html", context)

    def _closed(self, request, invoice: Invoice, text) -> HttpResponseRedirect:
        self.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:contributions_invoice_change", args=[invoice.pk]))

    def refund_view(self, request, pk: int):
        invoice = self._case(request, pk)
        received = invoice.received_amount or 0
        initial = {"amount": received, "transferred_on": today_wib()}
        form = RefundForm(request.POST or None, initial=initial, received=received)
        if request.method == "POST" and form.is_valid():
            try:
                services.invoice_refund(
                    invoice=invoice, actor=request.user, amount=form.cleaned_data["amount"],
                    reference=form.cleaned_data["reference"], transferred_on=form.cleaned_data["transferred_on"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
            else:
                return self._closed(request, invoice, _("%(number)s: refund recorded.") % {"number": invoice.number})
        return self._case_page(
            request, invoice, form, title=_("Record a refund of %(number)s") % {"number": invoice.number},
            intro=_("Record the bank transfer after the money went back to the payer. The case closes and the "
                    "refund is recorded in the audit log under your account."),
            action=_("Record the refund"),
        )

    def credit_view(self, request, pk: int):
        invoice = self._case(request, pk)
        form = CreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.invoice_credit_after_review(invoice=invoice, actor=request.user, note=form.cleaned_data["note"])
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
            else:
                return self._closed(
                    request, invoice, _("%(number)s: credited; the months are covered.") % {"number": invoice.number}
                )
        return self._case_page(
            request, invoice, form, title=_("Credit %(number)s after a check") % {"number": invoice.number},
            intro=_("Crediting covers the invoice's months for its workers with this money, makes the invoice paid "
                    "and sends the payer the receipt. It is refused if a month is already covered, a worker's "
                    "coverage has lapsed or another invoice awaits payment for a worker."),
            action=_("Credit the money"),
        )

    # --- the daily reconciliation report ----------------------------------------------------------

    def reconciliation_view(self, request):
        """Expected against received for one day (WIB), per gateway and method; `?format=csv` too."""
        if not (request.user.has_perm("contributions.view_invoice") and request.user.has_perm("contributions.view_payment")):
            raise PermissionDenied
        form = ReconciliationForm(request.GET or None, initial={"day": timezone.localdate()})
        day = form.cleaned_data["day"] if form.is_bound and form.is_valid() else timezone.localdate()
        report = reconciliation.daily_report(day)
        if request.GET.get("format") == "csv" and (not form.is_bound or form.is_valid()):
            return reconciliation_csv(report)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Daily reconciliation, %(day)s") % {"day": date_format(day)},
            "form": form,
            "day": day,
            "day_iso": day.isoformat(),
            "lines": {
                "headers": [_("Gateway"), _("Method"), _("Invoices opened"), _("Expected (settled)"),
                            _("Received (payments)"), _("Difference")],
                "rows": [*(_line_shown(line) for line in report.lines),
                         [format_html("<strong>{}</strong>", _("Total")), "",
                          *(format_html("<strong>{}</strong>", cell) for cell in _line_shown(report.totals)[2:])]]
                if report.lines else [],
            },
            "differences": {
                "headers": [_("Invoice"), _("Gateway"), _("Method"), _("Expected"), _("Received"), _("Status"),
                            _("Reason for review")],
                "rows": [_difference_shown(diff) for diff in report.differences],
            },
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/contributions/invoice/reconciliation.html", context)


def method_name(code: str) -> str:
    """A payment method as people read it (BCA Virtual Account); an unknown code as itself."""
    method = method_get(code)
    return method.name if method else code


def _line_shown(line: reconciliation.Line) -> list:
    return [
        Gateway(line.gateway).label if line.gateway in Gateway.values else line.gateway,
        method_name(line.method) if line.method else "",
        f"{line.opened_count} · {rupiah(line.opened_amount)}",
        f"{line.expected_count} · {rupiah(line.expected_amount)}",
        f"{line.received_count} · {rupiah(line.received_amount)}",
        ("−" if line.difference < 0 else "") + rupiah(abs(line.difference)),
    ]


def _difference_shown(diff: reconciliation.Difference) -> list:
    return [
        diff.invoice_number,
        Gateway(diff.gateway).label if diff.gateway in Gateway.values else diff.gateway,
        method_name(diff.method),
        rupiah(diff.expected),
        rupiah(diff.received),
        InvoiceStatus(diff.status).label,
        ReviewReason(diff.review_reason).label if diff.review_reason else "—",
    ]


class ReconciliationForm(forms.Form):
    day = forms.DateField(label=_("Day (WIB)"), widget=DateInput)


def reconciliation_csv(report: reconciliation.Report) -> HttpResponse:
    """The report as CSV: a line per gateway and method, then the differences."""
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="reconciliation-{report.day.isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "gateway", "payment_method", "opened_count", "opened_amount", "expected_count",
                     "expected_amount", "received_count", "received_amount", "difference"])
    for line in [*report.lines, report.totals]:
        writer.writerow(["total" if not line.gateway else "line", line.gateway, line.method, line.opened_count,
                         line.opened_amount, line.expected_count, line.expected_amount, line.received_count,
                         line.received_amount, line.difference])
    writer.writerow([])
    writer.writerow(["section", "invoice_number", "gateway", "payment_method", "expected", "received", "status",
                     "review_reason", "confirmed_at", "paid_at"])
    for diff in report.differences:
        writer.writerow(["difference", diff.invoice_number, diff.gateway, diff.method, diff.expected, diff.received,
                         diff.status, diff.review_reason,
                         timezone.localtime(diff.confirmed_at).isoformat() if diff.confirmed_at else "",
                         timezone.localtime(diff.paid_at).isoformat() if diff.paid_at else ""])
    return response
