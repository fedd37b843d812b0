"""Each (member, month) is covered at most once (0015 moved the ledger to members). Reminders to a
worker whose sponsorship ended have no payer (Reminder.user is null), and settlements that came too
late have their own review reasons."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0015_ledger_to_members"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="coveragemonth",
            name="member",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="coverage_months",
                to="registration.member",
            ),
        ),
        migrations.RemoveConstraint(model_name="coveragemonth", name="contributions_coveragemonth_once"),
        migrations.RemoveField(model_name="coveragemonth", name="enrollment"),
        migrations.AddConstraint(
            model_name="coveragemonth",
            constraint=models.UniqueConstraint(fields=("member", "month"), name="contributions_coveragemonth_once"),
        ),
        migrations.AlterModelOptions(name="coveragemonth", options={"ordering": ["member", "month"]}),
        migrations.AlterField(
            model_name="invoice",
            name="review_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("amount_mismatch", "Amount differs from the invoice total"),
                    ("months_already_covered", "Months already covered by another payment"),
                    ("coverage_lapsed", "Months of a coverage period that lapsed before the money came"),
                    ("invoice_closed", "Money came after the invoice expired or was cancelled"),
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="kind",
            field=models.CharField(
                choices=[
                    ("due_d7", "Due in 7 days"), ("due_d3", "Due in 3 days"), ("due_d1", "Due tomorrow"),
                    ("overdue", "Overdue (now in arrears)"), ("arrears_monthly", "Monthly arrears reminder"),
                    ("final_warning", "Final warning before lapse"), ("coverage_lapsed", "Coverage lapsed"),
                    ("prepaid_ending", "Prepaid period ends this month"),
                    ("coverage_ending", "Coverage ends (sponsorship ended): how to continue"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="user",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
