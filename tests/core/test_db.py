"""core.db.insert_rows: the ORM's bulk_create, without its per-statement machinery."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from contributions.models import GatewayNotification, IdempotencyKey
from core.db import insert_rows
from sponsors.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_rows_without_a_key_get_the_database_ids_defaults_and_timestamps():
    before = timezone.now()
    rows = [
        GatewayNotification(gateway="simulator", order_id=f"INV-1-{n}", transaction_status="settlement",
                            payload={"n": n, "nested": ["a", {"b": None}]})
        for n in range(3)
    ]
    insert_rows(rows)

    assert all(row.pk is not None and not row._state.adding for row in rows)
    stored = {row.pk: row for row in GatewayNotification.objects.filter(pk__in=[row.pk for row in rows])}
    for n, row in enumerate(rows):
        read = stored[row.pk]
        assert (read.order_id, read.payload, read.transaction_id, read.processed_at) == (
            f"INV-1-{n}", {"n": n, "nested": ["a", {"b": None}]}, "", None
        )
        assert read.received_at >= before and read.received_at == row.received_at


def test_rows_with_a_key_are_written_with_it():
    owner = UserFactory()
    key = IdempotencyKey(pk=987_654, user=owner, key="k", request_hash="h" * 64, status_code=201, response_body="{}")
    insert_rows([key])

    read = IdempotencyKey.objects.get(pk=987_654)
    assert (read.user_id, read.key, read.status_code) == (owner.pk, "k", 201)


def test_a_constraint_violation_is_djangos_integrity_error_and_writes_nothing():
    owner = UserFactory()
    insert_rows([IdempotencyKey(user=owner, key="same", request_hash="a" * 64, status_code=201, response_body="{}")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([
            IdempotencyKey(user=owner, key="other", request_hash="b" * 64, status_code=201, response_body="{}"),
            IdempotencyKey(user=owner, key="same", request_hash="c" * 64, status_code=201, response_body="{}"),
        ])
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["same"]


def test_mixed_rows_are_refused_before_any_statement():
    owner = UserFactory()
    with pytest.raises(ValueError):
        insert_rows([
            IdempotencyKey(user=owner, key="a", request_hash="a" * 64, status_code=201, response_body="{}"),
            IdempotencyKey(pk=5, user=owner, key="b", request_hash="b" * 64, status_code=201, response_body="{}"),
        ])
    with pytest.raises(ValueError):
        insert_rows([IdempotencyKey(user=owner, key="a", request_hash="a" * 64, status_code=201, response_body="{}"), owner])
    assert not IdempotencyKey.objects.exists()
    assert User.objects.count() == 1
    assert insert_rows([]) is None
