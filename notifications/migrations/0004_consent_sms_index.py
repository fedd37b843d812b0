# The consent codes each phone received, in an index of their own (notifications/models.py,
# Message.Meta.indexes): registration.limits counts those of the last 24 h before sending another.
#
# Written by hand so that it can run against a large live table: on PostgreSQL the index is built
# CONCURRENTLY (core.schema.create_index, outside a transaction: atomic = False), where AddIndex
# would block writes to the outbox meanwhile.

from django.db import migrations, models

from core.schema import create_index, drop_index

INDEX = models.Index(
    fields=["to", "-created_at"], condition=models.Q(kind="otp_consent"), name="notifications_msg_consent_idx"
)


def forwards(apps, schema_editor):
    create_index(schema_editor, apps.get_model("notifications", "Message"), INDEX)


def backwards(apps, schema_editor):
    drop_index(schema_editor, INDEX.name)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0003_lean_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="message", index=INDEX)],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
