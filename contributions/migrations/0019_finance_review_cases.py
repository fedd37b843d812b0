"""Finance's needs-review cases close (issue 24): refunded (amount, bank transfer reference and date) or
credited after a check. An invoice already in review gets the money it received (its payments); one
already marked refunded becomes a refunded case of that whole amount (the old form took a note only)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def cases_from_the_review_queue(apps, schema_editor):
    Invoice = apps.get_model("contributions", "Invoice")
    Payment = apps.get_model("contributions", "Payment")
    received = (
        Payment.objects.filter(invoice_id=models.OuterRef("pk"))
        .values("invoice_id")
        .annotate(total=models.Sum("gross_amount"))
        .values("total")
    )
    in_review = Invoice.objects.filter(status="needs_review")
    in_review.update(received_amount=models.Subquery(received))
    in_review.filter(refunded_at__isnull=False, received_amount__isnull=False).update(
        review_outcome="refunded", refund_amount=models.F("received_amount")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('contributions', '0018_autopay'),
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
        migrations.RunPython(cases_from_the_review_queue, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(condition=models.Q(('review_outcome', ''), _negated=True), fields=['review_outcome', '-id'], name='contrib_invoice_case_idx'),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(condition=models.Q(('credited_by__isnull', False)), fields=['credited_by'], name='contrib_invoice_credited_idx'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.CheckConstraint(condition=models.Q(('refund_amount__isnull', True), models.Q(('received_amount__isnull', False), ('refund_amount__gt', 0), ('refund_amount__lte', models.F('received_amount'))), _connector='OR'), name='contributions_invoice_refund_within_received'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('review_outcome', 'refunded'), _negated=True), models.Q(('refund_amount__isnull', False), ('refunded_at__isnull', False), ('status', 'needs_review')), _connector='OR'), name='contributions_invoice_refund_recorded'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('review_outcome', 'credited'), _negated=True), models.Q(('paid_at__isnull', False), ('status', 'paid')), _connector='OR'), name='contributions_invoice_credit_paid'),
        ),
    ]
