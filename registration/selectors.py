from django.db.models import QuerySet

from registration.models import Enrollment, IncomeLevel, Occupation


def enrollment_list_for_sponsor(*, sponsor) -> QuerySet[Enrollment]:
    """The caller's workers, newest first. Every object endpoint scopes through this."""
    return Enrollment.objects.filter(sponsor=sponsor).select_related("occupation").order_by("-id")


# Columns a worker list never shows (the ciphertext is the widest).
_NOT_LISTED = ("nik_encrypted", "nik_hash", "review_flags", "consent_method", "consent_notice_version",
               "approved_at", "rejected_at", "ended_at", "reviewed_by", "updated_at", "coverage_started")


def enrollment_page_for_sponsor(*, sponsor) -> QuerySet[Enrollment]:
    """The caller's workers for a list page: what the worker resource shows, nothing more."""
    return enrollment_list_for_sponsor(sponsor=sponsor).defer(*_NOT_LISTED)


def enrollment_get_for_sponsor(*, sponsor, enrollment_id: int) -> Enrollment | None:
    return enrollment_list_for_sponsor(sponsor=sponsor).filter(pk=enrollment_id).first()


def occupation_list() -> QuerySet[Occupation]:
    return Occupation.objects.filter(is_active=True)


def occupation_get(*, code: str) -> Occupation | None:
    if not isinstance(code, str):
        return None
    return Occupation.objects.filter(code=code, is_active=True).first()


def income_level_list() -> QuerySet[IncomeLevel]:
    return IncomeLevel.objects.filter(is_active=True)


def income_level_get(*, amount) -> IncomeLevel | None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        return None
    return IncomeLevel.objects.filter(amount=amount, is_active=True).first()
