"""On PostgreSQL the server binds the parameters and a connection prepares the statements it runs
again and again (config/settings/base.py, DATABASE_PREPARED_STATEMENTS)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from sponsors.models import User
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


# A statement no other test runs: the connection may have served other tests before this one.
LOOKUP = (
    'SELECT "sponsors_user"."date_joined" AS "date_joined", "sponsors_user"."full_name" AS "full_name" '
    'FROM "sponsors_user" WHERE "sponsors_user"."id" = $1'
)


def _lookup(user) -> None:
    User.objects.filter(pk=user.pk).values_list("date_joined", "full_name").first()


def _lookup_prepared() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return any(row[0].startswith(LOOKUP) for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_statement_run_more_than_five_times_on_a_connection_is_prepared():
    users = UserFactory.create_batch(6)
    for user in users[:5]:
        _lookup(user)
    assert not _lookup_prepared()

    _lookup(users[5])  # the same statement, other values: the sixth run
    assert _lookup_prepared()


def _database_options(**env: str) -> str:
    code = "from django.conf import settings; print(sorted(settings.DATABASES['default'].get('OPTIONS', {}).items()))"
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_prepared_statements_can_be_switched_off_for_a_pooler_that_cannot_keep_them():
    assert _database_options() == "[('prepare_threshold', 5), ('server_side_binding', True)]"
    assert _database_options(DATABASE_PREPARED_STATEMENTS="false") == "[]"
