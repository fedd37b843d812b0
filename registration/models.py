from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from core.nik import mask_nik
from registration.choices import (
    OPEN_STATUSES,
    ConsentMethod,
    EndReason,
    EnrollmentStatus,
    Programme,
    Relationship,
    Sector,
)


class Occupation(models.Model):
    """A kind of informal work (jenis pekerjaan). Its sector decides which PP 50/2025 period applies."""

    code = models.SlugField(max_length=40, primary_key=True, verbose_name=_("code"))
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    sector = models.CharField(max_length=20, choices=Sector.choices, verbose_name=_("sector"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    sort_order = models.PositiveSmallIntegerField(default=0, verbose_name=_("sort order"))

    class Meta:
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name_id if get_language() == "id" else self.name_en

    def name_for(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_id


class IncomeLevel(models.Model):
    """A declared monthly income level (rupiah) that JKK and JHT are a percentage of (PP 44/2015).

    The official list could not be transcribed, so levels are data that back-office maintains; the seed
    holds only Rp1,000,000, the lowest.
    """

    amount = models.PositiveBigIntegerField(primary_key=True, verbose_name=_("amount"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("income level")
        verbose_name_plural = _("income levels")
        ordering = ["amount"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="%(app_label)s_%(class)s_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Rp{self.amount:,}".replace(",", ".")


class Member(BaseModel):
    """A person in BPJS Ketenagakerjaan: one per NIK, for life (DOMAIN.md: the member is the person, the
    sponsorship is who pays).

    The member owns what stays with the person whoever pays: the NIK (encrypted, found by its blind
    index), the KPJ number issued at the first approval and never reissued, the first-registration
    day, and the coverage ledger (contributions.CoverageMonth) with its summary `paid_through` and
    `coverage_started`. Sponsorships (Enrollment) come and go; at most one is open at a time.
    """

    nik_encrypted = models.TextField(verbose_name=_("NIK (encrypted)"))
    nik_hash = models.CharField(_("NIK blind index"), max_length=64)
    # The only digits kept in the clear: with the birth date and sex they leave over a million
    # candidates (QUALITY.md, Security 14).
    nik_last4 = models.CharField(max_length=4, verbose_name=_("NIK (last 4 digits)"))
    birth_date = models.DateField(verbose_name=_("birth date"))
    gender = models.CharField(max_length=1, choices=[("M", _("Male")), ("F", _("Female"))], verbose_name=_("gender"))
    kpj_number = models.CharField(_("KPJ number"), max_length=11, null=True, blank=True)
    # The day (WIB) of the member's first approval; null until then.
    registered_at = models.DateField(null=True, blank=True, verbose_name=_("registered at"))
    # The phone on record: that of the most recent approved sponsorship (as changed while it is open).
    phone = models.CharField(max_length=16, blank=True, verbose_name=_("phone"))
    approved_sponsorships = models.PositiveIntegerField(default=0, verbose_name=_("approved sponsorships"))

    # Summary of the coverage ledger, kept by the contributions app in the same transaction as the
    # ledger rows: the last paid month (first of month), and the first month of the current period.
    paid_through = models.DateField(null=True, blank=True, verbose_name=_("paid through"))
    coverage_started = models.DateField(null=True, blank=True, verbose_name=_("coverage started"))

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["nik_hash"], name="%(app_label)s_%(class)s_one_per_nik"),
            models.UniqueConstraint(fields=["kpj_number"], name="%(app_label)s_%(class)s_kpj_uniq"),
        ]

    def __str__(self) -> str:
        name = self.kpj_number or _("member #%(id)s") % {"id": self.pk}
        return f"{name} ({self.nik_masked})"

    @property
    def nik_masked(self) -> str:
        return mask_nik("0" * 12 + self.nik_last4)


class Enrollment(BaseModel):
    """A sponsorship: who pays for a member. A sponsor registers a worker, or a worker registers
    themselves (relationship `self`); the API calls it a worker.

    The worker, not the sponsor, is the legal participant (their JHT savings are theirs), so a sponsored
    enrollment needs the worker's recorded consent (UU PDP 27/2022). The membership itself (NIK, KPJ,
    paid months) is the member's; at most one sponsorship of a member is open at a time. An ended
    sponsorship keeps the coverage as it stood when it ended (`ended_paid_through`), so a former
    sponsor never sees later payments.
    """

    # No single-column index on sponsor: registration_enr_sponsor_idx (sponsor, -id) serves it.
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments", db_index=False,
        verbose_name=_("sponsor")
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="sponsorships", verbose_name=_("member"))
    relationship = models.CharField(max_length=20, choices=Relationship.choices, verbose_name=_("relationship"))
    status = models.CharField(
        max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.AWAITING_CONSENT,
        verbose_name=_("status")
    )

    full_name = models.CharField(max_length=150, verbose_name=_("full name"))
    phone = models.CharField(max_length=16, verbose_name=_("phone"))
    address = models.CharField(max_length=255, blank=True, verbose_name=_("address"))
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("occupation")
    )
    income_level = models.ForeignKey(
        IncomeLevel, on_delete=models.PROTECT, related_name="+", verbose_name=_("income level")
    )
    jht = models.BooleanField(_("JHT (old-age savings) included"), default=True)

    consent_method = models.CharField(
        max_length=20, choices=ConsentMethod.choices, blank=True, verbose_name=_("consent method")
    )
    consented_at = models.DateTimeField(null=True, blank=True, verbose_name=_("consented at"))
    consent_notice_version = models.CharField(max_length=20, blank=True, verbose_name=_("consent notice version"))

    review_flags = models.JSONField(default=list, blank=True, verbose_name=_("review flags"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("reviewed by")
    )
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    rejected_at = models.DateTimeField(null=True, blank=True, verbose_name=_("rejected at"))
    rejection_reason = models.TextField(blank=True, verbose_name=_("rejection reason"))
    expired_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expired at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True, verbose_name=_("end reason"))
    # The member's KPJ number, shown on this sponsorship from its approval.
    kpj_number = models.CharField(_("KPJ number"), max_length=11, null=True, blank=True)

    # The member's coverage when this sponsorship ended (null while open): what it shows from then on.
    ended_paid_through = models.DateField(null=True, blank=True, verbose_name=_("paid through when it ended"))
    ended_coverage_started = models.DateField(null=True, blank=True, verbose_name=_("coverage start when it ended"))

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        permissions = [("reveal_nik", "Can reveal a worker's full NIK")]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=OPEN_STATUSES),
                name="%(app_label)s_%(class)s_one_open_per_member",
            ),
            models.UniqueConstraint(
                fields=["sponsor"],
                condition=Q(relationship=Relationship.SELF, status__in=OPEN_STATUSES),
                name="%(app_label)s_%(class)s_one_open_self_per_account",
            ),
            models.CheckConstraint(
                condition=Q(status=EnrollmentStatus.APPROVED, kpj_number__isnull=False)
                | ~Q(status=EnrollmentStatus.APPROVED),
                name="%(app_label)s_%(class)s_approved_has_kpj",
            ),
            models.CheckConstraint(
                condition=~Q(status=EnrollmentStatus.REJECTED) | ~Q(rejection_reason=""),
                name="%(app_label)s_%(class)s_rejected_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["sponsor", "-id"], name="registration_enr_sponsor_idx"),
            # Review queues, and the expiry of registrations that never got consent.
            models.Index(fields=["status", "created_at"], name="registration_enr_status_idx"),
            models.Index(fields=["occupation"], name="registration_enr_occup_idx"),
            # Consent lookups, the worker's own sponsorships (GET /me/sponsorships) and the back-office
            # phone search (any status).
            models.Index(fields=["phone"], name="registration_enr_phone_all_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.nik_masked})"

    @property
    def nik_masked(self) -> str:
        return self.member.nik_masked

    @property
    def gender(self) -> str:
        return self.member.gender

    @property
    def birth_date(self):
        return self.member.birth_date

    @property
    def programmes(self) -> list[str]:
        base = [Programme.JKK.value, Programme.JKM.value]
        return base + [Programme.JHT.value] if self.jht else base

    @property
    def sector(self) -> str:
        return self.occupation.sector
