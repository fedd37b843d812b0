"""Drop the indexes PostgreSQL never needs (tests/test_indexes.py).

- kpj_number: `unique=True` becomes a UniqueConstraint, without Django's `varchar_pattern_ops` copy.
- nik_hash, occupation: the plain index stays (Meta.indexes), the pattern-ops copy goes.
- sponsor: registration_enr_sponsor_idx (sponsor, -id) serves every lookup by sponsor.

Django's AlterField, when it turns `db_index` off, drops every single-column index of that column,
including the partial unique indexes of two UniqueConstraints it still believes exist (one open
enrollment per NIK, one open self-registration per account). So they are removed first, by name,
and created again after; the migration runs in one transaction, so no row can slip in between.
Written for a database without production data: on a populated one, the unique indexes would be
built CONCURRENTLY first and attached with ADD CONSTRAINT ... USING INDEX.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OPEN = ("awaiting_consent", "pending_review", "approved")


def _open_constraints():
    return [
        models.UniqueConstraint(
            condition=models.Q(("status__in", OPEN)),
            fields=("nik_hash",),
            name="registration_enrollment_one_open_per_nik",
        ),
        models.UniqueConstraint(
            condition=models.Q(("relationship", "self"), ("status__in", OPEN)),
            fields=("sponsor",),
            name="registration_enrollment_one_open_self_per_account",
        ),
    ]


class Migration(migrations.Migration):

    dependencies = [
        ("registration", "0005_paid_through_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *[
            migrations.RemoveConstraint(model_name="enrollment", name=constraint.name)
            for constraint in _open_constraints()
        ],
        migrations.AlterField(
            model_name="enrollment",
            name="kpj_number",
            field=models.CharField(blank=True, max_length=11, null=True, verbose_name="KPJ number"),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="nik_hash",
            field=models.CharField(max_length=64, verbose_name="NIK blind index"),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="occupation",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="registration.occupation",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="sponsor",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="enrollments",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(fields=["nik_hash"], name="registration_enr_nik_idx"),
        ),
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(fields=["occupation"], name="registration_enr_occup_idx"),
        ),
        migrations.AddConstraint(
            model_name="enrollment",
            constraint=models.UniqueConstraint(fields=("kpj_number",), name="registration_enrollment_kpj_uniq"),
        ),
        *[migrations.AddConstraint(model_name="enrollment", constraint=constraint) for constraint in _open_constraints()],
    ]
