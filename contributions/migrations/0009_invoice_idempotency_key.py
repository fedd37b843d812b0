# The Idempotency-Key moves onto the invoice it made (contributions/idempotency.py): two columns
# written by the invoice's own INSERT, and a unique index on (sponsor, key), instead of a row of its
# own per invoice holding the rendered response (a table that grew by one rendered invoice per
# invoice, without end, and one more statement in the API's busiest write).
#
# Written by hand: the keys already stored are copied onto their invoices (the invoice id is in the
# stored response), and the unique index is built CONCURRENTLY on PostgreSQL (core.schema, outside
# a transaction: atomic = False), where AddConstraint would block writes to the invoices meanwhile.
# Backwards, the key table comes back empty: keys made before are not replayed any more.

import json

from django.conf import settings
from django.db import migrations, models

from core.schema import create_index, drop_index

UNIQUE = models.UniqueConstraint(
    fields=["sponsor", "idempotency_key"],
    condition=models.Q(idempotency_key__isnull=False),
    name="contributions_invoice_idempotency_uniq",
)
BATCH = 2000


def copy_keys(apps, schema_editor):
    Invoice = apps.get_model("contributions", "Invoice")
    keys = apps.get_model("contributions", "IdempotencyKey").objects.filter(status_code=201).order_by("pk")
    batch = []
    for key in keys.iterator(chunk_size=BATCH):
        body = json.loads(key.response_body)
        invoice_id = body.get("id") if isinstance(body, dict) else None
        if isinstance(invoice_id, int):
            batch.append(Invoice(pk=invoice_id, idempotency_key=key.key, request_hash=key.request_hash))
        if len(batch) == BATCH:
            Invoice.objects.bulk_update(batch, ["idempotency_key", "request_hash"])
            batch = []
    Invoice.objects.bulk_update(batch, ["idempotency_key", "request_hash"])


def create_unique(apps, schema_editor):
    create_index(schema_editor, apps.get_model("contributions", "Invoice"), UNIQUE)


def drop_unique(apps, schema_editor):
    drop_index(schema_editor, UNIQUE.name)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contributions", "0008_invoice_review_partial_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="idempotency_key",
            field=models.CharField(blank=True, editable=False, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="request_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(copy_keys, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddConstraint(model_name="invoice", constraint=UNIQUE)],
            database_operations=[migrations.RunPython(create_unique, drop_unique)],
        ),
        migrations.DeleteModel(name="IdempotencyKey"),
    ]
