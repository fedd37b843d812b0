"""Finance's needs-review cases close (issue 24): refunded (amount, bank transfer reference and date) or
credited after a check. The columns and indexes; 0021 fills them for invoices already in review, 0022
adds the constraints (in migrations of their own: PostgreSQL refuses to alter a table with the data
update's deferred foreign-key checks still pending in the same transaction)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contributions', '0019_translated_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='credited_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='invoice',
            name='received_amount',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='invoice',
            name='refund_amount',
            field=models.PositiveBigIntegerField(blank=True, help_text='Whole rupiah returned.', null=True),
        ),
        migrations.AddField(
            model_name='invoice',
            name='refund_reference',
            field=models.CharField(blank=True, db_default='', default='', help_text="The bank transfer's reference.", max_length=100),
        ),
        migrations.AddField(
            model_name='invoice',
            name='refund_transferred_on',
            field=models.DateField(blank=True, help_text='The date of the bank transfer.', null=True),
        ),
        migrations.AddField(
            model_name='invoice',
            name='review_outcome',
            field=models.CharField(blank=True, choices=[('refunded', 'Refunded'), ('credited', 'Credited after a check')], db_default='', default='', max_length=16),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='refunded_at',
            field=models.DateTimeField(blank=True, help_text='When finance recorded the refund.', null=True),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(condition=models.Q(('review_outcome', ''), _negated=True), fields=['review_outcome', '-id'], name='contrib_invoice_case_idx'),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(condition=models.Q(('credited_by__isnull', False)), fields=['credited_by'], name='contrib_invoice_credited_idx'),
        ),
    ]
