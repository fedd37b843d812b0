"""Members own their membership (the schema; 0011 moves the data, which says why).

A `Member` per person, each enrollment (a sponsorship) pointing at one; an ended enrollment keeps the
coverage it showed (`ended_paid_through`, `ended_coverage_started`), why it ended and when a
registration expired without consent.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("registration", "0009_drop_nik_first4_and_province"),
    ]

    operations = [
        migrations.CreateModel(
            name="Member",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("nik_encrypted", models.TextField()),
                ("nik_hash", models.CharField(max_length=64, verbose_name="NIK blind index")),
                ("nik_last4", models.CharField(max_length=4)),
                ("birth_date", models.DateField()),
                ("gender", models.CharField(choices=[("M", "Male"), ("F", "Female")], max_length=1)),
                ("kpj_number", models.CharField(blank=True, max_length=11, null=True, verbose_name="KPJ number")),
                ("registered_at", models.DateField(blank=True, null=True)),
                ("phone", models.CharField(blank=True, max_length=16)),
                ("approved_sponsorships", models.PositiveIntegerField(default=0)),
                ("paid_through", models.DateField(blank=True, null=True)),
                ("coverage_started", models.DateField(blank=True, null=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("nik_hash",), name="registration_member_one_per_nik"),
                    models.UniqueConstraint(fields=("kpj_number",), name="registration_member_kpj_uniq"),
                ],
            },
        ),
        migrations.AddField(
            model_name="enrollment",
            name="member",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="sponsorships",
                to="registration.member",
            ),
        ),
        migrations.AddField(
            model_name="enrollment",
            name="end_reason",
            field=models.CharField(
                blank=True,
                choices=[("sponsor_ended", "Ended by the sponsor"), ("consent_withdrawn", "Consent withdrawn by the worker")],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="enrollment",
            name="expired_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="status",
            field=models.CharField(
                choices=[
                    ("awaiting_consent", "Awaiting consent"), ("pending_review", "Pending review"),
                    ("approved", "Approved"), ("rejected", "Rejected"), ("ended", "Ended"),
                    ("expired", "Expired (no consent in time)"),
                ],
                default="awaiting_consent",
                max_length=20,
            ),
        ),
        # The partial index on paid_through served the reminder pass, which now reads members'.
        migrations.RemoveIndex(model_name="enrollment", name="registration_enr_paid_idx"),
        migrations.RenameField(model_name="enrollment", old_name="paid_through", new_name="ended_paid_through"),
        migrations.RenameField(model_name="enrollment", old_name="coverage_started", new_name="ended_coverage_started"),
    ]
