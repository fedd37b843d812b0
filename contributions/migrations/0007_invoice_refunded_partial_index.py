# Only refunded invoices in the index of `refunded_by` (contributions/models.py, Invoice.Meta.indexes).
#
# Written by hand so that it can run against a large live table. Django's own AlterField(db_index=False)
# drops and re-adds the foreign key, whose re-validation scans every invoice under a lock that blocks
# writes, and AddIndex builds the index under a lock that blocks writes too. On PostgreSQL this builds
# the partial index and drops the full one CONCURRENTLY (core.schema.swap_index, outside a
# transaction: atomic = False); the foreign key is not touched. Elsewhere (SQLite in development)
# the schema editor does it plainly.

from django.conf import settings
from django.db import migrations, models

from core.schema import swap_index

OLD_INDEX = "contributions_invoice_refunded_by_id_18d91cbe"
NEW_INDEX = models.Index(
    fields=["refunded_by"], condition=models.Q(refunded_by__isnull=False), name="contrib_invoice_refunded_idx"
)


def forwards(apps, schema_editor):
    swap_index(schema_editor, apps.get_model("contributions", "Invoice"), drop=OLD_INDEX, create=NEW_INDEX)


def backwards(apps, schema_editor):
    old = models.Index(fields=["refunded_by"], name=OLD_INDEX)
    swap_index(schema_editor, apps.get_model("contributions", "Invoice"), drop=NEW_INDEX.name, create=old)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contributions", "0006_invoice_va_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="invoice",
                    name="refunded_by",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True, on_delete=models.PROTECT, related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddIndex(model_name="invoice", index=NEW_INDEX),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
