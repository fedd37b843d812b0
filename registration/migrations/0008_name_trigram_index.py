"""A trigram index for the back office's name search (registration/admin.py), PostgreSQL only.

The admin searches a name inside the text: `UPPER(full_name::text) LIKE UPPER('%siti aminah%')`. A
plain index cannot serve that; without one every search reads the whole table (0.33 s at 1 M
enrollments, about 20 s at 70 M). A GIN index of trigrams on the same expression can: on the 1 M
benchmark set, a full name with 1,495 matches takes 16 ms to count, a name nobody has 0.2 ms
(docs/benchmarks.md).

Its cost: an enrollment row rewritten outside a HOT update (a credit moves the indexed
`paid_through`) also adds its trigrams to the GIN index; with GIN's pending list (fastupdate, on by
default) that is a cheap append, merged by vacuum.

Not declared in Meta.indexes: Django has no index that exists on PostgreSQL only, and the embedded
SQLite default needs none. pg_trgm ships with PostgreSQL and is a trusted extension (the database
owner may create it). If it cannot be created, the search still works, by reading the table, and
the migration says so instead of failing the deployment.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

INDEX = "registration_enr_name_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        logger.warning("pg_trgm is not available (%s): the admin's name search will read the whole table", exc)
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON registration_enrollment USING gin (UPPER(full_name::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [("registration", "0007_phone_index_all_statuses")]

    operations = [migrations.RunPython(create, drop)]
