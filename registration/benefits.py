"""What a member is protected for (DOMAIN.md "Benefits"): the figures, the texts, and the member's dates.

The figures are PP 44/2015 as amended by PP 82/2019 (JKK 56× and 48× of the declared income; JKM
Rp42,000,000, or Rp10,000,000 while the membership is under 3 months old; a scholarship of up to
Rp174,000,000 for up to 2 children after 3 years of contributions). They live in BENEFITS below and
nowhere else: the texts only name them through placeholders.

Dates count from `coverage_started`, the first month of the member's current coverage period, so the
waiting periods start over after a lapse (DOMAIN.md, Paying). A benefit is `eligible` when the member is
protected today (coverage `active`: cover during arrears is unclear, so it is not promised), its
programme is part of the membership, and its waiting period is over; `eligible_from` is the day it
applies (null while no coverage period is running).
"""

import datetime
from dataclasses import dataclass, field

from notifications.services import date_label, rupiah
from registration.choices import Programme
from registration.coverage import add_months

JHT_PAYOUT_AGE = 56


@dataclass(frozen=True)
class Benefit:
    code: str
    programme: str
    amount: int | None = None  # fixed, whole rupiah
    income_multiple: int | None = None  # or this many times the declared monthly income
    after_months: int = 0  # waiting period, from coverage_started
    until_months: int | None = None  # no longer listed once the membership is this old
    money: dict[str, int] = field(default_factory=dict)  # other amounts its text names (rupiah)
    numbers: dict[str, int] = field(default_factory=dict)  # other numbers its text names


BENEFITS: tuple[Benefit, ...] = (
    Benefit("jkk_medical_care", Programme.JKK),
    Benefit("jkk_temporary_incapacity", Programme.JKK),
    Benefit("jkk_permanent_disability", Programme.JKK, income_multiple=56),
    Benefit("jkk_death", Programme.JKK, income_multiple=48),
    Benefit("jkm_death_first_months", Programme.JKM, amount=10_000_000, until_months=3),
    Benefit(
        "jkm_death",
        Programme.JKM,
        amount=42_000_000,
        after_months=3,
        money={"lump_sum": 20_000_000, "periodic": 12_000_000, "burial": 10_000_000},
    ),
    Benefit("jkm_scholarship", Programme.JKM, amount=174_000_000, after_months=36, numbers={"children": 2}),
    Benefit("jht_savings", Programme.JHT, numbers={"age": JHT_PAYOUT_AGE}),
)

# Titles and descriptions. Placeholders: {amount}, {income}, {multiple}, {since} (the day the waiting
# period ends), {full_from} (the day the full JKM amount applies), {years}, {payout_date}, and a
# benefit's own `money` and `numbers`. Amounts are filled in as rupiah, dates in the language's words.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "jkk_medical_care": {
        "id": (
            "Perawatan kecelakaan kerja",
            "Perawatan dan pengobatan akibat kecelakaan kerja tanpa batas biaya, sesuai kebutuhan medis, "
            "termasuk kecelakaan dalam perjalanan pergi dan pulang kerja.",
        ),
        "en": (
            "Work-accident medical care",
            "Treatment of a work accident with no cost ceiling, as medically needed, including accidents "
            "on the way to and from work.",
        ),
    },
    "jkk_temporary_incapacity": {
        "id": (
            "Santunan tidak mampu bekerja",
            "Pengganti penghasilan selama peserta tidak mampu bekerja sementara karena kecelakaan kerja.",
        ),
        "en": (
            "Temporary incapacity pay",
            "Income replacement while a work accident keeps the member from working.",
        ),
    },
    "jkk_permanent_disability": {
        "id": (
            "Santunan cacat total tetap",
            "{multiple} kali penghasilan yang dilaporkan ({income} per bulan) bila kecelakaan kerja "
            "menyebabkan cacat total tetap.",
        ),
        "en": (
            "Total permanent disability benefit",
            "{multiple} times the declared income ({income} a month) if a work accident leaves the member "
            "totally and permanently disabled.",
        ),
    },
    "jkk_death": {
        "id": (
            "Santunan kematian akibat kecelakaan kerja",
            "{multiple} kali penghasilan yang dilaporkan ({income} per bulan) untuk ahli waris bila peserta "
            "meninggal dunia akibat kecelakaan kerja.",
        ),
        "en": (
            "Work-accident death benefit",
            "{multiple} times the declared income ({income} a month) for the heirs if the member dies from "
            "a work accident.",
        ),
    },
    "jkm_death_first_months": {
        "id": (
            "Santunan kematian (kepesertaan di bawah 3 bulan)",
            "{amount} untuk ahli waris bila peserta meninggal dunia sebelum kepesertaannya berumur 3 bulan. "
            "Santunan penuh berlaku mulai {full_from}.",
        ),
        "en": (
            "Death benefit (membership under 3 months)",
            "{amount} for the heirs if the member dies before the membership is 3 months old. The full "
            "benefit applies from {full_from}.",
        ),
    },
    "jkm_death": {
        "id": (
            "Santunan kematian",
            "{amount} untuk ahli waris bila peserta meninggal dunia bukan karena kecelakaan kerja: "
            "{lump_sum} santunan sekaligus, {periodic} santunan berkala, dan {burial} biaya pemakaman.",
        ),
        "en": (
            "Death benefit",
            "{amount} for the heirs if the member dies other than from a work accident: a {lump_sum} lump "
            "sum, {periodic} paid periodically and {burial} for the funeral.",
        ),
    },
    "jkm_scholarship": {
        "id": (
            "Beasiswa pendidikan anak",
            "Hingga {amount} untuk pendidikan paling banyak {children} anak bila peserta meninggal dunia, "
            "setelah iuran dibayar paling sedikit {years} tahun (mulai {since}).",
        ),
        "en": (
            "Children's scholarship",
            "Up to {amount} for the education of up to {children} children if the member dies, once "
            "contributions have been paid for at least {years} years (from {since}).",
        ),
    },
    "jht_savings": {
        "id": (
            "Tabungan hari tua",
            "Iuran JHT ditabung beserta hasil pengembangannya, dan dibayarkan pada usia {age} ({payout_date}), "
            "saat berhenti bekerja, cacat total tetap, atau meninggal dunia.",
        ),
        "en": (
            "Old-age savings",
            "JHT contributions are saved with their returns, and paid out at age {age} ({payout_date}), on "
            "stopping work, on total permanent disability, or on death.",
        ),
    },
}

# A date that is not known yet: no coverage period is running.
AFTER_START = {
    "id": "{months} bulan setelah perlindungan dimulai",
    "en": "{months} months after the coverage starts",
}

NOT_CHOSEN = {
    "id": "Program {programme} tidak diikuti. ",
    "en": "The {programme} programme is not part of this membership. ",
}


def _birthday(birth_date: datetime.date, age: int) -> datetime.date:
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:  # born on 29 February
        return datetime.date(birth_date.year + age, 3, 1)


def benefit_list(
    *,
    programmes: list[str],
    income_level: int,
    birth_date: datetime.date,
    coverage_status: str,
    coverage_started: datetime.date | None,
    today: datetime.date,
    language: str,
) -> list[dict]:
    """The benefits of API.md `GET /workers/{id}/benefits`, for one member, today, in `language`."""
    language = "en" if (language or "")[:2] == "en" else "id"
    protected = coverage_status == "active"
    # The dates hold while a coverage period runs (arrears included); a lapsed or unpaid membership
    # has none until the next payment starts a period.
    start = coverage_started if coverage_status in ("active", "arrears") else None

    def day_after(months: int | None) -> str:
        if start is None:
            return AFTER_START[language].format(months=months)
        return date_label(add_months(start, months or 0), language)

    rows = []
    for benefit in BENEFITS:
        if benefit.until_months is not None and start is not None and today >= add_months(start, benefit.until_months):
            continue
        chosen = benefit.programme in programmes
        since = add_months(start, benefit.after_months) if start is not None else None
        amount = benefit.amount if benefit.income_multiple is None else benefit.income_multiple * income_level
        params = {
            "amount": rupiah(amount) if amount is not None else "",
            "income": rupiah(income_level),
            "multiple": benefit.income_multiple,
            "years": benefit.after_months // 12,
            "since": day_after(benefit.after_months),
            "full_from": day_after(benefit.until_months),
            "payout_date": date_label(_birthday(birth_date, JHT_PAYOUT_AGE), language),
            **{name: rupiah(value) for name, value in benefit.money.items()},
            **benefit.numbers,
        }
        title, description = TEXTS[benefit.code][language]
        description = description.format(**params)
        if not chosen:
            description = NOT_CHOSEN[language].format(programme=benefit.programme) + description
        rows.append(
            {
                "code": benefit.code,
                "programme": str(benefit.programme),
                "title": title,
                "amount": amount,
                "description": description,
                "eligible": protected and chosen and since is not None and today >= since,
                "eligible_from": since if chosen else None,
            }
        )
    return rows
