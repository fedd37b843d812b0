"""The enrollment (a sponsorship) no longer holds the NIK, the birth date and sex, or the membership's
uniqueness: its member does (0010, 0011). One open sponsorship per member replaces one open enrollment per
NIK; the KPJ is unique among members, and a sponsorship shows its member's.

Reversible: going back copies each member's NIK fields onto its enrollments."""

import django.db.models.deletion
from django.db import migrations, models

OPEN = ("awaiting_consent", "pending_review", "approved")
NIK_FIELDS = ("nik_encrypted", "nik_hash", "nik_last4", "birth_date", "gender")


def nik_fields_back(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for column in NIK_FIELDS:
            cursor.execute(
                f"UPDATE registration_enrollment SET {column} = (SELECT m.{column} FROM registration_member m "
                "WHERE m.id = registration_enrollment.member_id)"
            )


class Migration(migrations.Migration):

    dependencies = [
        ("registration", "0011_members_from_enrollments"),
    ]

    operations = [
        migrations.AlterField(
            model_name="enrollment",
            name="member",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="sponsorships", to="registration.member"
            ),
        ),
        migrations.RemoveConstraint(model_name="enrollment", name="registration_enrollment_one_open_per_nik"),
        migrations.RemoveConstraint(model_name="enrollment", name="registration_enrollment_kpj_uniq"),
        migrations.RemoveIndex(model_name="enrollment", name="registration_enr_nik_idx"),
        migrations.AddConstraint(
            model_name="enrollment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", OPEN)),
                fields=("member",),
                name="registration_enrollment_one_open_per_member",
            ),
        ),
        # Nullable first, so that going back can add the column to a table with rows, then fill it.
        migrations.AlterField(model_name="enrollment", name="birth_date", field=models.DateField(null=True)),
        migrations.RunPython(migrations.RunPython.noop, nik_fields_back),
        *[migrations.RemoveField(model_name="enrollment", name=name) for name in NIK_FIELDS],
    ]
