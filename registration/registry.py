"""The civil registry (Dukcapil) check, behind one small interface.

JMO checks a NIK against Dukcapil. We have no access to it, so `local` answers from a file of known
records (seeds/civil_registry_local.json): a NIK it knows with another name or birth date is a
mismatch; one it does not know passes (the NIK's own structure was already validated).
"""

import datetime
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings

MATCH = "match"
MISMATCH = "mismatch"
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class RegistryResult:
    status: str


class CivilRegistry(Protocol):
    def verify(self, *, nik: str, full_name: str, birth_date: datetime.date) -> RegistryResult: ...


def _normalise_name(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(folded.upper().split())


@lru_cache(maxsize=1)
def _local_records() -> dict[str, dict]:
    path = Path(settings.BASE_DIR) / "seeds" / "civil_registry_local.json"
    if not path.exists():
        return {}
    return {row["nik"]: row for row in json.loads(path.read_text())}


class LocalCivilRegistry:
    def verify(self, *, nik: str, full_name: str, birth_date: datetime.date) -> RegistryResult:
        record = _local_records().get(nik)
        if record is None:
            return RegistryResult(MATCH)
        same_name = _normalise_name(record["full_name"]) == _normalise_name(full_name)
        same_date = record["birth_date"] == birth_date.isoformat()
        return RegistryResult(MATCH if same_name and same_date else MISMATCH)


def get_civil_registry() -> CivilRegistry:
    backends = {"local": LocalCivilRegistry}
    return backends[settings.CIVIL_REGISTRY_BACKEND]()
