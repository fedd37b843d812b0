"""The coverage ledger belongs to members (registration 0010): each covered month is the person's,
whoever paid it, unique per (member, month).

Every ledger row moves from its enrollment to that enrollment's member. A person who had two
enrollments could have the same month paid twice (the defect this fixes: a worker who changed payers
was billed again for months already covered). Such a month stays covered once, by the payment that
came first; the later row leaves the ledger and its invoice goes to finance as `months_already_covered`
(money to refund): an invoice none of whose months is left covered becomes `needs_review` and its
payment uncredited; one that still covers other months stays `paid`, with the reason and time set so
finance finds it (the admin's review-reason filter).
"""

from django.db import migrations
from django.utils import timezone


def ledger_to_members(apps, schema_editor):
    CoverageMonth = apps.get_model("contributions", "CoverageMonth")
    Invoice = apps.get_model("contributions", "Invoice")
    Payment = apps.get_model("contributions", "Payment")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE contributions_coveragemonth SET member_id = (SELECT e.member_id FROM registration_enrollment e "
            "WHERE e.id = contributions_coveragemonth.enrollment_id)"
        )
        cursor.execute(
            "SELECT member_id, month FROM contributions_coveragemonth GROUP BY member_id, month HAVING count(*) > 1"
        )
        doubled = cursor.fetchall()
    now = timezone.now()
    touched = set()
    for member_id, month in doubled:
        rows = list(CoverageMonth.objects.filter(member_id=member_id, month=month).order_by("created_at", "id"))
        for row in rows[1:]:
            touched.add(row.invoice_id)
            row.delete()
    for invoice_id in sorted(touched):
        invoice = Invoice.objects.get(pk=invoice_id)
        invoice.review_reason = "months_already_covered"
        invoice.needs_review_at = now
        if not CoverageMonth.objects.filter(invoice_id=invoice_id).exists():
            invoice.status = "needs_review"
            Payment.objects.filter(invoice_id=invoice_id).update(credited=False)
        invoice.save(update_fields=["review_reason", "needs_review_at", "status", "updated_at"])


def ledger_to_enrollments(apps, schema_editor):
    """Back to enrollments: each row's enrollment is the one its invoice billed for that member."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE contributions_coveragemonth SET enrollment_id = (SELECT min(l.enrollment_id) "
            "FROM contributions_invoicemonth l JOIN registration_enrollment e ON e.id = l.enrollment_id "
            "WHERE l.invoice_id = contributions_coveragemonth.invoice_id AND l.month = contributions_coveragemonth.month "
            "AND e.member_id = contributions_coveragemonth.member_id)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0014_coveragemonth_member"),
        ("registration", "0011_members_from_enrollments"),
    ]

    operations = [migrations.RunPython(ledger_to_members, ledger_to_enrollments)]
