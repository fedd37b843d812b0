"""The civil registry (Dukcapil) check, behind one small interface.

JMO checks a NIK against Dukcapil. Two backends (CIVIL_REGISTRY_BACKEND):

- `http`: the NIK verification service, over HTTPS, with the contract of docs/civil-registry.md
  (CIVIL_REGISTRY_URL, CIVIL_REGISTRY_TOKEN, CIVIL_REGISTRY_TIMEOUT). Anything but a clear answer
  (a timeout, a connection error, 429, 5xx, a refusal of our credentials, an answer outside the
  contract) is `unavailable`: the enrollment goes to review, never to automatic approval.
- `local`, for development: answers from a file of known records (seeds/civil_registry_local.json).
  A NIK it knows with another name or birth date is a mismatch; one it does not know passes. So it
  approves any NIK it does not know: production refuses it unless REVIEW_MODE=all.
"""

import datetime
import json
import logging
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

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


def local_record(nik: str) -> dict | None:
    """The development registry's record of a NIK (seeds/civil_registry_local.json), if it has one."""
    return _local_records().get(nik)


class LocalCivilRegistry:
    def verify(self, *, nik: str, full_name: str, birth_date: datetime.date) -> RegistryResult:
        record = _local_records().get(nik)
        if record is None:
            return RegistryResult(MATCH)
        same_name = _normalise_name(record["full_name"]) == _normalise_name(full_name)
        same_date = record["birth_date"] == birth_date.isoformat()
        return RegistryResult(MATCH if same_name and same_date else MISMATCH)


class HttpCivilRegistry:
    """`POST CIVIL_REGISTRY_URL` `{"nik", "full_name", "birth_date"}` with a bearer token; the answer's
    `result` is `match`, `mismatch` or `not_found` (docs/civil-registry.md). The NIK is never logged:
    log lines carry the request id we send as `X-Request-Id`."""

    RESULTS = {"match": MATCH, "mismatch": MISMATCH, "not_found": MISMATCH}

    def __init__(self, *, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url or settings.CIVIL_REGISTRY_URL
        self.token = token if token is not None else settings.CIVIL_REGISTRY_TOKEN
        read = timeout or settings.CIVIL_REGISTRY_TIMEOUT
        self.timeout = (min(3.05, read), read)  # connect, read (seconds)

    def verify(self, *, nik: str, full_name: str, birth_date: datetime.date) -> RegistryResult:
        import requests

        request_id = str(uuid.uuid4())
        try:
            response = requests.post(
                self.url,
                json={"nik": nik, "full_name": full_name, "birth_date": birth_date.isoformat()},
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Accept": "application/json",
                    "X-Request-Id": request_id,
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            logger.warning("civil registry unreachable (request %s): %s", request_id, type(exc).__name__)
            return RegistryResult(UNAVAILABLE)
        if response.status_code != 200:
            # 429 and 5xx: the service is busy or down. 401/403 and other 4xx: our credentials or
            # our request are wrong, which a retry will not fix; an operator must look.
            level = logging.WARNING if response.status_code == 429 or response.status_code >= 500 else logging.ERROR
            logger.log(level, "civil registry answered HTTP %s (request %s)", response.status_code, request_id)
            return RegistryResult(UNAVAILABLE)
        try:
            result = response.json()["result"]
        except (ValueError, KeyError, TypeError):
            result = None
        if result not in self.RESULTS:
            logger.error("civil registry answered outside the contract (request %s)", request_id)
            return RegistryResult(UNAVAILABLE)
        return RegistryResult(self.RESULTS[result])


BACKENDS = {"local": LocalCivilRegistry, "http": HttpCivilRegistry}


def get_civil_registry() -> CivilRegistry:
    return BACKENDS[settings.CIVIL_REGISTRY_BACKEND]()
