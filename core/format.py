"""How the back office shows money, months and codes to people, in the active language.

Rupiah are whole numbers written with the language's thousands separator (`Rp36.800` in Indonesian,
`Rp36,800` in English); a contribution month is its short name and year (`Des 2026`, `Dec 2026`), from
Django's own translated month abbreviations.
"""

import datetime
from collections.abc import Iterable

from django.db import models
from django.utils.dates import MONTHS_3
from django.utils.formats import get_format
from django.utils.timesince import timesince
from django.utils.timezone import now


def rupiah(amount: int | None) -> str:
    if amount is None:
        return "—"
    separator = get_format("THOUSAND_SEPARATOR")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(int(amount)):,}".replace(",", separator)


def month_label(month: datetime.date | None) -> str:
    if month is None:
        return "—"
    return f"{MONTHS_3[month.month].capitalize()} {month.year}"


def waiting_since(moment: datetime.datetime | None) -> str:
    """"3 hari, 4 jam" : how long something has waited, to the two largest units."""
    if moment is None:
        return "—"
    return timesince(moment, now(), depth=2)


def choice_labels(codes: Iterable[str], choices: type[models.Choices]) -> str:
    """Codes of a TextChoices (a JSON list on a row) as their labels, comma separated; unknown codes kept."""
    labels = dict(choices.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes) or "—"
