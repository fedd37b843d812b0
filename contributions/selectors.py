from contributions.choices import RateKind
from contributions.models import ContributionRate
from contributions.pricing import RateBook
from registration import selectors as registration
from registration.services import today_wib


def income_levels_with_normal_rates() -> list[dict]:
    """Each active income level with its JKK, JKM and JHT at today's normal (unadjusted) rates."""
    book = RateBook(ContributionRate.objects.filter(kind=RateKind.NORMAL))
    month = today_wib().replace(day=1)
    rows = []
    for level in registration.income_level_list():
        price = book.price(month=month, sector="", income_level=level.amount, jht=True, normal_only=True)
        rows.append({"income": level.amount, "jkk": price.jkk, "jkm": price.jkm, "jht": price.jht})
    return rows
