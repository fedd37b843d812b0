# The marker of a pending invoice's lines (contributions/models.py, InvoiceMonth.pending), set on the
# lines of the invoices pending now: one line of each worker. A column without a default: adding it
# rewrites nothing. The unique index on it is built by 0012, outside a transaction.

from django.db import migrations, models

MARK = (
    "UPDATE contributions_invoicemonth SET pending = TRUE WHERE id IN ("
    "SELECT MIN(m.id) FROM contributions_invoicemonth m "
    "JOIN contributions_invoice i ON i.id = m.invoice_id WHERE i.status = 'pending' GROUP BY m.enrollment_id)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0010_invoice_pending_sponsor_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoicemonth",
            name="pending",
            field=models.BooleanField(default=None, editable=False, null=True),
        ),
        # One line per worker, even if a worker were on two pending invoices (the rule was the
        # application's until now): the index of 0012 can then be built whatever the data.
        migrations.RunSQL(MARK, migrations.RunSQL.noop),
    ]
