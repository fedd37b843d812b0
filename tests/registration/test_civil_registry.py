"""The civil-registry check over HTTP (registration/registry.py, docs/civil-registry.md) against a fake
service on loopback: a clear match approves, a mismatch or an unknown NIK goes to review, and a
registry that cannot answer (timeout, connection refused, 429, 5xx, our credentials refused, an
answer outside the contract) is `registry_unavailable`: review, never automatic approval."""

import datetime
import json
import logging
import socket
import time

import pytest

from registration import registry
from registration.models import Enrollment
from tests.factories import enrollment, make_nik, worker_payload
from tests.fakes.civil_registry import PATH, FakeCivilRegistry

pytestmark = pytest.mark.usefixtures("reference")

BIRTH = datetime.date(1985, 8, 12)
KNOWN_NIK = make_nik(birth_date=BIRTH, serial=7)


@pytest.fixture
def civil_registry(settings):
    with FakeCivilRegistry(token="registry-token-1", records={KNOWN_NIK: ("Dewi Lestari", BIRTH.isoformat())}) as fake:
        settings.CIVIL_REGISTRY_BACKEND = "http"
        settings.CIVIL_REGISTRY_URL = fake.url
        settings.CIVIL_REGISTRY_TOKEN = "registry-token-1"
        settings.CIVIL_REGISTRY_TIMEOUT = 2.0
        yield fake


def verify(nik=KNOWN_NIK, full_name="Dewi Lestari", birth_date=BIRTH) -> str:
    return registry.get_civil_registry().verify(nik=nik, full_name=full_name, birth_date=birth_date).status


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the adapter -------------------------------------------------------------------------------------


def test_the_request_follows_the_contract(civil_registry):
    assert verify() == "match"

    [request] = civil_registry.requests
    assert request["path"] == PATH
    assert request["headers"]["authorization"] == "Bearer registry-token-1"
    assert request["headers"]["content-type"].startswith("application/json")
    assert len(request["headers"]["x-request-id"]) == 36
    assert json.loads(request["raw"]) == {"nik": KNOWN_NIK, "full_name": "Dewi Lestari", "birth_date": "1985-08-12"}


@pytest.mark.parametrize("nik, name, birth_date, status", [
    (KNOWN_NIK, "  dewi   LESTARI ", BIRTH, "match"),
    (KNOWN_NIK, "Dewi Lestary", BIRTH, "mismatch"),
    (KNOWN_NIK, "Dewi Lestari", datetime.date(1985, 8, 13), "mismatch"),
    (make_nik(birth_date=BIRTH, serial=8), "Dewi Lestari", BIRTH, "mismatch"),  # not_found: a reviewer looks
])
def test_answers(civil_registry, nik, name, birth_date, status):
    assert verify(nik, name, birth_date) == status


@pytest.mark.parametrize("answer", [
    (500, {"error": "internal"}),
    (502, b"<html>Bad Gateway</html>"),
    (503, {"error": "unavailable"}),
    (504, b"<html>Gateway Timeout</html>"),
    (429, {"error": "rate_limited"}),
    (200, {"result": "maybe"}),  # outside the contract
    (200, {"status": "ok"}),
    (200, b"<html>a login page</html>"),
    (404, {"error": "not_found"}),  # a wrong CIVIL_REGISTRY_URL
])
def test_anything_but_a_clear_answer_is_unavailable(civil_registry, answer):
    civil_registry.answer = answer

    assert verify() == "unavailable"


def test_credentials_refused_are_unavailable_and_logged(civil_registry, settings, caplog):
    settings.CIVIL_REGISTRY_TOKEN = "wrong"

    with caplog.at_level(logging.ERROR, logger="registration.registry"):
        assert verify() == "unavailable"

    assert "HTTP 401" in caplog.text
    assert KNOWN_NIK not in caplog.text


def test_a_timeout_is_unavailable_and_bounded(civil_registry, settings):
    settings.CIVIL_REGISTRY_TIMEOUT = 0.5
    civil_registry.delay = 2.0

    started = time.monotonic()
    assert verify() == "unavailable"
    assert time.monotonic() - started < 1.5


def test_a_registry_that_refuses_connections_is_unavailable(civil_registry, settings):
    settings.CIVIL_REGISTRY_URL = f"http://127.0.0.1:{closed_port()}{PATH}"

    assert verify() == "unavailable"


# --- the enrollment's decision -------------------------------------------------------------------------


def test_a_registry_match_approves(civil_registry):
    made = enrollment(nik=KNOWN_NIK, full_name="Dewi Lestari", birth_date=BIRTH.isoformat())

    assert made.status == "approved" and made.kpj_number
    assert len(civil_registry.requests) == 1


@pytest.mark.parametrize("answer, delay", [((503, {"error": "unavailable"}), 0), ((500, {}), 0),
                                           ((429, {}), 0), (None, 3.0)])
def test_a_registry_outage_sends_the_enrollment_to_review(civil_registry, answer, delay):
    civil_registry.answer, civil_registry.delay = answer, delay

    made = enrollment(nik=KNOWN_NIK, full_name="Dewi Lestari", birth_date=BIRTH.isoformat())

    row = Enrollment.objects.get(pk=made.pk)
    assert (row.status, row.kpj_number, row.review_flags) == ("pending_review", None, ["registry_unavailable"])


def test_a_registry_mismatch_sends_the_enrollment_to_review(civil_registry):
    made = enrollment(nik=KNOWN_NIK, full_name="Siti Aminah", birth_date=BIRTH.isoformat())

    row = Enrollment.objects.get(pk=made.pk)
    assert (row.status, row.kpj_number, row.review_flags) == ("pending_review", None, ["registry_mismatch"])


def test_through_the_api_an_outage_answers_pending_review(civil_registry, auth_client, notify_file, committed):
    civil_registry.answer = (503, {"error": "unavailable"})
    payload = worker_payload(nik=KNOWN_NIK, full_name="Dewi Lestari", birth_date=BIRTH.isoformat())
    created = committed(auth_client.post, "/api/v1/workers", payload)
    assert created.status_code == 201, created.content
    worker = created.json()

    response = committed(auth_client.post, f"/api/v1/workers/{worker['id']}/consent",
                         {"code": notify_file.last_code(worker["phone"])})

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["kpj_number"]) == ("pending_review", None)
