# Only the invoices that need review in the index of finance's queue (contributions/models.py,
# Invoice.Meta.indexes), instead of a full index on (status, needs_review_at).
#
# Written by hand so that it can run against a large live table: on PostgreSQL the new index is built
# and the old one dropped CONCURRENTLY (core.schema.swap_index, outside a transaction:
# atomic = False), where AddIndex and RemoveIndex would block writes to the invoices meanwhile.

from django.db import migrations, models

from core.schema import swap_index

OLD_INDEX = models.Index(fields=["status", "needs_review_at"], name="contrib_invoice_review_idx")
NEW_INDEX = models.Index(
    fields=["-id"], condition=models.Q(status="needs_review"), name="contrib_invoice_review_q_idx"
)


def forwards(apps, schema_editor):
    swap_index(schema_editor, apps.get_model("contributions", "Invoice"), drop=OLD_INDEX.name, create=NEW_INDEX)


def backwards(apps, schema_editor):
    swap_index(schema_editor, apps.get_model("contributions", "Invoice"), drop=NEW_INDEX.name, create=OLD_INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contributions", "0007_invoice_refunded_partial_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="invoice", name=OLD_INDEX.name),
                migrations.AddIndex(model_name="invoice", index=NEW_INDEX),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
