"""The NIK at rest (QUALITY.md, Security 2) and the one-open-enrollment-per-NIK rule under concurrency."""

import pytest
from django.db import connection

from core.crypto import blind_index, decrypt_text
from registration.models import Enrollment
from tests.api import client_for, first_error
from tests.concurrency import run_together
from tests.factories import UserFactory, make_nik, worker_payload

WORKERS = "/api/v1/workers"


def all_cells(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names come from introspection)
        return [str(cell) for row in cursor.fetchall() for cell in row]


@pytest.mark.django_db(transaction=True)
def test_raw_enrollment_rows_hold_no_plaintext_nik(reference, user, auth_client):
    niks = [make_nik(female=True), make_nik(female=False, province="65"), "3273015208850007"]
    payloads = [
        worker_payload(nik=niks[0]),
        worker_payload(nik=niks[1]),
        worker_payload(
            nik=niks[2], full_name="Dewi Lestari", birth_date="1985-08-12", relationship="self", phone=user.phone
        ),
    ]
    ids = []
    for payload in payloads:
        response = auth_client.post(WORKERS, payload)
        assert response.status_code == 201, response.content
        assert payload["nik"] not in response.content.decode()
        ids.append(response.json()["id"])

    # Every column of every enrollment row, read as the database stores it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registration_enrollment")
        rows = cursor.fetchall()
    assert len(rows) == 3
    cells = [str(cell) for row in rows for cell in row]
    for nik in niks:
        assert not [cell for cell in cells if nik in cell], f"plaintext NIK {nik} found at rest"

    for worker_id, nik in zip(ids, niks, strict=True):
        row = Enrollment.objects.get(pk=worker_id)
        assert row.nik_hash == blind_index(nik)
        assert row.nik_encrypted != nik
        assert decrypt_text(row.nik_encrypted) == nik
        assert row.nik_masked == nik[:4] + "********" + nik[-4:]

    # Nor anywhere else in the database (outbox, OTP codes, audit log ...).
    for table in connection.introspection.table_names():
        cells = all_cells(table)
        for nik in niks:
            assert not [cell for cell in cells if nik in cell], f"plaintext NIK {nik} found in {table}"

    # The API never returns it either.
    for path in [WORKERS, *[f"{WORKERS}/{worker_id}" for worker_id in ids]]:
        body = auth_client.get(path).content.decode()
        for nik in niks:
            assert nik not in body


@pytest.mark.django_db
def test_blind_index_is_keyed(reference, settings, user):
    from tests.factories import enrollment

    nik = make_nik()
    made = enrollment(sponsor=user, nik=nik)
    assert made.nik_hash == blind_index(nik)
    settings.NIK_HASH_KEY = "another-key"
    assert blind_index(nik) != made.nik_hash


# --- Races --------------------------------------------------------------------------------------------


def race(requests: list[tuple]) -> list:
    """Run (client, payload) POSTs to /workers at the same moment, one thread each."""
    return run_together(lambda n: requests[n][0].post(WORKERS, requests[n][1]), len(requests))


@pytest.mark.django_db(transaction=True)
def test_same_nik_by_two_sponsors_at_once(reference, settings):
    settings.API_THROTTLING = False
    first, second = UserFactory(), UserFactory()
    clients = [client_for(first), client_for(second)]
    niks = [make_nik() for _ in range(5)]

    for nik in niks:
        responses = race([(clients[0], worker_payload(nik=nik)), (clients[1], worker_payload(nik=nik))])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409], [r.content for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert first_error(loser) == ("nik_already_registered", "nik")
        assert Enrollment.objects.filter(nik_hash=blind_index(nik)).count() == 1

    assert Enrollment.objects.count() == len(niks)


@pytest.mark.django_db(transaction=True)
def test_sponsor_limit_holds_under_concurrency(reference, settings):
    settings.API_THROTTLING = False
    settings.SPONSOR_MAX_OPEN_ENROLLMENTS = 3
    sponsor = UserFactory()
    clients = [client_for(sponsor) for _ in range(4)]
    responses = race([(client, worker_payload()) for client in clients])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 201, 201, 409], [r.content for r in responses]
    assert first_error(next(r for r in responses if r.status_code == 409))[0] == "sponsor_limit_reached"
    assert Enrollment.objects.filter(sponsor=sponsor).count() == 3


@pytest.mark.django_db(transaction=True)
def test_one_self_enrollment_under_concurrency(reference, settings):
    settings.API_THROTTLING = False
    sponsor = UserFactory()
    responses = race(
        [(client_for(sponsor), worker_payload(relationship="self", phone=sponsor.phone)) for _ in range(2)]
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.content for r in responses]
    assert first_error(next(r for r in responses if r.status_code == 409)) == ("self_already_registered",
                                                                               "relationship")
    assert Enrollment.objects.filter(sponsor=sponsor, relationship="self").count() == 1
