# The index of a sponsor's pending invoices (0010) served the questions "is this worker on a pending
# invoice, and which" (the check before a new invoice, a worker's end, the reminders). The unique
# index of InvoiceMonth.pending (0012) answers them from the worker directly, so it goes: one index
# entry less for every invoice written and every invoice leaving `pending`. Dropped CONCURRENTLY
# (core.schema.drop_index, outside a transaction: atomic = False).

from django.db import migrations, models

from core.schema import create_index, drop_index

INDEX = models.Index(fields=["sponsor"], condition=models.Q(status="pending"), name="contrib_inv_pend_sponsor_idx")


def forwards(apps, schema_editor):
    drop_index(schema_editor, INDEX.name)


def backwards(apps, schema_editor):
    create_index(schema_editor, apps.get_model("contributions", "Invoice"), INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contributions", "0012_invoicemonth_one_pending"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveIndex(model_name="invoice", name=INDEX.name)],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
