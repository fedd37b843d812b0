"""Back-office: the review queue, and members with all their sponsorships. Staff act through the same
services as the API; every approval, rejection and NIK reveal is audit-logged with the staff user."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from core.crypto import blind_index
from core.exceptions import DomainError
from core.paginator import ExactSearchAdmin, LargeTableAdmin
from core.phones import normalize_phone_or_none
from registration import services
from registration.choices import ReviewFlag
from registration.models import Enrollment, IncomeLevel, Member, Occupation


def mask_last4(phone: str) -> str:
    """A phone with only its last 4 digits shown (`**********7890`), for staff comparing numbers."""
    return "*" * max(len(phone) - 4, 0) + phone[-4:] if phone else "—"


def _kpj_or_phone(term: str) -> tuple[str | None, str | None]:
    """An 11-digit KPJ can also read as a mobile number (81234567899): both are tried."""
    return (term if len(term) == 11 and term.isdigit() else None), normalize_phone_or_none(term)


class SectorFilter(admin.SimpleListFilter):
    title = "sector"
    parameter_name = "sector"

    def lookups(self, request, model_admin):
        from registration.choices import Sector

        return Sector.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(occupation__sector=self.value())
        return queryset


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=True, max_length=1000)


@admin.register(Enrollment)
class EnrollmentAdmin(LargeTableAdmin, ModelAdmin):
    list_display = [
        "id",
        "full_name",
        "nik_masked",
        "status",
        "occupation",
        "sector",
        "kpj_number",
        "flags",
        "phone_check",
        "created_at",
    ]
    list_filter = ["status", "occupation", SectorFilter, ("created_at", admin.DateFieldListFilter)]
    # Identifiers are matched exactly, on their indexes; only a name is searched inside (get_search_results).
    search_fields = ["full_name"]
    search_help_text = "Part of a name, or an exact KPJ number, phone (any format) or 16-digit NIK."
    list_select_related = ["occupation", "sponsor", "member"]
    # No date_hierarchy: its year links are a DISTINCT over every row shown (0.7 s at 1 M enrollments,
    # a minute at 70 M); the created_at list filter narrows by date on the index instead.
    ordering = ["-id"]
    actions = ["approve_selected", "reject_selected"]
    fieldsets = [
        ("Worker", {"fields": ["full_name", "nik_display", "gender", "birth_date", "phone", "phone_on_record",
                               "address"]}),
        ("Sponsorship", {"fields": ["member_link", "status", "kpj_number", "occupation", "income_level",
                                    "programmes_display", "relationship", "sponsor"]}),
        ("Consent", {"fields": ["consent_method", "consented_at", "consent_notice_version"]}),
        ("Review", {"fields": ["review_flags", "reviewed_by", "approved_at", "rejected_at", "rejection_reason",
                               "expired_at", "ended_at", "end_reason"]}),
        ("Coverage when it ended", {"fields": ["ended_paid_through", "ended_coverage_started"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Nothing is edited by hand: state changes go through the actions (and so through services).
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission is the reviewer's actions on the list; the page itself saves nothing.
        if obj is not None and request.method == "POST":
            return False
        return super().has_change_permission(request, obj)

    def render_change_form(self, request, context, *args, **kwargs):
        context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().render_change_form(request, context, *args, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="sector")
    def sector(self, obj):
        return obj.occupation.get_sector_display()

    @admin.display(description="flags")
    def flags(self, obj):
        return ", ".join(obj.review_flags) or "—"

    @admin.display(description="phone check")
    def phone_check(self, obj):
        """For `member_phone_changed`: the member's phone on record beside the one now given."""
        if ReviewFlag.MEMBER_PHONE_CHANGED not in obj.review_flags:
            return "—"
        return f"on record {mask_last4(obj.member.phone)}, new {mask_last4(obj.phone)}"

    @admin.display(description="member's phone on record")
    def phone_on_record(self, obj):
        return mask_last4(obj.member.phone)

    @admin.display(description="member")
    def member_link(self, obj):
        url = reverse("admin:registration_member_change", args=[obj.member_id])
        return format_html('<a href="{}">{}</a>', url, obj.member)

    @admin.display(description="gender")
    def gender(self, obj):
        return obj.member.get_gender_display()

    @admin.display(description="birth date")
    def birth_date(self, obj):
        return obj.member.birth_date

    @admin.display(description="programmes")
    def programmes_display(self, obj):
        return ", ".join(obj.programmes)

    @admin.display(description="NIK")
    def nik_display(self, obj):
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

    # --- actions --------------------------------------------------------------------------------

    def _run(self, request, queryset: QuerySet, verb, **kwargs) -> None:
        done, failed = 0, []
        for enrollment in queryset:
            try:
                verb(enrollment=enrollment, actor=request.user, **kwargs)
                done += 1
            except DomainError as exc:
                failed.append(f"{enrollment.full_name}: {exc.detail}")
        if done:
            self.message_user(request, f"{done} enrollment(s) updated.", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Approve selected enrollments (issue KPJ numbers)", permissions=["change"])
    def approve_selected(self, request, queryset):
        self._run(request, queryset, services.enrollment_approve)

    @admin.action(description="Reject selected enrollments…", permissions=["change"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._run(request, queryset, services.enrollment_reject, reason=form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject enrollments",
            "queryset": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/registration/enrollment/reject.html", context)

    # --- NIK reveal -----------------------------------------------------------------------------

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/reveal-nik/",
                self.admin_site.admin_view(self.reveal_nik_view),
                name="registration_enrollment_reveal_nik",
            )
        ]
        return extra + super().get_urls()

    def reveal_nik_view(self, request, pk: int):
        if not self._can_reveal(request):
            raise PermissionDenied
        enrollment = get_object_or_404(Enrollment, pk=pk)
        nik = None
        if request.method == "POST":
            nik = services.enrollment_reveal_nik(enrollment=enrollment, actor=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": f"NIK of {enrollment.full_name}",
            "enrollment": enrollment,
            "nik": nik,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/registration/enrollment/reveal_nik.html", context)


class SponsorshipInline(TabularInline):
    """Every sponsorship of the member: who paid when, open or not."""

    model = Enrollment
    fk_name = "member"
    verbose_name = "sponsorship"
    verbose_name_plural = "sponsorships"
    fields = ["sponsorship", "sponsor", "relationship", "status", "phone_shown", "created_at", "approved_at",
              "ended_at", "end_reason"]
    readonly_fields = fields
    extra = 0
    ordering = ["-id"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="sponsorship")
    def sponsorship(self, obj):
        url = reverse("admin:registration_enrollment_change", args=[obj.pk])
        return format_html('<a href="{}">#{} {}</a>', url, obj.pk, obj.full_name)

    @admin.display(description="worker phone")
    def phone_shown(self, obj):
        return mask_last4(obj.phone)


@admin.register(Member)
class MemberAdmin(ExactSearchAdmin, ModelAdmin):
    """A person: their KPJ, coverage, and all their sponsorships (the ledger is added by contributions)."""

    list_display = ["id", "kpj_number", "nik_masked", "registered_at", "paid_through", "coverage_started",
                    "approved_sponsorships"]
    search_fields = ["kpj_number"]  # shows the search box; search_q decides what a term matches
    search_help_text = "An exact KPJ number, 16-digit NIK, or the phone on record (any format)."
    ordering = ["-id"]
    inlines = [SponsorshipInline]
    fieldsets = [
        ("Person", {"fields": ["nik_masked", "gender", "birth_date", "phone_shown"]}),
        ("Membership", {"fields": ["kpj_number", "registered_at", "approved_sponsorships"]}),
        ("Coverage", {"fields": ["paid_through", "coverage_started"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="NIK")
    def nik_masked(self, obj):
        return obj.nik_masked

    @admin.display(description="phone on record")
    def phone_shown(self, obj):
        return mask_last4(obj.phone)

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
class OccupationAdmin(ModelAdmin):
    list_display = ["code", "name_id", "name_en", "sector", "is_active", "sort_order"]
    list_filter = ["sector", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IncomeLevel)
class IncomeLevelAdmin(ModelAdmin):
    list_display = ["amount", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["amount"] if obj else []

