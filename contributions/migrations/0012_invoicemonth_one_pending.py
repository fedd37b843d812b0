# "A worker is on one pending invoice at most" as a unique index (contributions/models.py,
# InvoiceMonth.Meta.constraints). Written by hand so that it can run against a large live table: on
# PostgreSQL the index is built CONCURRENTLY (core.schema.create_index, outside a transaction:
# atomic = False), where AddConstraint would block writes to the invoice lines meanwhile.

from django.db import migrations, models

from core.schema import create_index, drop_index

CONSTRAINT = models.UniqueConstraint(
    fields=["enrollment"], condition=models.Q(pending=True), name="contributions_invoicemonth_one_pending"
)


def forwards(apps, schema_editor):
    create_index(schema_editor, apps.get_model("contributions", "InvoiceMonth"), CONSTRAINT)


def backwards(apps, schema_editor):
    drop_index(schema_editor, CONSTRAINT.name)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contributions", "0011_invoicemonth_pending"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddConstraint(model_name="invoicemonth", constraint=CONSTRAINT)],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
