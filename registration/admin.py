"""Back-office: the reviewer's workbench (the review queue, oldest first, and each enrollment's evidence
with Approve and Reject on its page) and members with all their sponsorships. Staff act through the
same services as the API; every approval, rejection and NIK reveal is audit-logged with the staff user."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from core.admin_base import SaveOnlyChangesMixin
from core.admin_links import changelist_url, object_link
from core.crypto import blind_index
from core.exceptions import DomainError
from core.format import choice_labels, month_label, rupiah, waiting_since
from core.models import AuditLog
from core.paginator import ExactSearchAdmin, LargeTableAdmin
from core.phones import normalize_phone_or_none
from registration import services
from registration.choices import EnrollmentStatus, Programme, RejectionReason, ReviewFlag, Sector
from registration.models import Enrollment, IncomeLevel, Member, Occupation
from registration.review import evidence_for, rejection_text


def mask_last4(phone: str) -> str:
    """A phone with only its last 4 digits shown (`**********7890`), for staff comparing numbers."""
    return "*" * max(len(phone) - 4, 0) + phone[-4:] if phone else "—"


def _kpj_or_phone(term: str) -> tuple[str | None, str | None]:
    """An 11-digit KPJ can also read as a mobile number (81234567899): both are tried."""
    return (term if len(term) == 11 and term.isdigit() else None), normalize_phone_or_none(term)


class SectorFilter(admin.SimpleListFilter):
    title = _("sector")
    parameter_name = "sector"

    def lookups(self, request, model_admin):
        return Sector.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(occupation__sector=self.value())
        return queryset


class RejectForm(forms.Form):
    """A prepared reason, a free text, or both; the sponsor reads them (in their own language)."""

    prepared = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", _("— choose a reason —")), *RejectionReason.choices],
        widget=UnfoldAdminSelectWidget,
    )
    reason = forms.CharField(
        label=_("Note to the sponsor"), required=False, max_length=1000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("prepared") and not (cleaned.get("reason") or "").strip():
            raise forms.ValidationError(_("Choose a reason or write one."), code="rejection_reason_required")
        return cleaned

    def reason_for(self, enrollment: Enrollment) -> str:
        return rejection_text(prepared=self.cleaned_data["prepared"], note=self.cleaned_data["reason"],
                              language=enrollment.sponsor.language or "id")


def is_queue(request) -> bool:
    return EnrollmentStatus.PENDING_REVIEW in (request.GET.get("status__exact"), request.GET.get("status"))


@admin.register(Enrollment)
class EnrollmentAdmin(LargeTableAdmin, ModelAdmin):
    list_display = ["full_name", "nik_masked", "status_shown", "waiting", "flags", "occupation", "kpj_number"]
    list_filter = ["status", "occupation", SectorFilter, ("created_at", admin.DateFieldListFilter)]
    # Identifiers are matched exactly, on their indexes; only a name is searched inside (get_search_results).
    search_fields = ["full_name"]
    search_help_text = _("Part of a name, or an exact KPJ number, phone (any format) or 16-digit NIK.")
    list_select_related = ["occupation", "sponsor", "member"]
    # No date_hierarchy: its year links are a DISTINCT over every row shown (0.7 s at 1 M enrollments,
    # a minute at 70 M); the created_at list filter narrows by date on the index instead.
    ordering = ["-id"]
    actions = ["approve_selected", "reject_selected"]
    fieldsets = [
        (_("Worker"), {"fields": ["full_name", "nik_display", "gender_shown", "birth_date_shown", "phone_shown",
                                  "phone_on_record", "address"]}),
        (_("Sponsorship"), {"fields": ["member_link", "status_shown", "kpj_number", "occupation", "income_level",
                                       "programmes_display", "relationship", "sponsor_link"]}),
        (_("Consent"), {"fields": ["consent_method", "consented_at", "consent_notice_version"]}),
        (_("Review"), {"fields": ["flags", "reviewed_by_shown", "approved_at", "rejected_at", "rejection_reason",
                                  "expired_at", "ended_at", "end_reason"]}),
        (_("Coverage when it ended"), {"fields": ["ended_paid_through", "ended_coverage_started"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_ordering(self, request):
        # The review queue is worked oldest first, on the (status, created_at) index.
        return ["created_at", "id"] if is_queue(request) else ["-id"]

    def get_readonly_fields(self, request, obj=None):
        # Nothing is edited by hand: state changes go through the buttons (and so through services).
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission is the reviewer's decisions; the page itself saves nothing.
        if obj is not None and request.method == "POST":
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False,
                       show_delete_link=False)
        if obj is not None:
            context.update(self._workbench_context(request, obj))
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _workbench_context(self, request, obj) -> dict:
        decidable = obj.status == EnrollmentStatus.PENDING_REVIEW and super().has_change_permission(request, obj)
        return {
            "evidence": evidence_for(obj),
            "decidable": decidable,
            "reject_form": RejectForm() if decidable else None,
            "audit_url": changelist_url(AuditLog, f"object_type=registration.enrollment&object_id={obj.pk}"),
            "member_url": changelist_url(Member) and reverse("admin:registration_member_change", args=[obj.member_id]),
            "waiting_for": waiting_since(obj.consented_at or obj.created_at)
            if obj.status == EnrollmentStatus.PENDING_REVIEW else None,
        }

    # --- what a row and the page show ------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj):
        return obj.get_status_display()

    @admin.display(description=_("waiting since"), ordering="created_at")
    def waiting(self, obj):
        if obj.status != EnrollmentStatus.PENDING_REVIEW:
            return "—"
        return waiting_since(obj.consented_at or obj.created_at)

    @admin.display(description=_("flags"))
    def flags(self, obj):
        if not obj.review_flags:
            return "—"
        return format_html_join(
            " ", '<span class="inline-block bg-orange-100 text-orange-700 rounded-default px-2 py-0.5 mb-1 '
                 'text-xs whitespace-normal dark:bg-orange-500/20 dark:text-orange-400">{}</span>',
            ((self._flag_text(obj, code),) for code in obj.review_flags),
        )

    @staticmethod
    def _flag_text(obj, code: str) -> str:
        label = str(dict(ReviewFlag.choices).get(code, code))
        if code == ReviewFlag.MEMBER_PHONE_CHANGED:
            # The member's phone on record beside the one now given, last 4 digits only.
            return label + ": " + gettext("on record %(before)s, new %(after)s") % {
                "before": mask_last4(obj.member.phone), "after": mask_last4(obj.phone)}
        return label

    @admin.display(description=_("sector"))
    def sector(self, obj):
        return obj.occupation.get_sector_display()

    @admin.display(description=_("phone"))
    def phone_shown(self, obj):
        return mask_last4(obj.phone)

    @admin.display(description=_("member's phone on record"))
    def phone_on_record(self, obj):
        return mask_last4(obj.member.phone)

    @admin.display(description=_("member"))
    def member_link(self, obj):
        return object_link(obj.member)

    @admin.display(description=_("sponsor"))
    def sponsor_link(self, obj):
        return object_link(obj.sponsor)

    @admin.display(description=_("reviewed by"))
    def reviewed_by_shown(self, obj):
        return obj.reviewed_by.full_name if obj.reviewed_by else "—"

    @admin.display(description=_("gender"))
    def gender_shown(self, obj):
        return obj.member.get_gender_display()

    @admin.display(description=_("birth date"))
    def birth_date_shown(self, obj):
        return date_format(obj.member.birth_date)

    @admin.display(description=_("programmes"))
    def programmes_display(self, obj):
        return choice_labels(obj.programmes, Programme)

    @admin.display(description=_("NIK"))
    def nik_display(self, obj):
        return obj.nik_masked

    @admin.display(description=_("NIK"))
    def nik_masked(self, obj):
        return obj.nik_masked

    @staticmethod
    def _can_reveal(request) -> bool:
        return request.user.has_perm("registration.reveal_nik")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if len(term) == 16 and term.isdigit():
            member_id = Member.objects.filter(nik_hash=blind_index(term)).values_list("pk", flat=True).first()
            return queryset.filter(member_id=member_id), False
        kpj, phone = _kpj_or_phone(term)
        if phone or kpj:
            # Exact matches on indexed columns: the phone, or the member's KPJ.
            wanted = Q()
            if phone:
                wanted |= Q(phone=phone)
            if kpj:
                member_id = Member.objects.filter(kpj_number=kpj).values_list("pk", flat=True).first()
                wanted |= Q(member_id=member_id) if member_id else Q(pk__in=[])
            return queryset.filter(wanted), False
        return super().get_search_results(request, queryset, search_term)

    # --- decisions: the page's buttons and the list's bulk actions ---------------------------------

    def _run(self, request, queryset: QuerySet, verb, reason_for=None) -> int:
        done, failed = 0, []
        for enrollment in queryset:
            try:
                extra = {"reason": reason_for(enrollment)} if reason_for else {}
                verb(enrollment=enrollment, actor=request.user, **extra)
                done += 1
            except DomainError as exc:
                failed.append(f"{enrollment.full_name}: {exc.detail}")
        if done:
            self.message_user(request, ngettext("%(count)d enrollment updated.", "%(count)d enrollments updated.",
                                                done) % {"count": done}, messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.WARNING)
        return done

    @admin.action(description=_("Approve selected enrollments (issue KPJ numbers)"), permissions=["change"])
    def approve_selected(self, request, queryset):
        self._run(request, queryset, services.enrollment_approve)

    @admin.action(description=_("Reject selected enrollments…"), permissions=["change"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._run(request, queryset.select_related("sponsor"), services.enrollment_reject,
                      reason_for=form.reason_for)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reject enrollments"),
            "queryset": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/registration/enrollment/reject.html", context)

    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path("<int:pk>/reveal-nik/", view(self.reveal_nik_view), name="registration_enrollment_reveal_nik"),
            path("<int:pk>/approve/", view(self.approve_view), name="registration_enrollment_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="registration_enrollment_reject"),
        ]
        return extra + super().get_urls()

    def _decision(self, request, pk: int):
        if request.method != "POST":
            return None, HttpResponseNotAllowed(["POST"])
        if not super().has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Enrollment.objects.select_related("sponsor"), pk=pk), None

    def _next_page(self, request, enrollment) -> HttpResponseRedirect:
        """After a decision: the next oldest enrollment waiting, or the queue when it is empty."""
        if enrollment.status == EnrollmentStatus.PENDING_REVIEW:  # the decision failed: stay
            return HttpResponseRedirect(reverse("admin:registration_enrollment_change", args=[enrollment.pk]))
        following = (Enrollment.objects.filter(status=EnrollmentStatus.PENDING_REVIEW)
                     .order_by("created_at", "id").values_list("pk", flat=True).first())
        if following:
            return HttpResponseRedirect(reverse("admin:registration_enrollment_change", args=[following]))
        return HttpResponseRedirect(reverse("admin:registration_enrollment_changelist") + "?status__exact=pending_review")

    def approve_view(self, request, pk: int):
        enrollment, refused = self._decision(request, pk)
        if refused:
            return refused
        self._run(request, [enrollment], services.enrollment_approve)
        enrollment.refresh_from_db()
        return self._next_page(request, enrollment)

    def reject_view(self, request, pk: int):
        enrollment, refused = self._decision(request, pk)
        if refused:
            return refused
        form = RejectForm(request.POST)
        if not form.is_valid():
            for error in form.non_field_errors():
                self.message_user(request, error, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:registration_enrollment_change", args=[pk]))
        self._run(request, [enrollment], services.enrollment_reject, reason_for=form.reason_for)
        enrollment.refresh_from_db()
        return self._next_page(request, enrollment)

    # --- NIK reveal -----------------------------------------------------------------------------

    def reveal_nik_view(self, request, pk: int):
        if not self._can_reveal(request):
            raise PermissionDenied
        enrollment = get_object_or_404(Enrollment, pk=pk)
        nik = None
        if request.method == "POST":
            nik = services.enrollment_reveal_nik(enrollment=enrollment, actor=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("NIK of %(name)s") % {"name": enrollment.full_name},
            "enrollment": enrollment,
            "nik": nik,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/registration/enrollment/reveal_nik.html", context)


class SponsorshipInline(TabularInline):
    """Every sponsorship of the member: who paid when, open or not."""

    model = Enrollment
    fk_name = "member"
    verbose_name = _("sponsorship")
    verbose_name_plural = _("sponsorships")
    fields = ["sponsorship", "sponsor_shown", "relationship", "status", "phone_shown", "created_at", "approved_at",
              "ended_at", "end_reason"]
    readonly_fields = fields
    extra = 0
    ordering = ["-id"]
    can_delete = False
    hide_title = True  # each row's columns say what it is

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sponsor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("enrollment"))
    def sponsorship(self, obj):
        return object_link(obj, f"#{obj.pk} {obj.full_name}")

    @admin.display(description=_("sponsor"))
    def sponsor_shown(self, obj):
        return object_link(obj.sponsor)

    @admin.display(description=_("worker phone"))
    def phone_shown(self, obj):
        return mask_last4(obj.phone)


@admin.register(Member)
class MemberAdmin(ExactSearchAdmin, ModelAdmin):
    """A person: their KPJ, coverage, and all their sponsorships (the ledger is added by contributions)."""

    list_display = ["kpj_number", "nik_masked", "registered_at", "paid_through_shown", "coverage_started_shown",
                    "approved_sponsorships"]
    list_display_links = ["kpj_number", "nik_masked"]
    search_fields = ["kpj_number"]  # shows the search box; search_q decides what a term matches
    search_help_text = _("An exact KPJ number, 16-digit NIK, or the phone on record (any format).")
    ordering = ["-id"]
    inlines = [SponsorshipInline]
    fieldsets = [
        (_("Person"), {"fields": ["nik_masked", "gender", "birth_date", "phone_shown"]}),
        (_("Membership"), {"fields": ["kpj_number", "registered_at", "approved_sponsorships", "audit_trail"]}),
        (_("Coverage"), {"fields": ["paid_through_shown", "coverage_started_shown"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("NIK"))
    def nik_masked(self, obj):
        return obj.nik_masked

    @admin.display(description=_("phone on record"))
    def phone_shown(self, obj):
        return mask_last4(obj.phone)

    @admin.display(description=_("paid through"), ordering="paid_through")
    def paid_through_shown(self, obj):
        return month_label(obj.paid_through)

    @admin.display(description=_("coverage started"), ordering="coverage_started")
    def coverage_started_shown(self, obj):
        return month_label(obj.coverage_started)

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj):
        """Staff actions on the member's sponsorships (approvals, rejections, NIK reveals)."""
        ids = ",".join(str(pk) for pk in obj.sponsorships.values_list("pk", flat=True)[:100])
        url = changelist_url(AuditLog, f"object_type=registration.enrollment&object_id__in={ids}") if ids else None
        return format_html('<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url,
                           gettext("Staff actions on these sponsorships")) if url else "—"

    def search_q(self, term: str) -> Q:
        if len(term) == 16 and term.isdigit():
            return Q(nik_hash=blind_index(term))
        kpj, phone = _kpj_or_phone(term)
        wanted = Q(pk__in=[])
        if kpj:
            wanted |= Q(kpj_number=kpj)
        if phone:
            # Through the sponsorships' phone index: the phone on record is an approved one's.
            wanted |= Q(pk__in=Enrollment.objects.filter(phone=phone).values("member_id"), phone=phone)
        return wanted


@admin.register(Occupation)
class OccupationAdmin(SaveOnlyChangesMixin, ModelAdmin):
    list_display = ["code", "name_id", "name_en", "sector", "is_active", "sort_order"]
    list_filter = ["sector", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IncomeLevel)
class IncomeLevelAdmin(SaveOnlyChangesMixin, ModelAdmin):
    list_display = ["amount_shown", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["amount"] if obj else []

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, obj):
        return rupiah(obj.amount)
