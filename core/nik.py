"""NIK, the 16-digit national ID number: `PP RR SS DD MM YY NNNN` (Dukcapil).

- `PP` province, `RR` regency/city, `SS` district where it was first issued;
- `DD` day of birth, plus 40 for women; `MM` month; `YY` year (either century);
- `NNNN` serial, from 0001.

We validate it ourselves rather than with python-stdnum's `id.nik`, whose region list is old and
refuses valid NIKs from provinces 65, 92 and 93 (DOMAIN.md).
"""

import datetime
from dataclasses import dataclass

from core.messages import message

PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua Barat",
    "92": "Papua Barat Daya",
    "93": "Papua Selatan",
    "94": "Papua",
    "95": "Papua Pegunungan",
    "96": "Papua Tengah",
}


class InvalidNik(ValueError):
    """`reason` is a short machine word: format, province, date, serial."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def format_problem(raw: object) -> str | None:
    """What is wrong with the shape of `raw`: `number` (a JSON number), `type` (not a string either),
    `characters` (anything but the ASCII digits 0-9), `length` (not 16 of them); None if it is 16 ASCII
    digits."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return "number"
    if not isinstance(raw, str):
        return "type"
    if not all("0" <= char <= "9" for char in raw):
        return "characters"
    if len(raw) != 16:
        return "length"
    return None


def invalid_nik_reason(raw: object, reason: str) -> str:
    """The `{reason}` of the `nik_invalid` message, in the active language: why `raw` is not a NIK.
    `reason` is InvalidNik's; a `format` error is told apart by format_problem."""
    if reason == "format":
        reason = format_problem(raw) or "characters"
    return message(f"nik_reason_{reason}", length=len(raw) if isinstance(raw, str) else 0)


@dataclass(frozen=True)
class Nik:
    value: str
    province: str
    gender: str  # "M" or "F"
    day: int
    month: int
    year_2d: int

    def birth_date_candidates(self) -> list[datetime.date]:
        """The real dates the NIK may encode (YY fits either century)."""
        dates = []
        for century in (1900, 2000):
            try:
                dates.append(datetime.date(century + self.year_2d, self.month, self.day))
            except ValueError:
                continue
        return dates

    def matches_birth_date(self, birth_date: datetime.date) -> bool:
        return birth_date in self.birth_date_candidates()

    @property
    def masked(self) -> str:
        return mask_nik(self.value)


def parse_nik(raw: object) -> Nik:
    """Validate a NIK's structure (rules 1, 2, 4 and the real-date part of 3) or raise InvalidNik."""
    if not isinstance(raw, str) or len(raw) != 16 or not raw.isascii() or not raw.isdigit():
        raise InvalidNik("format")
    province = raw[0:2]
    if province not in PROVINCES:
        raise InvalidNik("province")
    encoded_day, month, year_2d = int(raw[6:8]), int(raw[8:10]), int(raw[10:12])
    gender = "F" if encoded_day > 40 else "M"
    day = encoded_day - 40 if gender == "F" else encoded_day
    if raw[12:16] == "0000":
        raise InvalidNik("serial")
    nik = Nik(value=raw, province=province, gender=gender, day=day, month=month, year_2d=year_2d)
    if not nik.birth_date_candidates():
        raise InvalidNik("date")
    return nik


def mask_nik(value: str) -> str:
    """The last 4 digits; the rest `*` (`************0001`).

    The first digits stay hidden: with the birth date and sex they would leave only a few digits unknown.
    """
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]
