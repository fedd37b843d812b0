"""The coverage ledger belongs to members (the schema; 0015 moves the rows, and says how)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0013_drop_invoice_pending_sponsor_index"),
        ("registration", "0010_member"),
    ]

    operations = [
        migrations.AddField(
            model_name="coveragemonth",
            name="member",
            field=models.ForeignKey(
                db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="coverage_months", to="registration.member",
            ),
        ),
        migrations.AlterField(
            model_name="coveragemonth",
            name="enrollment",
            field=models.ForeignKey(
                db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="coverage_months", to="registration.enrollment",
            ),
        ),
    ]
