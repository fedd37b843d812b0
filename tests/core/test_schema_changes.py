"""core.schema: index builds a large live table can take (CONCURRENTLY on PostgreSQL)."""

import pytest
from django.db import connection, models

from contributions.models import Invoice
from core.schema import create_index, drop_index

pytestmark = pytest.mark.django_db(transaction=True)  # CONCURRENTLY cannot run inside a transaction

INDEX = models.Index(fields=["gateway_reference"], name="test_schema_changes_idx")
UNIQUE = models.UniqueConstraint(fields=["va_number"], condition=models.Q(status="pending"), name="test_schema_uniq")


def _index(name: str) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid, indisunique FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
        return cursor.fetchone()


def test_indexes_and_unique_constraints_are_built_and_dropped_and_a_failed_build_is_redone():
    with connection.schema_editor(atomic=False) as editor:
        create_index(editor, Invoice, INDEX)
        create_index(editor, Invoice, UNIQUE)
    assert _index(INDEX.name) == (True, False)
    assert _index(UNIQUE.name) == (True, True)

    # What a CONCURRENTLY build that stopped halfway leaves: an invalid index, which IF NOT EXISTS
    # alone would keep.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(%s)", [INDEX.name])
    assert _index(INDEX.name) == (False, False)
    with connection.schema_editor(atomic=False) as editor:
        create_index(editor, Invoice, INDEX)  # the migration run again
    assert _index(INDEX.name) == (True, False)

    with connection.schema_editor(atomic=False) as editor:
        drop_index(editor, INDEX.name)
        drop_index(editor, UNIQUE.name)
        drop_index(editor, UNIQUE.name)  # already gone: nothing
    assert _index(INDEX.name) is None and _index(UNIQUE.name) is None
