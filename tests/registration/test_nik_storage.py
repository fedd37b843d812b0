"""The NIK at rest (QUALITY.md, Security 2), one member per NIK and one open sponsorship per member under
concurrency."""

import datetime

import pytest
from django.db import connection

from core.crypto import blind_index, decrypt_text
from registration.models import Enrollment, Member
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

    # Every column of every member and enrollment row, read as the database stores it.
    for table in ("registration_member", "registration_enrollment"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            rows = cursor.fetchall()
        assert len(rows) == 3
        cells = [str(cell) for row in rows for cell in row]
        for nik in niks:
            assert not [cell for cell in cells if nik in cell], f"plaintext NIK {nik} found at rest in {table}"

    for worker_id, nik in zip(ids, niks, strict=True):
        member = Enrollment.objects.get(pk=worker_id).member
        assert member.nik_hash == blind_index(nik)
        assert member.nik_encrypted != nik
        assert decrypt_text(member.nik_encrypted) == nik
        assert member.nik_masked == "*" * 12 + nik[-4:]

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


# QUALITY.md, Security 14: beside the ciphertext and the blind index, only the birth date, the sex and at most
# the last 4 digits are kept in the clear. They give digits 7-16; the 6-digit region prefix stays unknown.
NIK_AT_REST = {"nik_encrypted", "nik_hash"}
NIK_IN_CLEAR = {"nik_last4", "birth_date", "gender"}


def columns_of_every_table() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        )
        return set(cursor.fetchall())


@pytest.mark.django_db
def test_only_the_last_4_digits_birth_date_and_sex_sit_beside_the_ciphertext():
    table = Member._meta.db_table  # the person's; a sponsorship holds no part of the NIK
    columns = columns_of_every_table()
    assert {(table, name) for name in NIK_AT_REST | NIK_IN_CLEAR} <= columns
    # No other column anywhere holds part of a NIK or the region it encodes (the first 2, 4 or 6 digits).
    nik_like = {
        (table_name, name) for table_name, name in columns
        if "nik" in name or any(word in name for word in ("province", "regency", "district", "region"))
    }
    assert nik_like == {(table, name) for name in NIK_AT_REST | {"nik_last4"}}
    assert not {field.name for field in Member._meta.get_fields()} & {"nik_first4", "province"}
    assert Member._meta.get_field("nik_last4").max_length == 4


@pytest.mark.django_db
def test_raw_member_row_holds_no_leading_nik_digits(reference, auth_client):
    nik = "9471035208850007"  # Papua province 94, regency 71, district 03; born 12-08-1985, female
    response = auth_client.post(WORKERS, worker_payload(nik=nik, birth_date="1985-08-12", phone="+6281234567890"))
    assert response.status_code == 201, response.content
    assert response.json()["nik_masked"] == "************0007"

    member_id = Enrollment.objects.get(pk=response.json()["id"]).member_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registration_member WHERE id = %s", [member_id])
        row = dict(zip([column.name for column in cursor.description], cursor.fetchone(), strict=True))
    # Timestamps are the server's, not the NIK's (their microseconds could hold any 4 digits).
    clear = {
        name: str(value) for name, value in row.items()
        if name not in NIK_AT_REST and not isinstance(value, datetime.datetime)
    }
    for leading in (nik[:4], nik[:6], nik[2:6], nik[:12]):
        assert not [name for name, cell in clear.items() if leading in cell], f"{leading} kept in the clear"
    assert row["nik_last4"] == nik[-4:]
    assert (row["birth_date"], row["gender"]) == (datetime.date(1985, 8, 12), "F")

    # The blind index still finds the person by the exact NIK (the back office's NIK search).
    assert Enrollment.objects.get(member__nik_hash=blind_index(nik)).pk == response.json()["id"]


@pytest.mark.django_db
def test_blind_index_is_keyed(reference, settings, user):
    from tests.factories import enrollment

    nik = make_nik()
    made = enrollment(sponsor=user, nik=nik)
    assert made.member.nik_hash == blind_index(nik)
    settings.NIK_HASH_KEY = "another-key"
    assert blind_index(nik) != made.member.nik_hash


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
        assert Enrollment.objects.filter(member__nik_hash=blind_index(nik)).count() == 1
        assert Member.objects.filter(nik_hash=blind_index(nik)).count() == 1

    assert Enrollment.objects.count() == Member.objects.count() == len(niks)


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


@pytest.mark.django_db(transaction=True)
def test_a_returning_member_gets_one_open_sponsorship_when_several_register_them_at_once(reference, settings):
    """The member exists (their sponsor ended); two sponsors and the worker themselves register the NIK
    at the same moment: one sponsorship opens, the others get 409, and no second member appears. (The
    sponsors give another phone than the worker's: a registration naming it could be replaced by the
    worker's own self-enrollment, test_members.py.)"""
    from registration import services
    from tests.factories import enrollment

    settings.API_THROTTLING = False
    for _ in range(3):
        worker = UserFactory()
        nik = make_nik()
        services.enrollment_end(enrollment=enrollment(nik=nik, phone=worker.phone))
        payloads = [
            (client_for(UserFactory()), worker_payload(nik=nik)),
            (client_for(UserFactory()), worker_payload(nik=nik)),
            (client_for(worker), worker_payload(nik=nik, phone=worker.phone, relationship="self")),
        ]
        responses = race(payloads)
        assert sorted(r.status_code for r in responses) == [201, 409, 409], [r.content for r in responses]
        assert {first_error(r) for r in responses if r.status_code == 409} == {("nik_already_registered", "nik")}
        member = Member.objects.get(nik_hash=blind_index(nik))
        assert member.sponsorships.filter(status__in=("awaiting_consent", "pending_review", "approved")).count() == 1
