"""The invariants of finance's cases: a refund returns at most the money received; a refunded case
records its amount and time; a credited one is paid."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contributions", "0021_review_cases_from_the_queue")]

    operations = [
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
