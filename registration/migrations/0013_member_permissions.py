"""Staff who work with workers and money see members (the person, with all their sponsorships and
the coverage ledger): reviewers, finance and admins, read-only."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("reviewer", "finance", "admin")


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view_member = Permission.objects.get(content_type__app_label="registration", codename="view_member")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(view_member)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type__app_label="registration", codename="view_member"):
        permission.group_set.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0012_member_owns_the_nik"),
        ("contributions", "0003_finance_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
