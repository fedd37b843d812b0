"""Invoices already in review get the money they received (their payments); one already marked
refunded becomes a refunded case of that whole amount (the old form took a note only)."""

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
    dependencies = [("contributions", "0020_finance_review_cases")]

    operations = [migrations.RunPython(cases_from_the_review_queue, migrations.RunPython.noop)]
