"""`finance` works the needs_review queue and payment exports; reviewers see coverage months; the
`admin` group also manages rates and sees every money table (read-only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "finance": [
        "contributions.view_invoice",
        "contributions.change_invoice",
        "contributions.view_invoicemonth",
        "contributions.view_payment",
        "contributions.view_coveragemonth",
        "contributions.view_gatewaynotification",
        "core.view_auditlog",
    ],
    "reviewer": ["contributions.view_coveragemonth"],
    "admin": [
        "contributions.view_invoice",
        "contributions.view_invoicemonth",
        "contributions.view_payment",
        "contributions.view_coveragemonth",
        "contributions.view_gatewaynotification",
        "contributions.view_contributionrate",
        "contributions.add_contributionrate",
        "contributions.change_contributionrate",
    ],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="finance").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0002_invoices_payments_ledger"),
        ("registration", "0004_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
