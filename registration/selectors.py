from django.db.models import QuerySet

from registration.models import Enrollment, IncomeLevel, Occupation


def enrollment_list_for_sponsor(*, sponsor) -> QuerySet[Enrollment]:
    """The caller's workers, newest first. Every object endpoint scopes through this."""
    return Enrollment.objects.filter(sponsor=sponsor).select_related("occupation").order_by("-id")


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
