# A sponsor's pending invoices in an index of their own (contributions/models.py, Invoice.Meta.indexes):
# the pending-invoice checks start from them instead of from a worker's whole billing history.
#
# Written by hand so that it can run against a large live table: on PostgreSQL the index is built
# CONCURRENTLY (core.schema.create_index, outside a transaction: atomic = False), where AddIndex
# would block writes to the invoices meanwhile.

from django.db import migrations, models

from core.schema import create_index, drop_index

INDEX = models.Index(fields=["sponsor"], condition=models.Q(status="pending"), name="contrib_inv_pend_sponsor_idx")


def forwards(apps, schema_editor):
    create_index(schema_editor, apps.get_model("contributions", "Invoice"), INDEX)


def backwards(apps, schema_editor):
    drop_index(schema_editor, INDEX.name)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contributions", "0009_invoice_idempotency_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="invoice", index=INDEX)],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
