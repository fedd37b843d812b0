"""Support (the `admin` group) reads the reminder rows in the back office (issue 24): "I was never
reminded" is answered from them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(content_type__app_label="contributions", codename="view_reminder")
    for group in Group.objects.filter(name="admin"):
        group.permissions.add(view)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type__app_label="contributions", codename="view_reminder"):
        permission.group_set.clear()


class Migration(migrations.Migration):
    dependencies = [("contributions", "0023_reconciliation_indexes")]

    operations = [migrations.RunPython(grant, revoke)]
