# Only refunded invoices in the index of `refunded_by` (contributions/models.py, Invoice.Meta.indexes).
#
# Written by hand so that it can run against a large live table. Django's own AlterField(db_index=False)
# drops and re-adds the foreign key, whose re-validation scans every invoice under a lock that blocks
# writes, and AddIndex builds the index under a lock that blocks writes too. On PostgreSQL this builds
# the partial index and drops the full one CONCURRENTLY (outside a transaction: atomic = False); the
# foreign key is not touched. Elsewhere (SQLite in development) the schema editor does it plainly.

from django.conf import settings
from django.db import migrations, models

OLD_INDEX = "contributions_invoice_refunded_by_id_18d91cbe"
NEW_INDEX = models.Index(
    fields=["refunded_by"], condition=models.Q(refunded_by__isnull=False), name="contrib_invoice_refunded_idx"
)


def _swap(apps, schema_editor, *, drop: str, create):
    invoice = apps.get_model("contributions", "Invoice")
    quote = schema_editor.quote_name
    if schema_editor.connection.vendor == "postgresql":
        create_sql = str(create.create_sql(invoice, schema_editor)).replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1)
        schema_editor.execute(create_sql)
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(drop)}")
    else:
        schema_editor.add_index(invoice, create)
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(drop)}")


def forwards(apps, schema_editor):
    _swap(apps, schema_editor, drop=OLD_INDEX, create=NEW_INDEX)


def backwards(apps, schema_editor):
    _swap(apps, schema_editor, drop=NEW_INDEX.name, create=models.Index(fields=["refunded_by"], name=OLD_INDEX))


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
