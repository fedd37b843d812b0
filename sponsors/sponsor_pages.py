"""A sponsor's page in the back office lists their workers (sponsorships) and invoices, the latest few
with a link to all of them, for the roles that may see those lists (issue 24). A row links to its own
page only where the viewer may open it (core.admin_links)."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.admin_links import change_url, changelist_url, may_view
from core.format import rupiah

# Rows shown on the page; the "see all" link opens the filtered list.
SHOWN = 10


def _table(headers, rows, more_url, more_text):
    head = format_html_join("", '<th class="font-semibold py-1 pr-4 text-left">{}</th>', ((capfirst(header),) for header in headers))
    body = format_html_join(
        "", '<tr class="border-t border-base-200 dark:border-base-800">{}</tr>',
        ((format_html_join("", '<td class="py-1 pr-4">{}</td>', ((cell,) for cell in row)),) for row in rows),
    )
    more = format_html(' <a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', more_url, more_text) if more_url else ""
    if not rows:
        return format_html("{}{}", _("None."), more)
    return format_html('<table class="mb-2 w-full"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}', head, body, more)


def _linked(url, text):
    return format_html('<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url, text) if url else text


def sponsor_sections(request) -> tuple:
    """The read-only fields of the sponsor's page that this viewer may see: (workers, invoices).
    One pair of functions per request (the form's fields and its read-only fields must name the same)."""
    if hasattr(request, "_sponsor_sections"):
        return request._sponsor_sections
    from contributions.models import Invoice
    from registration.models import Enrollment

    sections = []
    if may_view(request.user, Enrollment):

        def workers(obj):
            rows = [
                (_linked(change_url(Enrollment, enrollment.pk, user=request.user), enrollment.full_name),
                 enrollment.member.kpj_number or "—", enrollment.get_relationship_display(),
                 enrollment.get_status_display(), date_format(timezone.localtime(enrollment.created_at)))
                for enrollment in Enrollment.objects.filter(sponsor=obj).select_related("member").order_by("-id")[:SHOWN]
            ]
            return _table(
                [_("worker"), _("KPJ number"), _("relationship"), _("status"), _("registered")], rows,
                changelist_url(Enrollment, user=request.user, sponsor__id__exact=obj.pk), _("See all their workers"),
            )

        workers.short_description = _("workers")
        sections.append(workers)
    if may_view(request.user, Invoice):

        def invoices(obj):
            rows = [
                (_linked(change_url(Invoice, invoice.pk, user=request.user), invoice.number), invoice.get_status_display(),
                 rupiah(invoice.total), date_format(timezone.localtime(invoice.created_at)))
                for invoice in Invoice.objects.filter(sponsor=obj).order_by("-id")[:SHOWN]
            ]
            return _table(
                [_("invoice"), _("status"), _("total"), _("made")], rows,
                changelist_url(Invoice, user=request.user, sponsor__id__exact=obj.pk), _("See all their invoices"),
            )

        invoices.short_description = _("invoices")
        sections.append(invoices)
    request._sponsor_sections = tuple(sections)
    return request._sponsor_sections
